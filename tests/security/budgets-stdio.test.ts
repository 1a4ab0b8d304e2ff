// The result budget end to end: the built CLI over stdio, driven by the SDK's client, answers a
// 50 MB one-line test report with a short result, cuts a result over the configured budget, and
// the connection keeps serving afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cliPath, tempDir, textOf } from '../helpers.js';

test('huge test reports over stdio give capped results, and the client connection survives', async (t) => {
  const dir = await tempDir(t);
  const project = path.join(dir, 'project');
  await mkdir(project, { recursive: true });
  await writeFile(path.join(project, 'one-line.tap'), `TAP version 13\nnot ok 1 - ${'z'.repeat(50 * 2 ** 20)}\n1..1\n`);
  const many = Array.from({ length: 2_000 }, (_, i) => `not ok ${i + 1} - case ${i} ${'w'.repeat(400)}`);
  await writeFile(path.join(project, 'many.tap'), `TAP version 13\n${many.join('\n')}\n1..2000\n`);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, 'serve'],
    cwd: project,
    env: {
      PATH: process.env.PATH!,
      CAELUM_MOUNT_DEFAULTS: '0',
      HOME: dir,
      CAELUM_SERVICE: 'off',
      CAELUM_DATA_DIR: path.join(dir, 'data'),
      CAELUM_ALLOWED_ROOTS: project,
      CAELUM_TOOL_RESULT_BYTES: String(64 * 1024),
    },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'budget-test', version: '0' });
  await client.connect(transport);
  t.after(() => client.close());

  const oneLine = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_parse_test_results', arguments: { file: 'one-line.tap' } },
  });
  assert.notEqual(oneLine.isError, true, textOf(oneLine).slice(0, 300));
  assert.ok(JSON.stringify(oneLine).length < 64 * 1024, `${JSON.stringify(oneLine).length} characters`);
  assert.match(textOf(oneLine), /characters cut\]/);

  const manyFailures = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_parse_test_results', arguments: { file: 'many.tap' } },
  });
  assert.notEqual(manyFailures.isError, true, textOf(manyFailures).slice(0, 300));
  assert.ok(JSON.stringify(manyFailures).length < 64 * 1024 + 4_096);
  assert.match(textOf(manyFailures), /\[truncated: this result was \d+ bytes, over the limit of 65536 bytes/);
  const structured = manyFailures.structuredContent as { truncated?: { arraysShortened: number } };
  assert.ok(structured.truncated && structured.truncated.arraysShortened >= 1);

  const status = await client.callTool({ name: 'getSystemStatus', arguments: {} });
  assert.notEqual(status.isError, true);
});
