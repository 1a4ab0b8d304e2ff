// The few settings a stdio front-end needs to reach a running service (data dir, this session's
// roots, whether the service is on), read without the config schema: loading zod and the full
// configuration would double the front-end's start-up. Anything it cannot read plainly leaves the
// decision to the full loader, which also reports configuration errors.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConfigFlags } from './config.js';

export interface SessionConfig {
  dataDir: string;
  allowedRoots: string[];
  testRunsAllowed: string[];
  serviceEnabled: boolean;
}

/** Where the data dir is when nothing sets it. */
export function defaultDataDir(env: Record<string, string | undefined>): string {
  const home = env.HOME ?? os.homedir();
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'caelum');
}

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;

/** The session settings, or undefined when only the full loader can tell. */
export function quickSessionConfig(
  flags: ConfigFlags,
  env: Record<string, string | undefined>,
  cwd: string,
): SessionConfig | undefined {
  const explicit = flags.config ?? env.CAELUM_CONFIG;
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, 'caelum.config.json');
  let values: Record<string, unknown> = {};
  if (explicit || existsSync(file)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
      values = parsed as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
  const service = (values.service ?? {}) as { enabled?: unknown };
  let serviceEnabled = service.enabled !== false;
  if (env.CAELUM_SERVICE !== undefined) serviceEnabled = !/^(0|off|false|no)$/i.test(env.CAELUM_SERVICE.trim());
  const fileRoots = strings(values.allowedRoots);
  const roots = (flags.allowedRoots?.length ? flags.allowedRoots : undefined) ??
    (env.CAELUM_ALLOWED_ROOTS
      ? env.CAELUM_ALLOWED_ROOTS.split(/[,:]/)
          .map((p) => p.trim())
          .filter(Boolean)
      : undefined) ??
    fileRoots ?? [cwd];
  const dataDir = flags.dataDir ?? env.CAELUM_DATA_DIR ?? (values.dataDir as string | undefined);
  if (dataDir !== undefined && typeof dataDir !== 'string') return undefined;
  return {
    dataDir: path.resolve(cwd, dataDir ?? defaultDataDir(env)),
    allowedRoots: roots.map((root) => path.resolve(cwd, root)),
    testRunsAllowed: (strings(values.testRunsAllowed) ?? []).map((directory) => path.resolve(cwd, directory)),
    serviceEnabled,
  };
}
