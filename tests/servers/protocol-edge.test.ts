// The MCP edge held to the spec: invalid params of any method are -32602 with one line, the
// capabilities match what the transport can deliver, and logging/setLevel filters per session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  EmptyResultSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { serveHttp } from '../../servers/http.js';
import { createServer } from '../../servers/mcp-server.js';
import type { Suite } from '../../servers/composition.js';
import { defineTool, type AnyTool } from '../../tools/define-tool.js';
import { connectClient, testSuite } from '../helpers.js';

async function connect(
  t: { after(fn: () => Promise<void>): void },
  suite: Suite,
  options?: { notifications?: boolean },
): Promise<Client> {
  const { server, close } = createServer(suite, options);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'edge-test', version: '0' });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  t.after(async () => {
    await client.close();
    await close();
  });
  return client;
}

/** Sends a request as written (the client does not check params) and returns the JSON-RPC error. */
async function errorOf(client: Client, method: string, params: Record<string, unknown>): Promise<McpError> {
  try {
    await client.request({ method, params } as never, z.object({}).passthrough());
  } catch (error) {
    assert.ok(error instanceof McpError, `${method}: ${String(error)}`);
    return error;
  }
  assert.fail(`${method} succeeded`);
}

test('invalid params of any method are -32602 with one line naming the field and its valid values', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['tools/call', { arguments: {} }, /^Invalid params for tools\/call: params\.name is required \(string\)$/],
    [
      'logging/setLevel',
      { level: 'loud' },
      /^Invalid params for logging\/setLevel: params\.level must be one of "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"; got "loud"$/,
    ],
    ['resources/read', {}, /^Invalid params for resources\/read: params\.uri is required \(string\)$/],
    [
      'prompts/get',
      { name: 'write_poem' },
      /^name: no prompt named "write_poem"; prompts: security_review, review_changes, market_briefing, cost_savings$/,
    ],
    [
      'completion/complete',
      { ref: { type: 'ref/tool', name: 'x' }, argument: { name: 'a', value: '' } },
      /^Invalid params for completion\/complete: params\.ref\.type must be one of "ref\/prompt", "ref\/resource"; got "ref\/tool"$/,
    ],
    [
      'completion/complete',
      { ref: { type: 'ref/prompt', name: 'nope' }, argument: { name: 'a', value: '' } },
      /^name: no prompt named "nope"; prompts: /,
    ],
    [
      'tools/call',
      { name: 'findTools', arguments: 'not an object' },
      /^Invalid params for tools\/call: params\.arguments must be an object, not "not an object"$/,
    ],
  ];
  for (const [method, params, pattern] of cases) {
    const error = await errorOf(client, method, params);
    assert.equal(error.code, -32602, `${method} ${JSON.stringify(params)}: ${error.message}`);
    const message = error.message.replace(/^MCP error -32602: /, '');
    assert.match(message, pattern, method);
    assert.ok(!message.includes('\n'), `${method}: one line`);
  }
  // The server keeps serving, and a valid call of the same method works.
  await client.request({ method: 'logging/setLevel', params: { level: 'error' } }, EmptyResultSchema);
});

test('with notifications, the server advertises and sends list_changed; without, it advertises neither', async (t) => {
  const suite = await testSuite(t);
  const live = await connect(t, suite);
  const stateless = await connect(t, suite, { notifications: false });
  assert.deepEqual(live.getServerCapabilities()?.tools, { listChanged: true });
  assert.deepEqual(live.getServerCapabilities()?.resources, { listChanged: true, subscribe: true });
  assert.deepEqual(stateless.getServerCapabilities()?.tools, {});
  assert.deepEqual(stateless.getServerCapabilities()?.resources, {});
  for (const client of [live, stateless]) {
    assert.ok(client.getServerCapabilities()?.prompts);
    assert.ok(client.getServerCapabilities()?.completions);
    assert.ok(client.getServerCapabilities()?.logging);
  }
  const seen = { live: 0, stateless: 0 };
  live.setNotificationHandler(ToolListChangedNotificationSchema, () => void seen.live++);
  stateless.setNotificationHandler(ToolListChangedNotificationSchema, () => void seen.stateless++);
  const error = await errorOf(stateless, 'resources/subscribe', { uri: 'caelum://catalog' });
  assert.equal(error.code, -32601, 'subscribe is not offered where updates cannot be delivered');
  suite.registry.add(
    defineTool({
      name: 'monitoring_noop_test',
      domain: 'monitoring',
      tags: ['test'],
      title: 'No-op (test)',
      description: 'Does nothing; added to change the catalogue in a test.',
      kind: { effect: 'readOnly' },
      input: z.object({}),
      output: z.object({}),
      examples: [{}],
      handler: async () => ({}),
    }) as unknown as AnyTool,
  );
  await live.ping(); // the notification is sent before the ping's answer
  assert.deepEqual(seen, { live: 1, stateless: 0 });
});

test('over stateless HTTP, initialize advertises no subscribe and no list_changed', async (t) => {
  const suite = await testSuite(t);
  const served = await serveHttp(suite, { host: '127.0.0.1', port: 0 });
  t.after(() => served.close());
  const client = new Client({ name: 'http-edge', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(served.url)));
  t.after(() => client.close());
  const capabilities = client.getServerCapabilities()!;
  assert.deepEqual(capabilities.tools, {});
  assert.deepEqual(capabilities.resources, {});
  assert.deepEqual(Object.keys(capabilities).sort(), ['completions', 'logging', 'prompts', 'resources', 'tools']);
});

function noisyTool() {
  return defineTool({
    name: 'monitoring_log_levels_test',
    domain: 'monitoring',
    tags: ['test'],
    title: 'Log at every level (test)',
    description: 'Logs one message at each level and returns; used to test logging/setLevel.',
    kind: { effect: 'readOnly' },
    input: z.object({}),
    output: z.object({ ok: z.boolean() }),
    examples: [{}],
    async handler(_input, context) {
      context.logger.debug('step_debug');
      context.logger.info('step_info');
      context.logger.warn('step_warning');
      context.logger.error('step_error');
      return { ok: true };
    },
  }) as unknown as AnyTool;
}

test('logging/setLevel filters what each session is sent; the default is warning and above', async (t) => {
  const tool = noisyTool();
  const suite = await testSuite(t, { suite: { extraTools: [tool] } });
  const sessions = {
    untouched: await connect(t, suite),
    quiet: await connect(t, suite),
    verbose: await connect(t, suite),
  };
  await sessions.quiet.setLoggingLevel('error');
  await sessions.verbose.setLoggingLevel('debug');
  const received: Record<string, string[]> = {};
  for (const [name, client] of Object.entries(sessions)) {
    received[name] = [];
    client.setNotificationHandler(
      LoggingMessageNotificationSchema,
      (n) => void received[name]!.push(`${n.params.level}:${(n.params.data as { event: string }).event}`),
    );
    await client.callTool({ name: 'runTool', arguments: { name: tool.name } });
  }
  const events = (name: string) => received[name]!.filter((e) => e.includes(':step_'));
  assert.deepEqual(events('untouched'), ['warning:step_warning', 'error:step_error']);
  assert.deepEqual(events('quiet'), ['error:step_error']);
  assert.deepEqual(events('verbose'), [
    'debug:step_debug',
    'info:step_info',
    'warning:step_warning',
    'error:step_error',
  ]);
});
