// ml_training_list_runs reads a run's job (an HTTP request for a Ray job) only for the runs it shows:
// a jobId filter selects before any job is read, and limit is applied before the jobs are read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { JobRecord } from '../../tools/ml-training/jobs/executor.js';
import { createRun, listRuns, type RegistryEnvironment } from '../../tools/ml-training/registry/registry.js';
import { listRunsTool } from '../../tools/ml-training/registry/registry-tools.js';
import { tempDir } from '../helpers.js';

test('list_runs: a jobId filter and the limit select the runs before their jobs are read', async (t) => {
  const base = await tempDir(t);
  const project = path.join(base, 'project');
  await mkdir(project, { recursive: true });
  const reads: string[] = [];
  const env: RegistryEnvironment = {
    dataDir: path.join(base, 'data'),
    allowedRoots: [project],
    codeVersion: 'test',
    readJob: async (jobId) => {
      reads.push(jobId);
      return jobId === 'job-2'
        ? ({ jobId, state: 'SUCCEEDED', endedAt: '2026-12-03T12:00:00.000Z' } as JobRecord)
        : ({ jobId, state: 'RUNNING' } as JobRecord);
    },
  };
  for (let i = 0; i < 6; i++) await createRun(env, { name: `run-${i}`, jobId: `job-${i}` });
  reads.length = 0;

  const byJob = await listRuns(env, { jobId: 'job-2' });
  assert.deepEqual(
    byJob.runs.map((r) => [r.name, r.status, r.jobId]),
    [['run-2', 'FINISHED', 'job-2']],
  );
  assert.equal(byJob.total, 1);
  assert.deepEqual(reads, ['job-2'], 'only the selected run read its job');

  reads.length = 0;
  const firstTwo = await listRuns(env, { limit: 2 });
  assert.equal(firstTwo.runs.length, 2);
  assert.equal(firstTwo.total, 6);
  assert.equal(reads.length, 2, 'only the runs shown read their job');

  // A status filter still sees every run's folded status.
  reads.length = 0;
  const finished = await listRuns(env, { status: 'FINISHED', limit: 1 });
  assert.deepEqual(
    finished.runs.map((r) => r.jobId),
    ['job-2'],
  );
  assert.equal(finished.total, 1);
  assert.equal(reads.length, 6);
  assert.deepEqual(await listRuns(env, { jobId: 'job-none' }), { runs: [], total: 0 });

  // The tool takes jobId.
  assert.equal(listRunsTool.input.parse({ jobId: 'job-2' }).jobId, 'job-2');
});
