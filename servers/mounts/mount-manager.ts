// The mounted MCP servers of one suite: their tools in the internal catalogue as
// `<domain>_<server>_<tool>`, kept in step with the servers (a start or a list_changed refreshes
// them, and the registry's change event reaches clients as list_changed), a record of each server's
// tools in the data dir so the catalogue is whole at start-up without starting anything, and the
// status and restart that the infrastructure tools expose.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyTool } from '../../tools/define-tool.js';
import type { Logger, MountsView } from '../../tools/context.js';
import type { ToolRegistry } from '../../tools/registry.js';
import {
  mountedTool,
  mountedToolName,
  type MountedToolHints,
  type RemoteTool,
} from '../../tools/mounted/mounted-tool.js';
import { secretNamePattern, secrets } from '../../tools/secrets.js';
import { z } from 'zod';
import { MountedServer, type MountStatus, type MountedServerOptions } from './mounted-server.js';
import { RootsScopedServer } from './roots-scoped-server.js';
import type { ResolvedMount } from './mount-config.js';

const recordSchema = z.record(
  z.string(),
  z.object({
    fingerprint: z.string(),
    listedAt: z.string(),
    tools: z.array(
      z
        .object({
          name: z.string().min(1),
          inputSchema: z.record(z.string(), z.unknown()),
        })
        .loose(),
    ),
  }),
);
type CatalogueRecord = { fingerprint: string; listedAt: string; tools: RemoteTool[] };

const failureSchema = z.record(
  z.string(),
  z.object({ fingerprint: z.string(), failedAt: z.number(), error: z.string() }),
);
type FailureRecord = z.infer<typeof failureSchema>[string];
/** A server whose tools could not be listed is not tried again at start-up for this long. */
const failureQuietMs = 10 * 60_000;

function readFailures(file: string): Record<string, FailureRecord> {
  try {
    if (!existsSync(file)) return {};
    const parsed = failureSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** The data dir's record of the servers' tools; a missing, unreadable or malformed one is no record. */
function readRecords(file: string, logger: Logger): Record<string, CatalogueRecord> {
  if (!existsSync(file)) return {};
  try {
    const parsed = recordSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data as Record<string, CatalogueRecord>;
    logger.warn('mount_catalogue_malformed', { file, problem: parsed.error.issues[0]?.message });
  } catch (error) {
    logger.warn('mount_catalogue_unreadable', { file, error: (error as Error).message });
  }
  return {};
}

let hintsFile: Record<string, Record<string, MountedToolHints>> | undefined;

/** data/mounts/default-tools.json: example requests, tags and a harmless example per default tool. */
function defaultHints(): Record<string, Record<string, MountedToolHints>> {
  if (hintsFile) return hintsFile;
  let directory = path.dirname(fileURLToPath(import.meta.url));
  hintsFile = {};
  for (let up = 0; up < 5; up++) {
    const candidate = path.join(directory, 'data', 'mounts', 'default-tools.json');
    if (existsSync(candidate)) {
      hintsFile = JSON.parse(readFileSync(candidate, 'utf8')) as typeof hintsFile;
      break;
    }
    directory = path.dirname(directory);
  }
  return hintsFile;
}

/** A value that looks like a credential whatever its variable is called: long, and letters with digits. */
const tokenShape = /^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9_\-.~+/=:]{20,}$/;

/**
 * Registers a mount's secrets: env values under names that look secret (API_KEY, TOKEN, SECRET,
 * PASSWORD...) or shaped like a token, every header value, and a URL's credentials. None appears in
 * results, logs or listings. Other env values (NODE_ENV=production, a path) stay readable.
 */
export function registerMountSecrets(mounts: readonly ResolvedMount[]): void {
  for (const mount of mounts) {
    for (const [key, value] of Object.entries(mount.config.env)) {
      if (secretNamePattern.test(key)) secrets.add(value, true);
      else if (tokenShape.test(value.trim())) secrets.add(value, true);
    }
    for (const value of Object.values(mount.config.headers)) {
      secrets.add(value, true);
      const bearer = /^(?:bearer|basic|token)\s+(.+)$/i.exec(value);
      if (bearer) secrets.add(bearer[1], true);
    }
    if (mount.config.url) secrets.addUrl(mount.config.url);
  }
}

function fingerprintOf(mount: ResolvedMount): string {
  const c = mount.config;
  return createHash('sha256')
    .update(
      JSON.stringify({
        command: c.command,
        args: c.args,
        url: c.url,
        envKeys: Object.keys(c.env).sort(),
        allow: c.allow,
        deny: c.deny,
        package: mount.package,
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

export interface MountManagerOptions {
  registry: ToolRegistry;
  logger: Logger;
  dataDir: string;
  cwd: string;
  /** The suite's allowed roots: a rootsAsArgs mount's process for calls without session roots. */
  roots: readonly string[];
  baseEnv: Record<string, string>;
  idleMs?: number;
  breakerAfter?: number;
  breakerCooldownMs?: number;
  backoffBaseMs?: number;
}

export class MountManager implements MountsView {
  private readonly servers = new Map<string, MountedServer | RootsScopedServer>();
  /** Per server: the server's tool name → the internal tool registered for it. */
  private readonly registered = new Map<string, Map<string, AnyTool>>();
  private readonly recordFile: string;
  private records: Record<string, CatalogueRecord> = {};
  private failures: Record<string, FailureRecord> = {};
  private readonly failureFile: string;
  private discovery: Promise<void> = Promise.resolve();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    mounts: readonly ResolvedMount[],
    private readonly options: MountManagerOptions,
  ) {
    this.recordFile = path.join(options.dataDir, 'mounts', 'catalogue.json');
    this.failureFile = path.join(options.dataDir, 'mounts', 'failures.json');
    registerMountSecrets(mounts);
    for (const mount of mounts) {
      const serverOptions: MountedServerOptions = {
        logger: options.logger.child({ mount: mount.name }),
        cwd: options.cwd,
        baseEnv: options.baseEnv,
        onTools: (tools) => this.onTools(mount, tools),
        ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
        ...(options.breakerAfter !== undefined ? { breakerAfter: options.breakerAfter } : {}),
        ...(options.breakerCooldownMs !== undefined ? { breakerCooldownMs: options.breakerCooldownMs } : {}),
        ...(options.backoffBaseMs !== undefined ? { backoffBaseMs: options.backoffBaseMs } : {}),
      };
      this.servers.set(
        mount.name,
        mount.config.rootsAsArgs
          ? new RootsScopedServer(mount, serverOptions, options.roots)
          : new MountedServer(mount, serverOptions),
      );
    }
  }

  /**
   * Puts every enabled server's tools in the catalogue: from the data dir's record when the server's
   * configuration is unchanged (nothing starts), otherwise by starting it to list them (it stops
   * again at once; the first call starts it for good).
   */
  start(): Promise<void> {
    // Recorded servers are registered now, synchronously: the catalogue is whole before any client
    // connects, so nothing changes under it (no list_changed) on a start with a record.
    this.records = readRecords(this.recordFile, this.options.logger);
    const unrecorded: (MountedServer | RootsScopedServer)[] = [];
    for (const server of this.servers.values()) {
      const mount = server.mount;
      if (!mount.config.enabled) continue;
      const record = this.records[mount.name];
      if (record && record.fingerprint === fingerprintOf(mount)) {
        server.adoptTools(record.tools);
        this.register(mount, record.tools, server);
      } else unrecorded.push(server);
    }
    // A server whose listing failed a moment ago (same configuration) is not started again at every
    // start-up (each `caelum tools` or `caelum call` would wait for it); a call or a restart tries it.
    this.failures = readFailures(this.failureFile);
    const now = Date.now();
    this.discovery = Promise.all(
      unrecorded.map(async (server) => {
        const failed = this.failures[server.mount.name];
        if (failed && failed.fingerprint === fingerprintOf(server.mount) && now - failed.failedAt < failureQuietMs) {
          server.noteEarlierFailure(
            `listing its tools failed at ${new Date(failed.failedAt).toISOString()} (${failed.error}); not tried again at start-up until ${new Date(failed.failedAt + failureQuietMs).toISOString()}: infrastructure_restart_mcp_server tries it now`,
          );
          return;
        }
        try {
          await server.listTools();
          await server.park();
        } catch (error) {
          this.options.logger.warn('mounted_server_discovery_failed', {
            server: server.mount.name,
            error: (error as Error).message,
          });
          this.failures[server.mount.name] = {
            fingerprint: fingerprintOf(server.mount),
            failedAt: Date.now(),
            error: (error as Error).message.slice(0, 300),
          };
          this.writing = this.writing.then(() => this.saveJson(this.failureFile, this.failures)).catch(() => undefined);
        }
      }),
    ).then(() => undefined);
    return this.discovery;
  }

  /** Resolves when start-up discovery is done (or `timeoutMs` has passed). */
  async ready(timeoutMs = 20_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.discovery,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  private onTools(mount: ResolvedMount, tools: RemoteTool[]): void {
    const server = this.servers.get(mount.name);
    if (!server) return;
    this.register(mount, tools, server);
    this.records[mount.name] = { fingerprint: fingerprintOf(mount), listedAt: new Date().toISOString(), tools };
    this.writing = this.writing.then(() => this.saveJson(this.recordFile, this.records)).catch(() => undefined);
    if (this.failures[mount.name]) {
      delete this.failures[mount.name];
      this.writing = this.writing.then(() => this.saveJson(this.failureFile, this.failures)).catch(() => undefined);
    }
  }

  /** Writes one of the data dir's mount files atomically (a temporary file, then a rename). */
  private async saveJson(file: string, value: unknown): Promise<void> {
    try {
      await mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(value));
      await rename(temporary, file);
    } catch (error) {
      this.options.logger.warn('mount_catalogue_write_failed', { file, error: (error as Error).message });
    }
  }

  /** Brings the registry in step with a server's tool list: removed, changed and new tools. */
  private register(
    mount: ResolvedMount,
    tools: readonly RemoteTool[],
    server: MountedServer | RootsScopedServer,
  ): void {
    const registry = this.options.registry;
    const current = this.registered.get(mount.name) ?? new Map<string, AnyTool>();
    const next = new Map<string, AnyTool>();
    const hints = mount.origin === 'default' ? (defaultHints()[mount.name] ?? {}) : {};
    const incoming = new Map(tools.map((tool) => [tool.name, tool]));
    for (const [remoteName, tool] of current) {
      const fresh = incoming.get(remoteName);
      if (!fresh || JSON.stringify(fresh) !== JSON.stringify((tool as { remote?: RemoteTool }).remote)) {
        registry.remove(tool.name);
      } else next.set(remoteName, tool);
    }
    for (const remote of tools) {
      if (next.has(remote.name)) continue;
      const taken = new Set(registry.all().map((t) => t.name));
      const name = mountedToolName(mount.config.supervisor, mount.name, remote.name, taken);
      try {
        const tool = mountedTool(server, mount.config.supervisor, remote, name, hints[remote.name] ?? {});
        (tool as { remote?: RemoteTool }).remote = remote;
        registry.add(tool);
        next.set(remote.name, tool);
      } catch (error) {
        this.options.logger.warn('mounted_tool_rejected', {
          server: mount.name,
          tool: remote.name,
          error: (error as Error).message,
        });
      }
    }
    this.registered.set(mount.name, next);
  }

  list(): MountStatus[] {
    return [...this.servers.values()].map((server) => server.status());
  }

  get(name: string): MountedServer | RootsScopedServer | undefined {
    return this.servers.get(name);
  }

  names(): string[] {
    return [...this.servers.keys()];
  }

  async restart(name: string): Promise<MountStatus> {
    const server = this.servers.get(name);
    if (!server) throw new Error(`no mounted server named "${name}"`);
    return server.restart();
  }

  async close(): Promise<void> {
    await this.discovery.catch(() => undefined);
    await Promise.all([...this.servers.values()].map((server) => server.close()));
    await this.writing;
  }
}
