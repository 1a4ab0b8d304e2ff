// The whole loop, for real, through MCP: a PostgreSQL table → prepareDataset → a real training job
// (tests/ml-training/fixtures/train-ridge.mjs fits next-vector regression and writes a safetensors
// checkpoint) → assessModel against the data contract and the baselines → registered and aliased.
// Then the same job is stopped halfway, and no process is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient, pgSchema, pgSchemaUrl, repoRoot, testSuite, textOf } from '../helpers.js';
import { processTable, withDescendants } from '../proc-table.js';

const trainScript = path.join(repoRoot, 'tests/ml-training/fixtures/train-ridge.mjs');
const dimension = 16;
const context = 2;

/** A damped oscillator per dimension: second-order dynamics that the last vector alone cannot predict. */
function series(rows: number): number[][] {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const rho = 0.97;
  const omega = Array.from({ length: dimension }, (_, i) => 0.2 + i / (dimension - 1));
  const out: number[][] = [
    Array.from({ length: dimension }, () => random() * 2),
    Array.from({ length: dimension }, () => random() * 2),
  ];
  for (let t = 2; t < rows; t++)
    out.push(
      omega.map((w, i) => 2 * Math.cos(w) * rho * out[t - 1]![i]! - rho * rho * out[t - 2]![i]! + 0.2 * random()),
    );
  return out;
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  return {
    isError: result.isError === true,
    text: textOf(result),
    data: result.structuredContent as Record<string, any>,
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Pids whose process group is `pgid`, or that descend from `pid`, read from /proc. */
async function processesOf(pid: number): Promise<number[]> {
  const table = await processTable();
  return [
    ...withDescendants(
      table,
      table.filter((p) => p.pgid === pid || p.pid === pid).map((p) => p.pid),
    ),
  ];
}

test('PostgreSQL → prepareDataset → training job → assessModel → registered; a second job stopped halfway', async (t) => {
  const pg = await pgSchema(t, 'caelum_ml_loop');
  if (!pg.ok) return t.skip(pg.reason);
  await pg.admin.query(
    `CREATE TABLE ${pg.schema}.cpe_entry (cpe_id bigint PRIMARY KEY, concept_text text, concept_vec real[], tmd_code real[], dataset_source text)`,
  );
  const rows = series(400);
  const values = rows.map(
    (v, i) =>
      `(${i + 1}, 'concept ${i + 1}', '{${v.join(',')}}', '{${Array(16)
        .fill(i % 3)
        .join(',')}}', 'loop')`,
  );
  // Two bad rows: NULL and a wrong dimension; both are counted and skipped.
  values.push(`(100001, 'null', NULL, NULL, 'loop')`, `(100002, 'short', '{1,2,3}', NULL, 'loop')`);
  await pg.admin.query(`INSERT INTO ${pg.schema}.cpe_entry VALUES ${values.join(',')}`);

  const suite = await testSuite(t, {
    // The test's schema first on the search path: the job records kept in PostgreSQL land there too.
    env: { DATABASE_URL: pgSchemaUrl(pg.schema) },
    files: { 'README.md': 'training project\n', 'datasets/README.md': 'prepared datasets\n' },
  });
  const client = await connectClient(t, suite);

  // 1. The dataset.
  const prepared = await call(client, 'prepareDataset', {
    table: `${pg.schema}.cpe_entry`,
    columns: { id: 'cpe_id', vector: 'concept_vec', code: 'tmd_code', label: 'dataset_source' },
    orderBy: 'cpe_id',
    context,
    outputDir: 'datasets/loop',
  });
  assert.equal(prepared.isError, false, prepared.text);
  const datasetDir = path.join(suite.project, 'datasets/loop');
  const manifest = JSON.parse(await readFile(path.join(datasetDir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.rows, 400);
  assert.equal(manifest.dimension, dimension);
  assert.equal(manifest.splits.train + manifest.splits.validation + manifest.splits.test, 400);

  // 2. Nothing starts without confirm: the plan.
  const command = ['node', trainScript, datasetDir, '--context', String(context), '--epochs', '10'];
  const plan = await call(client, 'manageTrainingJob', {
    action: 'submit',
    command,
    outputDir: 'runs/loop',
    options: { name: 'next-vector-ridge', dataset: 'datasets/loop' },
  });
  assert.equal(plan.isError, false, plan.text);
  assert.ok(plan.data.plan, 'a submit without confirm is a plan');
  assert.match(plan.text, /confirm/);

  // 3. The real job.
  const submitted = await call(client, 'manageTrainingJob', {
    action: 'submit',
    command,
    outputDir: 'runs/loop',
    options: { name: 'next-vector-ridge', dataset: 'datasets/loop' },
    confirm: true,
  });
  assert.equal(submitted.isError, false, submitted.text);
  const jobId = submitted.data.job.jobId as string;
  const runId = submitted.data.run.runId as string;
  let last = '';
  const done = await until('the job to end', async () => {
    const status = await call(client, 'manageTrainingJob', { action: 'status', jobId });
    last = status.text;
    return ['SUCCEEDED', 'FAILED', 'LOST'].includes(status.data?.job?.state) ? status : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message}; last status: ${last}`);
  });
  assert.equal(done.data.job.state, 'SUCCEEDED', done.text);
  assert.equal(done.data.run.status, 'FINISHED');
  const logs = await call(client, 'manageTrainingJob', { action: 'logs', jobId });
  assert.match(logs.text, /epoch 10\/10/);

  // 4. Assessed against the contract and the baselines, then registered under an alias.
  const contract = {
    dimensions: { features: dimension, inputs: dimension * context },
    tensors: { weight: ['features', 'inputs'], bias: ['features'] },
  };
  const assessed = await call(client, 'assessModel', {
    checkpoint: 'runs/loop/model.safetensors',
    contract,
    predictions: 'runs/loop/predictions.npy',
    dataset: 'datasets/loop',
    context,
    register: { name: 'next-vector', alias: 'candidate', runId },
  });
  assert.equal(assessed.isError, false, assessed.text);
  assert.equal(assessed.data.checkpoint.report.compatible, true, assessed.text);
  assert.equal(assessed.data.evaluation.verdict.beatsAll, true, assessed.text);
  assert.equal(assessed.data.passed, true);
  assert.ok(assessed.data.registered, assessed.text);
  const models = await call(client, 'runTool', { name: 'ml_training_list_models', arguments: { name: 'next-vector' } });
  assert.equal(models.isError, false, models.text);
  assert.match(JSON.stringify(models.data), /candidate/);

  // The stale-contract case: the same checkpoint against a contract of another width is caught.
  const stale = await call(client, 'assessModel', {
    checkpoint: 'runs/loop/model.safetensors',
    contract: { ...contract, dimensions: { features: dimension + 1, inputs: dimension * context } },
    register: { name: 'next-vector', alias: 'production' },
  });
  assert.equal(stale.isError, false, stale.text);
  assert.equal(stale.data.passed, false);
  assert.equal(stale.data.registered, null);
  assert.match(stale.text, /size mismatch for weight/);

  // 5. The same job again, stopped halfway: STOPPED, and nothing of it left running.
  const slow = await call(client, 'manageTrainingJob', {
    action: 'submit',
    command: [...command.slice(0, -1), '200', '--epoch-ms', '100'],
    outputDir: 'runs/loop-2',
    options: { name: 'next-vector-ridge' },
    confirm: true,
  });
  assert.equal(slow.isError, false, slow.text);
  const slowId = slow.data.job.jobId as string;
  const running = await until('a few epochs', async () => {
    const status = await call(client, 'manageTrainingJob', { action: 'status', jobId: slowId });
    return status.data.job.state === 'RUNNING' &&
      /epoch 3\//.test((await call(client, 'manageTrainingJob', { action: 'logs', jobId: slowId })).text)
      ? status
      : undefined;
  });
  const pid = running.data.job.pid as number;
  assert.ok((await processesOf(pid)).length > 0);
  const stopped = await call(client, 'manageTrainingJob', { action: 'stop', jobId: slowId, confirm: true });
  assert.equal(stopped.isError, false, stopped.text);
  assert.equal(stopped.data.job.state, 'STOPPED');
  await until(
    'no process of the stopped job',
    async () => ((await processesOf(pid)).length === 0 ? true : undefined),
    5_000,
  );
  const after = await call(client, 'manageTrainingJob', { action: 'status', jobId: slowId });
  assert.equal(after.data.run.status, 'KILLED');

  // Bad input: a job id that does not exist, and a stop of a finished job.
  const unknown = await call(client, 'manageTrainingJob', { action: 'status', jobId: 'no-such-job' });
  assert.equal(unknown.isError, true);
  assert.match(unknown.text, /no-such-job/);
  const again = await call(client, 'manageTrainingJob', { action: 'stop', jobId, confirm: true });
  assert.equal(again.isError, true);
  assert.match(again.text, /already ended|SUCCEEDED/);
});
