// Config `mcpServers`: existing MCP servers mounted behind the supervisors, in the shape Claude Code
// and Claude Desktop use (command, args, env; or url for Streamable HTTP), plus Caelum's own keys:
// which supervisor owns the server's tools, whether it is enabled, a timeout per call, and tool
// allow and deny lists. The defaults are npm packages Caelum ships that work offline.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { domains, type Domain } from '../../tools/define-tool.js';

export const serverNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

const mountObject = z
  .object({
    command: z.string().min(1).optional().describe('the program to start (stdio); with args and env'),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}).describe('extra environment for the server; values are secrets'),
    cwd: z.string().min(1).optional().describe('working directory of the server (default: the first allowed root)'),
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL of a Streamable HTTP MCP endpoint' }).optional(),
    headers: z.record(z.string(), z.string()).default({}).describe('HTTP headers for url; values are secrets'),
    supervisor: z.enum(domains, {
      error: (issue) =>
        issue.input === undefined ? 'required: the domain whose supervisor owns its tools' : 'not a domain',
    }),
    enabled: z.boolean().default(true),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    startTimeoutMs: z.number().int().min(100).max(120_000).default(15_000),
    allow: z
      .array(z.string().min(1))
      .optional()
      .describe("only these of the server's tools (names as the server gives them)"),
    deny: z.array(z.string().min(1)).default([]).describe("never these of the server's tools"),
    rootsAsArgs: z
      .boolean()
      .default(false)
      .describe("one process per session's allowed roots, started with the roots appended to args"),
  })
  .strict();

export const mountSchema = mountObject.refine((mount) => Boolean(mount.command) !== Boolean(mount.url), {
  error: 'give either command (stdio) or url (Streamable HTTP), not both or neither',
});

export type MountConfig = z.output<typeof mountSchema>;

/** A change to a default mount: any of its keys except command and url. */
export const mountOverrideSchema = mountObject.omit({ command: true, url: true }).partial().strict();

export const mcpServersSchema = z
  .record(z.string().regex(serverNamePattern, { error: 'a server name is 1-40 of [A-Za-z0-9_.-]' }), mountSchema)
  .default({});

/** Tools of the default mounts that are never mounted unless a config lists them in `allow`. */
const defaultDeny: Record<string, string[]> = {
  // Arbitrary code in the browser process, and local files pushed into pages: outside the roots.
  playwright: ['browser_run_code_unsafe', 'browser_file_upload', 'browser_drop', 'browser_install'],
};

export interface DefaultMount {
  name: string;
  /** The npm package that provides it, with the version installed. */
  package: string;
  version: string;
  why: string;
  config: MountConfig;
  /** Directories in the data dir it writes to, made before it starts. */
  directories: string[];
  /** Something the user should know about it here (a missing browser). */
  note?: string;
}

const require = createRequire(import.meta.url);

function packageEntry(name: string, bin: string): { entry: string; version: string } | undefined {
  try {
    const manifest = require.resolve(`${name}/package.json`);
    const json = require(manifest) as { version: string };
    const entry = path.join(path.dirname(manifest), bin);
    return existsSync(entry) ? { entry, version: json.version } : undefined;
  } catch {
    return undefined;
  }
}

/** The system Chromium Playwright MCP drives, or undefined. CAELUM_CHROMIUM names another. */
export function findChromium(env: Record<string, string | undefined>): string | undefined {
  const candidates = [
    env.CAELUM_CHROMIUM,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
  ];
  return candidates.find((candidate) => candidate && existsSync(candidate));
}

/**
 * The default mounts, resolved to the installed packages and started with this Node (no npx, no
 * network). Each is justified in the README ("Mounted MCP servers").
 */
export function defaultMounts(
  allowedRoots: readonly string[],
  dataDir: string,
  env: Record<string, string | undefined>,
): DefaultMount[] {
  const mounts: DefaultMount[] = [];
  const node = process.execPath;
  const add = (
    name: string,
    pkg: string,
    bin: string,
    supervisor: Domain,
    why: string,
    args: string[],
    extra: Partial<MountConfig> = {},
    directories: string[] = [],
    note?: string,
  ) => {
    const found = packageEntry(pkg, bin);
    if (!found) return;
    mounts.push({
      name,
      package: pkg,
      version: found.version,
      why,
      directories,
      ...(note ? { note } : {}),
      config: mountSchema.parse({
        command: node,
        args: [found.entry, ...args],
        supervisor,
        deny: defaultDeny[name] ?? [],
        ...extra,
      }),
    });
  };
  add(
    'filesystem',
    '@modelcontextprotocol/server-filesystem',
    'dist/index.js',
    'development',
    'read, write, edit and search files, confined to the allowed roots',
    [],
    { rootsAsArgs: true },
  );
  add(
    'thinking',
    '@modelcontextprotocol/server-sequential-thinking',
    'dist/index.js',
    'development',
    'structured step-by-step reasoning with revisions and branches',
    [],
    { env: { DISABLE_THOUGHT_LOGGING: 'true' } },
  );
  add(
    'memory',
    '@modelcontextprotocol/server-memory',
    'dist/index.js',
    'knowledge-base',
    "an agent's persistent entity/relation memory, kept in the data dir",
    [],
    { env: { MEMORY_FILE_PATH: path.join(dataDir, 'mounts', 'memory', 'memory.jsonl') } },
    [path.join(dataDir, 'mounts', 'memory')],
  );
  const chromium = findChromium(env);
  add(
    'playwright',
    '@playwright/mcp',
    'cli.js',
    'development',
    'drives the system Chromium headless: navigate, click, type, snapshot and screenshot web pages',
    [
      '--headless',
      '--isolated',
      '--browser',
      'chromium',
      ...(chromium ? ['--executable-path', chromium] : []),
      // Chromium refuses to start as root without it.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--output-dir',
      path.join(dataDir, 'mounts', 'playwright'),
    ],
    {},
    [path.join(dataDir, 'mounts', 'playwright')],
    chromium
      ? undefined
      : 'no system Chromium found (/usr/bin/chromium); its browser tools fail until one is installed (apt install chromium) or CAELUM_CHROMIUM names one',
  );
  return mounts;
}

export interface ResolvedMount {
  name: string;
  config: MountConfig;
  /** Set for a default mount: its package and version. */
  package?: { name: string; version: string };
  origin: 'default' | 'config';
  /** Directories made before it starts (a default's files in the data dir). */
  directories?: string[];
  note?: string;
}

/**
 * The mounts to run: the defaults, overridden key by key by the config's `mcpServers` (a config entry
 * with the same name replaces a default; `{"enabled": false}` alone turns a default off).
 */
export function resolveMounts(
  configured: Record<string, unknown>,
  allowedRoots: readonly string[],
  dataDir: string,
  env: Record<string, string | undefined>,
  useDefaults: boolean,
): ResolvedMount[] {
  const out = new Map<string, ResolvedMount>();
  if (useDefaults)
    for (const mount of defaultMounts(allowedRoots, dataDir, env))
      out.set(mount.name, {
        name: mount.name,
        config: mount.config,
        package: { name: mount.package, version: mount.version },
        origin: 'default',
        directories: mount.directories,
        ...(mount.note ? { note: mount.note } : {}),
      });
  for (const [name, raw] of Object.entries(configured)) {
    const base = out.get(name);
    const entry = raw as Record<string, unknown>;
    if (base && !('command' in entry) && !('url' in entry)) {
      // A partial override of a default: enabled, timeoutMs, allow, deny, env, supervisor.
      const merged = mountSchema.parse({
        ...base.config,
        ...entry,
        env: { ...base.config.env, ...((entry.env as Record<string, string>) ?? {}) },
        deny: [...base.config.deny, ...((entry.deny as string[]) ?? [])],
      });
      out.set(name, { ...base, config: merged });
      continue;
    }
    out.set(name, { name, config: mountSchema.parse(raw), origin: 'config' });
  }
  return [...out.values()];
}
