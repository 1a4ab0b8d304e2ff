// Shared test helpers: temp directories, a suite over them, a capturing logger, and an MCP
// client linked to a real server in one process.
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { loadConfig, type ConfigFlags } from '../servers/config.js';
import { createSuite, type Suite, type SuiteOptions } from '../servers/composition.js';
import { createLogger } from '../servers/logger.js';
import { createServer, type ServerOptions } from '../servers/mcp-server.js';
import { control } from '../servers/service-client.js';
import { servicePaths } from '../servers/service-paths.js';
import type { Logger } from '../tools/context.js';

export const repoRoot = path.resolve(import.meta.dirname, '..');
/** The installed binary: the bundled CLI that package.json's `bin` points at. */
export const cliPath = path.join(repoRoot, 'dist', 'bundle', 'cli.js');

export async function tempDir(
  t: { after(fn: () => Promise<void> | void): void },
  prefix = 'caelum-test-',
): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  t.after(async () => {
    await stopServicesUnder(dir);
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });
  return dir;
}

/**
 * Stops every Caelum service whose data dir lies under `dir` (a test that runs `caelum serve`
 * starts one, detached), and waits for each to exit so that nothing writes into a removed tree.
 */
export async function stopServicesUnder(dir: string, depth = 3): Promise<void> {
  const sockets: string[] = [];
  const walk = async (current: string, level: number) => {
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.name === 'caelum.sock') sockets.push(path.join(current, entry.name));
      else if (entry.isDirectory() && level < depth && entry.name !== 'node_modules')
        await walk(path.join(current, entry.name), level + 1);
    }
  };
  await walk(dir, 0);
  for (const socket of sockets) {
    const paths = servicePaths(path.dirname(socket));
    const answer = await control(paths, { op: 'status' }).catch(() => undefined);
    const pid = answer?.reply.status?.pid;
    if (!pid) continue;
    await control(paths, { op: 'stop', force: true }).catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Writes a tree of files: keys are relative paths, values are contents. */
export async function writeTree(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(root, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

export interface CapturedLog {
  entries: Record<string, unknown>[];
  logger: Logger;
}

export function captureLogger(): CapturedLog {
  const entries: Record<string, unknown>[] = [];
  return { entries, logger: createLogger({ level: 'debug', sink: (_line, entry) => entries.push(entry) }) };
}

export interface TestSuite extends Suite {
  log: CapturedLog;
  project: string;
  dataDir: string;
}

/** A suite whose allowed root is a fresh project dir and whose data dir is fresh too. */
export async function testSuite(
  t: { after(fn: () => Promise<void> | void): void },
  options: {
    env?: Record<string, string>;
    flags?: ConfigFlags;
    files?: Record<string, string | Buffer>;
    suite?: SuiteOptions;
  } = {},
): Promise<TestSuite> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'caelum-test-'));
  const project = path.join(base, 'project');
  const dataDir = path.join(base, 'data');
  await mkdir(project, { recursive: true });
  await writeTree(
    project,
    options.files ?? {
      'src/index.ts': 'export function add(a: number, b: number) {\n  return a > 0 ? a + b : b;\n}\n',
    },
  );
  // The default mounted servers are off unless a test turns them on (tests/mounts covers them).
  const env = {
    HOME: base,
    CAELUM_DATA_DIR: dataDir,
    CAELUM_ALLOWED_ROOTS: project,
    CAELUM_MOUNT_DEFAULTS: '0',
    ...options.env,
  };
  const { config } = loadConfig(options.flags ?? {}, env, project);
  const log = captureLogger();
  const created = createSuite(config, { logger: log.logger, ...options.suite });
  // close() may be called by the test and again here; the suite is closed once.
  let closing: Promise<void> | undefined;
  const suite = { ...created, close: () => (closing ??= created.close()) };
  // The suite goes before its files do: its first-start sample load may still be writing the data dir.
  t.after(async () => {
    await suite.close();
    await stopServicesUnder(base);
    await rm(base, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });
  return { ...suite, log, project, dataDir };
}

export async function connectClient(
  t: { after(fn: () => Promise<void> | void): void },
  suite: Suite,
  options: ServerOptions = {},
): Promise<Client> {
  const { server, close } = createServer(suite, options);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'caelum-test', version: '0.0.0' }, { capabilities: {} });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  t.after(async () => {
    await client.close();
    await close();
  });
  return client;
}

export function textOf(result: object): string {
  const content = ((result as { content?: unknown }).content ?? []) as { type: string; text?: string }[];
  return content.map((c) => c.text ?? '').join('\n');
}

export const pgUrl = process.env.CAELUM_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** pgUrl with `schema` first on the search path, so what the code under test creates unqualified lands there. */
export function pgSchemaUrl(schema: string): string {
  const url = new URL(pgUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** Resolves whether PostgreSQL answers; CI sets CAELUM_REQUIRE_PG=1 so a missing server fails instead of skipping. */
export async function postgresAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return { ok: true };
  } catch (error) {
    const reason = `PostgreSQL not reachable at ${pgUrl}: ${(error as Error).message}`;
    if (process.env.CAELUM_REQUIRE_PG === '1')
      throw new Error(`${reason} (CAELUM_REQUIRE_PG=1 makes this a failure)`, { cause: error });
    return { ok: false, reason };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A fresh PostgreSQL schema for one test, dropped afterwards, with an admin client connected to it;
 * undefined when PostgreSQL is not reachable (the caller skips with `reason`).
 */
export async function pgSchema(
  t: { after(fn: () => Promise<void> | void): void },
  prefix: string,
): Promise<{ ok: true; admin: import('pg').Client; schema: string } | { ok: false; reason: string }> {
  const available = await postgresAvailable();
  if (!available.ok) return available;
  const pg = (await import('pg')).default;
  const schema = `${prefix}_${process.pid}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  t.after(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  return { ok: true, admin, schema };
}
