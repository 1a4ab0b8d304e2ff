// infrastructure_check_services: can Caelum reach what it is configured to use? Ollama hosts are
// asked for their version, OpenAI-compatible hosts for their models, PostgreSQL for `select
// version()`, Claude's endpoint for any HTTP answer (no key is ever sent). Every probe has a
// deadline and honours cancellation.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { redactUrl } from '../redact.js';

const serviceRow = z.object({
  service: z.enum(['ollama', 'postgresql', 'claude', 'data-dir']),
  name: z.string(),
  target: z.string().describe('where it was probed, with any credentials removed'),
  configured: z.boolean(),
  reachable: z.boolean(),
  latencyMs: z.number().optional(),
  detail: z.string(),
});
type ServiceRow = z.infer<typeof serviceRow>;

async function timed<T>(work: () => Promise<T>): Promise<{ value?: T; error?: Error; latencyMs: number }> {
  const started = performance.now();
  try {
    const value = await work();
    return { value, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { error: error as Error, latencyMs: Math.round(performance.now() - started) };
  }
}

function reason(error: Error | undefined): string {
  if (!error) return 'unknown error';
  const code = (error as NodeJS.ErrnoException).code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return code ? `${code}: ${error.message}` : error.message;
}

// undici and pg load on first use: they cost ~65 ms of start-up that most sessions never need.
async function probeHttp(
  url: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  const { request } = await import('undici');
  // Credentials in the URL (a proxy with basic auth) go as a header, as the pool sends them.
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const response = await request(parsed.toString(), {
    method: 'GET',
    ...(user || password
      ? { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } }
      : {}),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
  });
  const body = (await response.body.text()).slice(0, 500);
  return { status: response.statusCode, body };
}

/**
 * A host that speaks the OpenAI API (vLLM, llama.cpp, LM Studio) is asked GET /v1/models without
 * its key: the key is never sent from here, so a 401 or 403 still says the server is up and
 * speaks that API.
 */
async function probeOpenAi(
  host: { name: string; url: string },
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ServiceRow> {
  const result = await timed(() =>
    probeHttp(
      new URL('v1/models', `${host.url.replace(/\/v1\/?$/, '').replace(/\/?$/, '/')}`).toString(),
      timeoutMs,
      signal,
    ),
  );
  const base = {
    service: 'ollama' as const,
    name: host.name,
    target: redactUrl(host.url),
    configured: true,
    latencyMs: result.latencyMs,
  };
  if (result.error) return { ...base, reachable: false, detail: reason(result.error) };
  const { status, body } = result.value!;
  if (status === 401 || status === 403)
    return { ...base, reachable: true, detail: `OpenAI-compatible API (HTTP ${status}: needs its key, not sent here)` };
  if (status !== 200) return { ...base, reachable: false, detail: `HTTP ${status} from /v1/models` };
  try {
    const models = (JSON.parse(body) as { data?: unknown }).data;
    if (!Array.isArray(models)) throw new Error('no data');
    return { ...base, reachable: true, detail: `OpenAI-compatible API, ${models.length} models` };
  } catch {
    // The body is cut at 500 characters: a long list is still the API's answer.
    if (/^\s*\{\s*"(object|data)"/.test(body)) return { ...base, reachable: true, detail: 'OpenAI-compatible API' };
    return { ...base, reachable: false, detail: 'answered /v1/models with something that is not the OpenAI API' };
  }
}

/**
 * The key is never sent from here, so a 401 only says the server is up. The pool does send it:
 * when the pool's last probe of an OpenAI-compatible host was refused for its key, the row says so.
 */
function keyRefused(
  row: ServiceRow,
  host: { name: string; api?: 'ollama' | 'openai' },
  pool: { hosts: { name: string; lastError?: string | undefined }[] },
): ServiceRow {
  if (host.api !== 'openai' || !row.reachable) return row;
  const lastError = pool.hosts.find((h) => h.name === host.name)?.lastError;
  if (!lastError || !/refused the API key/.test(lastError)) return row;
  return {
    ...row,
    reachable: false,
    detail: `OpenAI-compatible API that refuses the configured key (${lastError}); set the host's apiKey or CAELUM_OPENAI_API_KEY`,
  };
}

async function probeOllama(
  host: { name: string; url: string; api?: 'ollama' | 'openai' },
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ServiceRow> {
  if (host.api === 'openai') return probeOpenAi(host, timeoutMs, signal);
  const result = await timed(() => probeHttp(new URL('/api/version', host.url).toString(), timeoutMs, signal));
  const base = {
    service: 'ollama' as const,
    name: host.name,
    target: redactUrl(host.url),
    configured: true,
    latencyMs: result.latencyMs,
  };
  if (result.error) return { ...base, reachable: false, detail: reason(result.error) };
  const { status, body } = result.value!;
  if (status !== 200) return { ...base, reachable: false, detail: `HTTP ${status} from /api/version` };
  let version = 'unknown';
  try {
    version = String((JSON.parse(body) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return { ...base, reachable: false, detail: 'answered /api/version with something that is not Ollama JSON' };
  }
  return { ...base, reachable: true, detail: `Ollama ${version}` };
}

async function probePostgres(url: string, timeoutMs: number): Promise<ServiceRow> {
  const base = { service: 'postgresql' as const, name: 'DATABASE_URL', target: redactUrl(url), configured: true };
  const result = await timed(async () => {
    const pg = (await import('pg')).default;
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const rows = await client.query<{ version: string }>('select version() as version');
      return rows.rows[0]?.version ?? 'unknown';
    } finally {
      await client.end().catch(() => undefined);
    }
  });
  if (result.error) return { ...base, reachable: false, latencyMs: result.latencyMs, detail: reason(result.error) };
  return {
    ...base,
    reachable: true,
    latencyMs: result.latencyMs,
    detail: result.value!.split(' on ')[0] ?? result.value!,
  };
}

async function probeClaude(baseUrl: string, timeoutMs: number, signal: AbortSignal): Promise<ServiceRow> {
  const base = { service: 'claude' as const, name: 'Claude API', target: redactUrl(baseUrl), configured: true };
  const result = await timed(() => probeHttp(baseUrl, timeoutMs, signal));
  if (result.error) return { ...base, reachable: false, latencyMs: result.latencyMs, detail: reason(result.error) };
  return {
    ...base,
    reachable: true,
    latencyMs: result.latencyMs,
    detail: `endpoint answered HTTP ${result.value!.status} (key not sent)`,
  };
}

async function probeDataDir(dataDir: string): Promise<ServiceRow> {
  const base = { service: 'data-dir' as const, name: 'data directory', target: dataDir, configured: true };
  const result = await timed(async () => {
    await mkdir(dataDir, { recursive: true });
    const temporary = path.join(dataDir, `.probe-${randomUUID()}.tmp`);
    await writeFile(temporary, 'ok');
    await rename(temporary, `${temporary}.done`);
    await rm(`${temporary}.done`);
  });
  if (result.error)
    return { ...base, reachable: false, latencyMs: result.latencyMs, detail: `not writable: ${reason(result.error)}` };
  return { ...base, reachable: true, latencyMs: result.latencyMs, detail: 'writable (temp file + rename)' };
}

export const checkServices = defineTool({
  name: 'infrastructure_check_services',
  domain: 'infrastructure',
  tags: ['services', 'reachability', 'health', 'ollama', 'postgresql', 'claude', 'status'],
  requests: [
    'are the configured services up',
    'can we reach PostgreSQL, Ollama and Claude',
    'why is the database connection failing',
    'connectivity check for every configured service',
    'is Claude reachable from this server',
    'is the data directory writable',
    'can we connect to Postgres',
  ],
  title: 'Check configured services',
  description:
    'Probes every service Caelum is configured to use and reports whether each is reachable, with latency: each Ollama host (GET /api/version), PostgreSQL from DATABASE_URL (select version()), the Claude API endpoint (any HTTP answer; the key is never sent), and that the data directory is writable. Services that are not configured are listed as such. Use it to find out why LLM or database work is failing. Example: {"timeoutMs": 2000}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(30000)
      .default(2000)
      .describe('Deadline for each probe in milliseconds. Default 2000.'),
  }),
  output: z.object({ services: z.array(serviceRow) }),
  examples: [{ timeoutMs: 1000 }],
  async handler(input, context) {
    const { services, dataDir } = context.environment;
    const probes: Promise<ServiceRow>[] = [probeDataDir(dataDir)];
    for (const host of services.ollamaHosts)
      probes.push(
        probeOllama(host, input.timeoutMs, context.signal).then((row) => keyRefused(row, host, context.pool.status())),
      );
    if (services.ollamaHosts.length === 0) {
      probes.push(
        Promise.resolve({
          service: 'ollama',
          name: 'Ollama hosts',
          target: '-',
          configured: false,
          reachable: false,
          detail: 'no Ollama host configured',
        }),
      );
    }
    probes.push(
      services.databaseUrl
        ? probePostgres(services.databaseUrl, input.timeoutMs)
        : Promise.resolve({
            service: 'postgresql',
            name: 'DATABASE_URL',
            target: '-',
            configured: false,
            reachable: false,
            detail: 'not set; the embedded JSONL ledger is used',
          }),
    );
    const claudeBase = services.claude.baseUrl ?? 'https://api.anthropic.com';
    probes.push(
      services.claude.keyConfigured
        ? probeClaude(claudeBase, input.timeoutMs, context.signal)
        : Promise.resolve({
            service: 'claude',
            name: 'Claude API',
            target: redactUrl(claudeBase),
            configured: false,
            reachable: false,
            detail: 'ANTHROPIC_API_KEY not set; no Claude fallback',
          }),
    );
    const rows = await Promise.all(probes);
    context.signal.throwIfAborted();
    return { services: rows };
  },
  summarize: (o) =>
    o.services
      .map(
        (s) =>
          `${s.configured ? (s.reachable ? 'ok  ' : 'FAIL') : '--  '} ${s.service} ${s.name} ${s.target}: ${s.detail}${s.latencyMs !== undefined ? ` (${s.latencyMs} ms)` : ''}`,
      )
      .join('\n'),
});
