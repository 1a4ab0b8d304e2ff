// State the registry tools' examples name, for the registry tests and the conformance suite: the run
// example-run-0001 (profile-mlp) with one metric point, example-run-0002 (profile-mlp, another learning
// rate, two points, FINISHED) for the comparison, and version 1 of the model profile-mlp from
// models/profile.safetensors (seedCheckpointExamples writes that file first).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  createRun,
  logRun,
  registerModel,
  type RegistryEnvironment,
} from '../../tools/ml-training/registry/registry.js';
import { seedCheckpointExamples } from './checkpoint-fixture.js';

export async function seedRegistryExamples(dataDir: string, project: string, databaseUrl?: string): Promise<void> {
  // A suite with databaseUrl keeps its registry in PostgreSQL: the examples are seeded there.
  const env: RegistryEnvironment = { dataDir, allowedRoots: [project], codeVersion: 'seed', databaseUrl };
  await seedCheckpointExamples(project);
  await createRun(env, { name: 'profile-mlp', runId: 'example-run-0001', params: { learning_rate: 0.01 } });
  await logRun(env, { runId: 'example-run-0001', metrics: [{ step: 0, values: { loss: 0.9 } }] });
  await createRun(env, { name: 'profile-mlp', runId: 'example-run-0002', params: { learning_rate: 0.001 } });
  await logRun(env, {
    runId: 'example-run-0002',
    metrics: [
      { step: 0, values: { loss: 0.8 } },
      { step: 1, values: { loss: 0.5 } },
    ],
    status: 'FINISHED',
  });
  await registerModel(env, { name: 'profile-mlp', artifact: 'models/profile.safetensors', runId: 'example-run-0001' });
}

/** A job's files as the executor writes them: job.json (a JobRecord) and metrics.jsonl lines. */
export async function writeJobFiles(
  dataDir: string,
  jobId: string,
  job: Record<string, unknown>,
  metricsText?: string,
): Promise<void> {
  const dir = path.join(dataDir, 'ml-training', 'jobs', jobId);
  await mkdir(dir, { recursive: true });
  const record = {
    jobId,
    backend: 'local',
    name: 'train',
    command: ['node', 'train.js'],
    cwd: '/tmp',
    outputDir: '/tmp/out',
    resources: {},
    metadata: {},
    submittedAt: '2026-12-03T10:00:00.000Z',
    ...job,
  };
  await writeFile(path.join(dir, 'job.json'), JSON.stringify(record));
  if (metricsText !== undefined) await writeFile(path.join(dir, 'metrics.jsonl'), metricsText);
}
