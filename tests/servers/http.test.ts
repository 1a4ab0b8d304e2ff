// Streamable HTTP: the SDK client end to end, and the DNS-rebinding defences with raw requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { serveHttp } from '../../servers/http.js';
import { testSuite, textOf } from '../helpers.js';

async function endpoint(t: { after(fn: () => Promise<void>): void }, files?: Record<string, string>) {
  const suite = await testSuite(t, files ? { files } : {});
  const served = await serveHttp(suite, { host: '127.0.0.1', port: 0 });
  t.after(() => served.close());
  return { suite, served };
}

function raw(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/mcp',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body ?? '');
  });
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
});

test('the SDK client lists and calls tools over Streamable HTTP, with progress', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 60; i++) files[`src/f${i}.ts`] = `export const f${i} = (x: number) => x;\n`;
  const { served } = await endpoint(t, files);
  const client = new Client({ name: 'http-test', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(served.url)));
  t.after(() => client.close());
  const { tools } = await client.listTools();
  assert.deepEqual(
    tools.map((tool) => tool.name),
    [
      'analyzeAndImproveCode',
      'assessModel',
      'backtestStrategy',
      'buildKnowledgeSnapshot',
      'delegateTask',
      'findTools',
      'generateMarketSignals',
      'getCostReport',
      'getFleetHealth',
      'getPoolStatus',
      'getSnapshotStatus',
      'getSystemStatus',
      'manageAlerts',
      'managePool',
      'manageTrainingJob',
      'predictSymbol',
      'prepareDataset',
      'queryKnowledgeGraph',
      'recallFacts',
      'rememberFacts',
      'reviewChanges',
      'runRemediation',
      'runTool',
      'searchKnowledge',
    ],
  );
  let progress = 0;
  const result = await client.callTool(
    { name: 'runTool', arguments: { name: 'development_analyze_complexity', arguments: { path: '.' } } },
    undefined,
    { onprogress: () => void progress++ },
  );
  assert.match(textOf(result), /60 files, 60 functions/);
  assert.ok(progress >= 2, `saw ${progress} progress notifications`);
  const bad = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_analyze_complexity', arguments: { path: '/etc' } },
  });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /^arguments\.path: \/etc is outside the allowed roots/);
});

test('a foreign Host header or Origin is refused with 403 (DNS rebinding)', async (t) => {
  const { served } = await endpoint(t);
  const rebinding = await raw(served.port, { headers: { host: 'evil.example:80' }, body: initialize });
  assert.equal(rebinding.status, 403);
  const origin = await raw(served.port, { headers: { origin: 'http://evil.example' }, body: initialize });
  assert.equal(origin.status, 403);
  const otherPort = await raw(served.port, { headers: { origin: 'http://localhost:1' }, body: initialize });
  assert.equal(otherPort.status, 403);
  const local = await raw(served.port, { headers: { origin: `http://localhost:${served.port}` }, body: initialize });
  assert.equal(local.status, 200);
  assert.match(local.body, /"serverInfo"/);
});

test('stateless: GET and DELETE are 405, bad JSON is a -32700 parse error, and the endpoint is /mcp', async (t) => {
  const { served } = await endpoint(t);
  assert.equal((await raw(served.port, { method: 'GET' })).status, 405);
  assert.equal((await raw(served.port, { method: 'DELETE' })).status, 405);
  const parse = await raw(served.port, { body: '{oops' });
  assert.equal(parse.status, 400);
  assert.equal(JSON.parse(parse.body).error.code, -32700);
  assert.equal((await raw(served.port, { path: '/other', body: initialize })).status, 404);
  const health = await raw(served.port, { method: 'GET', path: '/health' });
  assert.equal(JSON.parse(health.body).ok, true);
  const after = await raw(served.port, { body: initialize });
  assert.equal(after.status, 200, 'still serving');
});
