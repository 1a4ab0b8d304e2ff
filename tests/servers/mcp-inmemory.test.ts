// A real SDK Client against the real server in one process, over InMemoryTransport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { defineTool, type AnyTool } from '../../tools/define-tool.js';
import { connectClient, testSuite, textOf } from '../helpers.js';

/** The fifteen high-level tools there are today; the rest of the 20 KB is for supervisors to come. */
const todaysTools = [
  'analyzeAndImproveCode',
  'buildKnowledgeSnapshot',
  'findTools',
  'generateMarketSignals',
  'getCostReport',
  'getPoolStatus',
  'getSnapshotStatus',
  'getSystemStatus',
  'managePool',
  'queryKnowledgeGraph',
  'recallFacts',
  'rememberFacts',
  'reviewChanges',
  'runTool',
  'searchKnowledge',
];

test('tools/list is deterministic, small, and every tool has annotations and an outputSchema', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  const first = await client.listTools();
  const second = await client.listTools();
  assert.deepEqual(first, second);
  const names = first.tools.map((tool) => tool.name);
  assert.deepEqual(names, [...names].sort());
  assert.ok(todaysTools.every((name) => names.includes(name)));
  // The agent-visible footprint: at most 24 high-level tools in at most 20 KB (about 5k tokens of
  // an agent's context), whatever supervisors are added; today's fifteen fit in 11.75 KB (they took
  // 19.5 KB before output schemas became field names and descriptions were tightened; 14.4 KB once
  // results gained call outcomes, tier status, build coverage and findTools' ranking fields).
  // 24 with delegateTask (issue 20), whose description and input are kept to ~0.7 KB.
  assert.ok(first.tools.length <= 24, `${first.tools.length} high-level tools`);
  assert.ok(names.includes('delegateTask'));
  const bytes = JSON.stringify(first).length;
  assert.ok(bytes <= 20 * 1024, `tools/list is ${bytes} bytes`);
  const today = JSON.stringify({ tools: first.tools.filter((tool) => todaysTools.includes(tool.name)) }).length;
  // 14.0 KB after issue 17; 11.5 KB once titles, numeric bounds and optional output field names left
  // tools/list and descriptions lost repeats, to make room for the monitoring tools (issue 19); 11.8 KB
  // since getCostReport takes cost-avoidance inputs (issue 19).
  assert.ok(today <= 12 * 1024, `today's fifteen tools take ${today} bytes`);
  for (const tool of first.tools) {
    assert.equal(tool.inputSchema.type, 'object', tool.name);
    assert.equal(tool.outputSchema?.type, 'object', tool.name);
    assert.ok(Object.keys(tool.outputSchema?.properties ?? {}).length > 0, `${tool.name} names its result fields`);
    assert.ok(tool.description!.includes('Example: {'), `${tool.name} shows an example`);
    assert.equal(typeof tool.annotations?.readOnlyHint, 'boolean', tool.name);
    assert.equal(typeof tool.annotations?.openWorldHint, 'boolean', tool.name);
    if (!tool.annotations?.readOnlyHint) assert.equal(typeof tool.annotations?.destructiveHint, 'boolean', tool.name);
  }
  const status = first.tools.find((tool) => tool.name === 'getSystemStatus')!;
  assert.deepEqual(status.annotations, { readOnlyHint: true, openWorldHint: true });
  const manage = first.tools.find((tool) => tool.name === 'managePool')!;
  assert.deepEqual(manage.annotations, {
    readOnlyHint: false,
    openWorldHint: true,
    destructiveHint: true,
  });
});

test('a tool call returns text, structuredContent (validated by the SDK client) and an execution block', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  await client.listTools(); // the client caches output schemas and validates structuredContent against them
  const result = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_analyze_complexity', arguments: { path: 'src' } },
  });
  assert.equal(result.isError, undefined);
  assert.match(textOf(result), /1 files, 1 functions; average complexity 2/);
  const structured = result.structuredContent as {
    tool: string;
    result: { functions: { name: string }[] };
    execution: { steps: { tool: string }[] };
  };
  assert.equal(structured.result.functions[0]!.name, 'add');
  assert.deepEqual(
    structured.execution.steps.map((s) => s.tool),
    ['development_analyze_complexity'],
  );
});

test('bad calls get isError with a message naming the field, and the server keeps serving', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  const cases: [string, unknown, RegExp][] = [
    ['noSuchTool', {}, /^name: no tool named "noSuchTool"/],
    ['findTools', { limit: 'ten' }, /^limit: .*expected number/],
    ['findTools', { domain: 'cooking' }, /^domain: .*expected one of/],
    [
      'runTool',
      { name: 'development_get_project_structure', arguments: { path: '/' } },
      /^arguments\.path: \/ is outside the allowed roots/,
    ],
    [
      'runTool',
      { name: 'development_get_project_structure', arguments: { path: 'z'.repeat(1_100_000) } },
      /^arguments\.path: string of 1100000 characters is over the 1 MiB limit/,
    ],
    ['runTool', { arguments: {} }, /^name: .*expected string/],
  ];
  for (const [name, args, pattern] of cases) {
    const result = await client.callTool({ name, arguments: args as Record<string, unknown> });
    assert.equal(result.isError, true, name);
    assert.match(textOf(result), pattern, name);
  }
});

test('1,000 malformed calls are answered with errors, then a valid call succeeds', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  const shapes = [
    { name: 'findTools', arguments: { limit: -1 } },
    { name: 'runTool', arguments: { name: 42 } },
    { name: 'runTool', arguments: { name: 'x', arguments: 'not an object' } },
    { name: 'getCostReport', arguments: { groupBy: 'planet' } },
    { name: '', arguments: {} },
  ];
  const results = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => client.callTool(shapes[i % shapes.length]!)),
  );
  assert.equal(results.filter((r) => r.isError === true).length, 1000);
  const ok = await client.callTool({ name: 'findTools', arguments: { query: 'complexity' } });
  assert.equal(ok.isError, undefined);
  assert.match(textOf(ok), /development_analyze_complexity/);
});

test('progress notifications arrive for calls that report progress', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 120; i++) files[`src/f${i}.ts`] = `export const f${i} = (x: number) => x;\n`;
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const seen: { progress: number; total?: number }[] = [];
  const result = await client.callTool(
    { name: 'runTool', arguments: { name: 'development_analyze_complexity', arguments: { path: '.' } } },
    undefined,
    {
      onprogress: (p) => seen.push({ progress: p.progress, total: p.total }),
    },
  );
  assert.equal(result.isError, undefined);
  assert.ok(seen.length >= 4, `saw ${seen.length} progress notifications`);
  assert.deepEqual(seen.at(-1), { progress: 120, total: 120 });
  assert.ok(
    seen.every((p, i) => i === 0 || p.progress > seen[i - 1]!.progress),
    'progress increases',
  );
});

test('cancelling a call aborts the handler on the server', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 400; i++) files[`src/f${i}.ts`] = `export function f${i}(x: number) { return x ? 1 : 2; }\n`;
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const controller = new AbortController();
  const call = client.callTool(
    { name: 'runTool', arguments: { name: 'development_analyze_complexity', arguments: { path: '.' } } },
    undefined,
    {
      signal: controller.signal,
      onprogress: () => controller.abort(),
    },
  );
  await assert.rejects(call, /abort/i);
  const deadline = Date.now() + 5000;
  while (!suite.log.entries.some((e) => e.event === 'tool_cancelled') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(
    suite.log.entries.some((e) => e.event === 'tool_cancelled'),
    'the handler saw the abort',
  );
  assert.ok(
    !suite.log.entries.some((e) => e.event === 'tool_completed' && e.tool === 'development_analyze_complexity'),
  );
});

test('ping, resources and logging work', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  await client.ping();
  const { resources } = await client.listResources();
  assert.deepEqual(
    resources.map((r) => r.uri),
    ['caelum://catalog', 'caelum://costs', 'caelum://kb/schema', 'caelum://kb/source'],
  );
  const schema = ((await client.readResource({ uri: 'caelum://kb/schema' })).contents[0] as { text: string }).text;
  assert.match(schema, /Country\(iso3\*/);
  assert.match(schema, /\(Statistic\)-\[CONTAGION \{weight:DOUBLE/);
  assert.ok(schema.length / 4 <= 1_500, `the schema resource is about ${Math.round(schema.length / 4)} tokens`);
  const catalogue = JSON.parse(
    ((await client.readResource({ uri: 'caelum://catalog' })).contents[0] as { text: string }).text,
  );
  assert.equal(catalogue.internal.length, suite.registry.size);
  assert.ok(catalogue.internal.every((tool: { inputSchema: { type: string } }) => tool.inputSchema.type === 'object'));
  const costs = JSON.parse(
    ((await client.readResource({ uri: 'caelum://costs' })).contents[0] as { text: string }).text,
  );
  assert.equal(costs.totals.calls, 0);
  await assert.rejects(client.readResource({ uri: 'caelum://nope' }), /uri: unknown resource/);
  await client.setLoggingLevel('warning');
});

test('warnings from a tool reach the client as MCP log messages', async (t) => {
  const noisy = defineTool({
    name: 'monitoring_warn_test_once',
    domain: 'monitoring',
    tags: ['test'],
    title: 'Warn once (test)',
    description: 'Logs one warning and returns; used to test that tool warnings reach the MCP client.',
    kind: { effect: 'readOnly' },
    input: z.object({}),
    output: z.object({ ok: z.boolean() }),
    examples: [{}],
    async handler(_input, context) {
      context.logger.warn('disk_nearly_full', { freeGiB: 0.5 });
      return { ok: true };
    },
  });
  const suite = await testSuite(t, { suite: { extraTools: [noisy as unknown as AnyTool] } });
  const client = await connectClient(t, suite);
  const messages: unknown[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void messages.push(n.params));
  await client.callTool({ name: 'runTool', arguments: { name: noisy.name } });
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(messages, [
    {
      level: 'warning',
      logger: 'caelum',
      data: { event: 'disk_nearly_full', freeGiB: 0.5, tool: 'monitoring_warn_test_once' },
    },
  ]);
});

test('a catalogue change sends tools/list_changed and, to a subscriber, a catalogue update; findTools sees the new tool', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  const before = (await client.listTools()).tools.find((tool) => tool.name === 'findTools')!.description!;
  let listChanged = 0;
  const updated: string[] = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
  await client.subscribeResource({ uri: 'caelum://catalog' });
  const added = defineTool({
    name: 'trading_compute_sharpe_ratio',
    domain: 'trading',
    tags: ['sharpe', 'returns'],
    title: 'Sharpe ratio',
    description: 'Computes the Sharpe ratio of a series of periodic returns against a risk-free rate.',
    kind: { effect: 'readOnly' },
    input: z.object({ returns: z.array(z.number()).min(2).describe('Periodic returns.') }),
    output: z.object({ sharpe: z.number() }),
    examples: [{ returns: [0.01, 0.02] }],
    async handler(input) {
      const mean = input.returns.reduce((a, b) => a + b, 0) / input.returns.length;
      const sd = Math.sqrt(input.returns.reduce((a, b) => a + (b - mean) ** 2, 0) / (input.returns.length - 1));
      return { sharpe: mean / sd };
    },
  });
  suite.registry.add(added as unknown as AnyTool);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(listChanged, 1);
  assert.deepEqual(updated, ['caelum://catalog']);
  const after = (await client.listTools()).tools.find((tool) => tool.name === 'findTools')!.description!;
  assert.notEqual(after, before);
  const trading = suite.registry.all().filter((tool) => tool.domain === 'trading').length;
  assert.match(after, new RegExp(`trading ${trading}\\b`));
  const found = await client.callTool({ name: 'findTools', arguments: { query: 'sharpe' } });
  assert.match(textOf(found), /trading_compute_sharpe_ratio/);
});
