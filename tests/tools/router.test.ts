// The internal router: validation at the boundary, the confirm rule, cancellation, and the three
// error channels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { defineTool, type AnyTool } from '../../tools/define-tool.js';
import { ToolError } from '../../tools/errors.js';
import { testSuite } from '../helpers.js';

const deleted: string[] = [];
const purge = defineTool({
  name: 'monitoring_purge_test_rows',
  domain: 'monitoring',
  tags: ['test'],
  title: 'Purge rows (test)',
  description: 'A destructive tool used by the router tests: deletes the named rows from a test list.',
  kind: { effect: 'destructive' },
  input: z.object({ rows: z.array(z.string()).min(1).describe('Rows to delete.') }),
  output: z.object({ deleted: z.number().int() }),
  examples: [{ rows: ['a'] }],
  async handler(input) {
    deleted.push(...input.rows);
    return { deleted: input.rows.length };
  },
});
const broken = defineTool({
  name: 'monitoring_break_test_output',
  domain: 'monitoring',
  tags: ['test'],
  title: 'Broken output (test)',
  description: 'Returns output that violates its own schema, or throws, to test how the router reports its own faults.',
  kind: { effect: 'readOnly' },
  input: z.object({ mode: z.enum(['schema', 'throw', 'tool-error']).describe('How to fail.') }),
  output: z.object({ count: z.number().int() }),
  examples: [{ mode: 'schema' }],
  async handler(input) {
    if (input.mode === 'throw') throw new TypeError('secret internal detail sk-ant-abcdefghijkl');
    if (input.mode === 'tool-error') throw new ToolError('UNAVAILABLE', 'the widget service is down');
    return { count: 'many' as unknown as number };
  },
});
const extraTools = [purge, broken] as unknown as AnyTool[];

test('a wrong type names the field under its prefix, lists the valid fields and gives an example', async (t) => {
  const suite = await testSuite(t);
  const result = await suite.dispatcher.call('runTool', {
    name: 'development_analyze_complexity',
    arguments: { path: 42 },
  });
  assert.equal(result.isError, true);
  assert.equal(result.errorCode, 'INVALID_INPUT');
  assert.match(result.text, /^arguments\.path: .*expected string/);
  assert.match(result.text, /Valid fields: path, threshold, limit/);
  assert.match(result.text, /Example: \{"path"/);
});

test('an unknown field is refused by name instead of being ignored', async (t) => {
  const suite = await testSuite(t);
  const result = await suite.dispatcher.call('runTool', {
    name: 'development_get_project_structure',
    arguments: { pth: '.' },
  });
  assert.equal(result.isError, true);
  assert.match(result.text, /^arguments\.pth: unknown field/);
});

test('an unknown internal tool suggests the closest name', async (t) => {
  const suite = await testSuite(t);
  const result = await suite.dispatcher.call('runTool', { name: 'development_analyze_complexty' });
  assert.equal(result.isError, true);
  assert.match(
    result.text,
    /^name: no internal tool named "development_analyze_complexty"\. Did you mean "development_analyze_complexity"/,
  );
});

test('a string over 1 MiB is refused with its field path before any handler runs', async (t) => {
  const suite = await testSuite(t);
  const result = await suite.dispatcher.call('runTool', {
    name: 'development_get_project_structure',
    arguments: { path: 'x'.repeat(1024 * 1024 + 1) },
  });
  assert.equal(result.isError, true);
  assert.match(result.text, /^arguments\.path: string of 1048577 characters is over the 1 MiB limit/);
  const top = await suite.dispatcher.call('findTools', { query: 'y'.repeat(1024 * 1024 + 5) });
  assert.match(top.text, /^query: string of 1048581 characters/);
});

test('a destructive tool runs only with confirm: true', async (t) => {
  const suite = await testSuite(t, { suite: { extraTools } });
  deleted.length = 0;
  const refused = await suite.dispatcher.call('runTool', { name: purge.name, arguments: { rows: ['r1'] } });
  assert.equal(refused.isError, true);
  assert.match(refused.text, /^confirm: monitoring_purge_test_rows is destructive; pass confirm: true/);
  assert.deepEqual(deleted, []);
  const done = await suite.dispatcher.call('runTool', { name: purge.name, arguments: { rows: ['r1'] }, confirm: true });
  assert.equal(done.isError, false, done.text);
  assert.deepEqual(deleted, ['r1']);
});

test('our own faults get a short safe message and a full log entry, never blaming the input', async (t) => {
  const suite = await testSuite(t, { suite: { extraTools } });
  const thrown = await suite.dispatcher.call('runTool', { name: broken.name, arguments: { mode: 'throw' } });
  assert.equal(thrown.isError, true);
  assert.equal(thrown.errorCode, 'TOOL_FAILED');
  assert.match(thrown.text, /failed inside Caelum \(TOOL_FAILED\)\. This is not a problem with your input/);
  assert.doesNotMatch(thrown.text, /secret internal detail/);
  const logged = suite.log.entries.find((e) => e.event === 'tool_failed');
  assert.ok(logged, 'the failure is logged');
  assert.match(JSON.stringify(logged), /secret internal detail/);

  const schema = await suite.dispatcher.call('runTool', { name: broken.name, arguments: { mode: 'schema' } });
  assert.equal(schema.errorCode, 'OUTPUT_INVALID');

  const typed = await suite.dispatcher.call('runTool', { name: broken.name, arguments: { mode: 'tool-error' } });
  assert.equal(typed.errorCode, 'UNAVAILABLE');
  assert.match(typed.text, /the widget service is down/);
});

test('secrets are scrubbed from log lines', async () => {
  const lines: string[] = [];
  const { createLogger } = await import('../../servers/logger.js');
  const logger = createLogger({ level: 'info', sink: (line) => lines.push(line) });
  logger.error('boom', { detail: 'key sk-ant-api03-abcdefghijklmnop and postgres://u:hunter2@db/x' });
  assert.equal(lines.length, 1);
  assert.doesNotMatch(lines[0]!, /abcdefghijklmnop|hunter2/);
});

test('the execution block records each internal step with its duration and outcome', async (t) => {
  const suite = await testSuite(t);
  const result = await suite.dispatcher.call('getSystemStatus', { timeoutMs: 500 });
  assert.equal(result.isError, false, result.text);
  const execution = result.structuredContent!.execution as {
    supervisor: string;
    steps: { tool: string; ok: boolean; durationMs: number }[];
  };
  assert.equal(execution.supervisor, 'infrastructure');
  assert.deepEqual(execution.steps.map((s) => s.tool).sort(), [
    'infrastructure_check_services',
    'infrastructure_get_host_resources',
  ]);
  assert.ok(execution.steps.every((s) => s.ok && s.durationMs >= 0));
});

test('a cancelled signal stops a long tool and is reported as cancelled', async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++)
    files[`src/f${String(i).padStart(3, '0')}.ts`] = `export function f${i}(x: number) { return x > ${i} ? x : -x; }\n`;
  const suite = await testSuite(t, { files });
  const controller = new AbortController();
  let reports = 0;
  const result = await suite.dispatcher.call(
    'runTool',
    { name: 'development_analyze_complexity', arguments: { path: '.' } },
    {
      signal: controller.signal,
      progress: () => {
        reports++;
        controller.abort();
      },
    },
  );
  assert.equal(result.isError, true);
  assert.equal(result.errorCode, 'CANCELLED');
  assert.equal(reports, 1, 'no progress after the abort: the handler stopped');
  assert.ok(suite.log.entries.some((e) => e.event === 'tool_cancelled'));
});
