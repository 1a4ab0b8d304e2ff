// Service probes against real peers: PostgreSQL on this machine, and loopback HTTP servers that
// answer as Ollama and as the Claude API do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pgUrl, postgresAvailable, testSuite } from '../helpers.js';

async function loopback(t: { after(fn: () => Promise<void>): void }, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

type Row = { service: string; name: string; configured: boolean; reachable: boolean; detail: string; target: string };

async function services(
  suite: Awaited<ReturnType<typeof testSuite>>,
): Promise<{ rows: Row[]; text: string; missing: { what: string; fix: string }[] }> {
  const result = await suite.dispatcher.call('getSystemStatus', { timeoutMs: 1500 });
  assert.equal(result.isError, false, result.text);
  const content = result.structuredContent as { services: Row[]; missing: { what: string; fix: string }[] };
  return { rows: content.services, text: result.text + JSON.stringify(content), missing: content.missing };
}

test('an Ollama host is reachable when /api/version answers, and down when its port is closed', async (t) => {
  const ollama = await loopback(t, (req, res) => {
    if (req.url === '/api/version')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"0.12.6"}');
    else res.writeHead(404).end();
  });
  const dead = `http://127.0.0.1:${await closedPort()}`;
  const suite = await testSuite(t, { env: { CAELUM_OLLAMA_HOSTS: `gpu1=${ollama},gpu2=${dead}` } });
  const { rows, missing } = await services(suite);
  const gpu1 = rows.find((r) => r.name === 'gpu1')!;
  const gpu2 = rows.find((r) => r.name === 'gpu2')!;
  assert.deepEqual([gpu1.reachable, gpu1.detail], [true, 'Ollama 0.12.6']);
  assert.equal(gpu2.reachable, false);
  assert.match(gpu2.detail, /ECONNREFUSED/);
  assert.ok(missing.some((m) => /gpu2 unreachable/.test(m.what) && /ollama serve/.test(m.fix)));
});

test('a host that answers but is not Ollama is reported as such', async (t) => {
  const other = await loopback(t, (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html>router login</html>'),
  );
  const suite = await testSuite(t, { env: { CAELUM_OLLAMA_HOSTS: other } });
  const { rows } = await services(suite);
  const row = rows.find((r) => r.service === 'ollama')!;
  assert.equal(row.reachable, false);
  assert.match(row.detail, /not Ollama JSON/);
});

test('a stalled host is cut off at the deadline', async (t) => {
  const stalled = await loopback(t, () => undefined);
  const suite = await testSuite(t, { env: { CAELUM_OLLAMA_HOSTS: stalled } });
  const started = performance.now();
  const result = await suite.dispatcher.call('runTool', {
    name: 'infrastructure_check_services',
    arguments: { timeoutMs: 300 },
  });
  assert.ok(performance.now() - started < 2500);
  const row = (result.structuredContent as any).result.services.find((r: Row) => r.service === 'ollama');
  assert.equal(row.reachable, false);
});

test('the Claude endpoint is probed without sending the key, and the key never appears in the result', async (t) => {
  const seen: http.IncomingHttpHeaders[] = [];
  const claude = await loopback(t, (req, res) => {
    seen.push(req.headers);
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end('{"type":"error","error":{"type":"not_found_error","message":"Not found"}}');
  });
  const key = 'sk-ant-api03-supersecretvalue123';
  const suite = await testSuite(t, { env: { ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: claude } });
  const { rows, text } = await services(suite);
  const row = rows.find((r) => r.service === 'claude')!;
  assert.equal(row.reachable, true);
  assert.equal(seen.length, 1);
  assert.ok(!JSON.stringify(seen).includes(key), 'the key is not sent');
  assert.ok(!text.includes(key), 'the key is not in the result');
});

test('PostgreSQL from DATABASE_URL is probed for real; a wrong port is reported with the fix', async (t) => {
  const available = await postgresAvailable();
  if (!available.ok) return t.skip(available.reason);
  const withPassword = pgUrl.replace('postgres://postgres@', 'postgres://postgres:hunter2@');
  const suite = await testSuite(t, { env: { DATABASE_URL: withPassword } });
  const { rows, text } = await services(suite);
  const row = rows.find((r) => r.service === 'postgresql')!;
  assert.equal(row.reachable, true, row.detail);
  assert.match(row.detail, /PostgreSQL \d+/);
  assert.ok(!text.includes('hunter2'), 'the password is not in the result');

  const wrong = await testSuite(t, {
    env: { DATABASE_URL: `postgres://postgres:hunter2@127.0.0.1:${await closedPort()}/test` },
  });
  const down = await services(wrong);
  assert.equal(down.rows.find((r) => r.service === 'postgresql')!.reachable, false);
  assert.ok(down.missing.some((m) => /PostgreSQL unreachable/.test(m.what)));
  assert.ok(!down.text.includes('hunter2'));
});

test('with nothing configured, status says what is missing and how to fix it', async (t) => {
  const suite = await testSuite(t);
  const { rows, missing } = await services(suite);
  assert.deepEqual(
    rows.filter((r) => r.configured).map((r) => r.service),
    ['data-dir'],
  );
  assert.deepEqual(missing.map((m) => m.what).sort(), ['no Claude API key', 'no DATABASE_URL', 'no Ollama host']);
  assert.ok(missing.every((m) => m.fix.length > 10));
});

test('an OpenAI-compatible host is probed at /v1/models, never with its key', async (t) => {
  const { OpenAiPeer } = await import('../peers/openai-peer.js');
  const open = new OpenAiPeer();
  const keyed = new OpenAiPeer({ apiKey: 'sk-probe-secret' });
  await Promise.all([open.start(), keyed.start()]);
  t.after(() => Promise.all([open.stop(), keyed.stop()]).then(() => undefined));
  const suite = await testSuite(t, {
    env: { CAELUM_OPENAI_HOSTS: `vllm1=${open.url},vllm2=${keyed.url}`, CAELUM_OPENAI_API_KEY: 'sk-probe-secret' },
  });
  const { rows, text } = await services(suite);
  const vllm1 = rows.find((r) => r.name === 'vllm1')!;
  const vllm2 = rows.find((r) => r.name === 'vllm2')!;
  assert.equal(vllm1.reachable, true);
  assert.match(vllm1.detail, /^OpenAI-compatible API/);
  assert.equal(vllm2.reachable, true);
  assert.match(vllm2.detail, /HTTP 401: needs its key, not sent here/);
  assert.ok(keyed.requests.every((r) => r.authorization === undefined));
  assert.doesNotMatch(text, /sk-probe-secret/);
});

test('an OpenAI-compatible host that refuses the configured key is reported broken, not up', async (t) => {
  const { OpenAiPeer } = await import('../peers/openai-peer.js');
  const keyed = new OpenAiPeer({ apiKey: 'sk-right-key' });
  await keyed.start();
  t.after(() => keyed.stop());
  const suite = await testSuite(t, {
    env: { CAELUM_OPENAI_HOSTS: `vllm1=${keyed.url}`, CAELUM_OPENAI_API_KEY: 'sk-wrong-key' },
  });
  await suite.pool.reprobe();
  const { rows, text } = await services(suite);
  const vllm1 = rows.find((r) => r.name === 'vllm1')!;
  assert.equal(vllm1.reachable, false);
  assert.match(vllm1.detail, /refuses the configured key .*set the host's apiKey or CAELUM_OPENAI_API_KEY/);
  assert.doesNotMatch(text, /sk-wrong-key|sk-right-key/);
});
