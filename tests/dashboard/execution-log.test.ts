// The execution log on disk: a torn last line after kill -9, the in-memory window of the newest
// entries, results kept per tool (one busy tool never pushes out another's), and retention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ExecutionLog,
  entryOf,
  keptResultsPerTool,
  recentEntries,
  resultFolder,
} from '../../servers/dashboard/execution-log.js';
import type { CallRecord } from '../../supervisors/dispatcher.js';

async function dataDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-exec-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

let clock = Date.parse('2026-12-04T10:00:00Z');
function call(name: string, args: unknown = {}, result: Record<string, unknown> = { n: 1 }): CallRecord {
  clock += 1000;
  return {
    name,
    owner: 'trading',
    arguments: args,
    result: { isError: false, text: `${name} done`, structuredContent: result },
    startedAt: clock,
    durationMs: 12.5,
  };
}

test('a torn last line (a writer killed mid-append) is skipped and the next append starts a fresh line', async (t) => {
  const dir = await dataDir(t);
  const log = new ExecutionLog(dir);
  const first = log.record(call('backtestStrategy'));
  await log.flush();
  const file = path.join(dir, 'executions', `executions-${first.ts.slice(0, 7)}.jsonl`);
  await appendFile(file, '{"v":1,"id":"torn');
  const reopened = new ExecutionLog(dir);
  const listed = await reopened.list();
  assert.deepEqual(
    listed.entries.map((e) => e.id),
    [first.id],
  );
  const second = reopened.record(call('getPoolStatus'));
  await reopened.flush();
  const third = new ExecutionLog(dir);
  const again = await third.list();
  assert.deepEqual(
    again.entries.map((e) => e.id),
    [second.id, first.id],
  );
  assert.equal(again.skippedLines, 1, 'the torn fragment is counted, not guessed');
  assert.equal((await readFile(file, 'utf8')).split('\n').filter(Boolean).length, 3);
});

test('only the newest entries are held; calls made before the files are read come after them', async (t) => {
  const dir = await dataDir(t);
  const month = new Date(clock).toISOString().slice(0, 7);
  await mkdir(path.join(dir, 'executions'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < recentEntries + 50; i++) {
    const { entry } = entryOf({ ...call('getPoolStatus'), result: { isError: false, text: `call ${i}` } });
    lines.push(JSON.stringify(entry));
  }
  // Written directly, as a long-running service would have left them.
  await writeFile(path.join(dir, 'executions', `executions-${month}.jsonl`), `${lines.join('\n')}\n`);
  const log = new ExecutionLog(dir);
  const late = log.record(call('backtestStrategy'));
  const listed = await log.list({ limit: 3 });
  assert.equal(listed.window, recentEntries);
  assert.equal(listed.entries[0]!.id, late.id);
  assert.equal(listed.entries[1]!.summary, `call ${recentEntries + 49}`);
  assert.equal((await log.list({ q: 'call 0' })).total, 0, 'the oldest fell out of the window');
  await log.flush();
});

test('results are kept per tool: a busy tool never pushes out another tool’s results', async (t) => {
  const dir = await dataDir(t);
  const log = new ExecutionLog(dir);
  const backtest = log.record(call('backtestStrategy', { symbol: 'SPX' }, { equity: [1, 2, 3] }));
  const viaRunTool = log.record(call('runTool', { name: 'trading_run_backtest' }, { result: { equity: [4] } }));
  for (let i = 0; i < keptResultsPerTool * 3; i++) log.record(call('getPoolStatus', {}, { hosts: [i] }));
  await log.flush();
  assert.deepEqual(await log.result(backtest.id), { equity: [1, 2, 3] });
  assert.deepEqual(await log.result(viaRunTool.id), { result: { equity: [4] } });
  assert.equal(resultFolder(viaRunTool), 'runTool.trading_run_backtest');
  const kept = await readdir(path.join(dir, 'executions', 'results', 'getPoolStatus'));
  assert.ok(kept.length <= keptResultsPerTool + 5, `${kept.length} pool results kept`);
  const oldest = (await log.list({ tool: 'getPoolStatus', limit: 500 })).entries.at(-1)!;
  assert.equal(await log.result(oldest.id), undefined, 'the oldest pool result was pruned');
});

test('arguments over 4 KB are kept as a preview; a failed call keeps no result', async (t) => {
  const dir = await dataDir(t);
  const log = new ExecutionLog(dir);
  const big = log.record(call('analyzeAndImproveCode', { code: 'x'.repeat(10_000) }));
  assert.equal((big.arguments as { truncatedFromBytes: number }).truncatedFromBytes > 10_000, true);
  const failed = log.record({
    ...call('backtestStrategy'),
    result: { isError: true, errorCode: 'INVALID_INPUT', text: 'symbol: expected string' },
  });
  assert.equal(failed.resultKept, false);
  assert.equal(failed.ok, false);
  await log.flush();
  assert.equal(await log.result(failed.id), undefined);
});
