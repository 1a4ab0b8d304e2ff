// The model pool as the rest of Caelum sees it. This issue gives it the configured hosts and
// the Claude fallback settings; routing, health probes and the confidence cascade arrive with
// the pool itself (issue 3), behind this same interface.

export interface PoolHostConfig {
  name: string;
  url: string;
  gpu?: string | undefined;
  vramGiB?: number | undefined;
  weight: number;
  maxConcurrent: number;
  tags: string[];
  access: 'network' | 'localhost';
}

export interface PoolStatus {
  /** Hosts as configured. `probed: false` means no health probe has run yet. */
  hosts: { name: string; url: string; probed: boolean }[];
  claudeConfigured: boolean;
  /** What LLM work can use right now. */
  mode: 'local-and-claude' | 'local-only' | 'claude-only' | 'none';
}

export interface ModelPool {
  status(): PoolStatus;
}

export function createModelPool(options: { hosts: PoolHostConfig[]; claudeKeyConfigured: boolean }): ModelPool {
  const hosts = options.hosts.map((host) => ({ name: host.name, url: host.url, probed: false }));
  const local = hosts.length > 0;
  const claude = options.claudeKeyConfigured;
  const mode: PoolStatus['mode'] = local ? (claude ? 'local-and-claude' : 'local-only') : claude ? 'claude-only' : 'none';
  return { status: () => ({ hosts, claudeConfigured: claude, mode }) };
}
