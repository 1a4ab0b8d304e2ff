// The MCP Inspector CLI, a real third-party client, against the built server over stdio and HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { cliPath, repoRoot, tempDir, writeTree } from '../helpers.js';

const run = promisify(execFile);
const inspector = path.join(repoRoot, 'node_modules', '@modelcontextprotocol', 'inspector', 'cli', 'build', 'cli.js');

async function environment(t: { after(fn: () => Promise<void>): void }) {
  const dir = await tempDir(t);
  // The data dir sits beside the project, as by default: a fresh service fills it (the sample
  // knowledge base), and the project's structure must not count those files.
  const project = path.join(dir, 'project');
  await writeTree(project, { 'src/a.ts': 'export const f = (x: number) => (x ? 1 : 2);\n' });
  return {
    PATH: process.env.PATH!,
    CAELUM_MOUNT_DEFAULTS: '0',
    HOME: dir,
    CAELUM_DATA_DIR: path.join(dir, 'data'),
    CAELUM_ALLOWED_ROOTS: project,
  };
}

async function inspect(args: string[], env: Record<string, string>): Promise<any> {
  const { stdout } = await run(process.execPath, [inspector, '--cli', ...args], {
    env,
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.slice(stdout.indexOf('{')));
}

test('Inspector CLI over stdio: tools/list and tools/call', async (t) => {
  const env = await environment(t);
  const server = [
    '-e',
    `CAELUM_DATA_DIR=${env.CAELUM_DATA_DIR}`,
    '-e',
    `CAELUM_ALLOWED_ROOTS=${env.CAELUM_ALLOWED_ROOTS}`,
    process.execPath,
    cliPath,
    'serve',
  ];
  const list = await inspect([...server, '--method', 'tools/list'], env);
  assert.deepEqual(
    list.tools.map((tool: { name: string }) => tool.name),
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
  const call = await inspect(
    [...server, '--method', 'tools/call', '--tool-name', 'findTools', '--tool-arg', 'query=cyclomatic'],
    env,
  );
  assert.equal(call.structuredContent.results[0].name, 'development_analyze_complexity');
});

test('Inspector CLI over Streamable HTTP: tools/list and tools/call', async (t) => {
  const env = await environment(t);
  const server = spawn(process.execPath, [cliPath, 'serve', '--http', '0'], {
    env,
    cwd: env.HOME,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => void server.kill('SIGTERM'));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
    server.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  const list = await inspect([url, '--transport', 'http', '--method', 'tools/list'], env);
  assert.equal(list.tools.length, 24);
  const call = await inspect(
    [
      url,
      '--transport',
      'http',
      '--method',
      'tools/call',
      '--tool-name',
      'runTool',
      '--tool-arg',
      'name=development_get_project_structure',
    ],
    env,
  );
  assert.equal(call.structuredContent.result.files, 1);
});
