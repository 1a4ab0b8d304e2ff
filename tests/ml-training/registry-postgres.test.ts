// The run and model registry in PostgreSQL (databaseUrl configured), against the real server: two
// instances (separate data dirs, one database) see and change the same runs, metrics, models, versions
// and aliases; concurrent changes from both land without loss (each instance's read-modify-write holds
// the key's advisory lock); a run set aside is seen whole or not at all; the registry tools of two
// suites agree end to end; and an unreachable database fails the call naming DATABASE_URL, with
// nothing written to the data dir in its place.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from '../../tools/errors.js';
import { ToolRegistry } from '../../tools/registry.js';
import { ToolRouter } from '../../tools/router.js';
import { PgRegistryStore, registryPageRows } from '../../tools/ml-training/registry/pg-registry-store.js';
import {
  closeRegistryStores,
  createRun,
  getRun,
  listModels,
  listRuns,
  logRun,
  registerModel,
  registryStore,
  setModelAlias,
  type RegistryEnvironment,
} from '../../tools/ml-training/registry/registry.js';
import { deleteRun, modelHistory } from '../../tools/ml-training/registry/registry-reports.js';
import { registryReportTools } from '../../tools/ml-training/registry/registry-report-tools.js';
import { registryTools } from '../../tools/ml-training/registry/registry-tools.js';
import { pgSchema, pgSchemaUrl, tempDir, testSuite } from '../helpers.js';

async function schemaOrSkip(t: TestContext, prefix: string) {
  const pg = await pgSchema(t, prefix);
  if (!pg.ok) t.skip(pg.reason);
  return pg.ok ? pg : undefined;
}

/** One Caelum instance's registry environment: its own data dir and project, the shared database. */
async function instance(t: TestContext, databaseUrl: string): Promise<RegistryEnvironment & { project: string }> {
  const base = await tempDir(t, 'caelum-registry-pg-');
  const project = path.join(base, 'project');
  await mkdir(path.join(project, 'models'), { recursive: true });
  await writeFile(path.join(project, 'models', 'model.bin'), `weights of ${base}`);
  const env = { dataDir: path.join(base, 'data'), allowedRoots: [project], databaseUrl, project };
  t.after(() => closeRegistryStores(env.dataDir));
  return env;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

test('a run created on one instance is listed, read, logged and deleted from the other', async (t) => {
  const pg = await schemaOrSkip(t, 'caelum_reg_share');
  if (!pg) return;
  const url = pgSchemaUrl(pg.schema);
  const a = await instance(t, url);
  const b = await instance(t, url);
  assert.ok(registryStore(a) instanceof PgRegistryStore);
  assert.notEqual(registryStore(a), registryStore(b));

  const created = await createRun(a, { name: 'shared-mlp', params: { learning_rate: 0.01 } });
  const runId = created.run.runId;
  const listed = await listRuns(b, { name: 'shared-mlp' });
  assert.deepEqual(
    listed.runs.map((r) => r.runId),
    [runId],
  );
  assert.equal(listed.total, 1);

  await logRun(b, { runId, metrics: [{ step: 0, values: { loss: 0.9 } }] });
  await logRun(a, { runId, metrics: [{ step: 1, values: { loss: 0.4 } }], status: 'FINISHED' });
  const read = (await getRun(b, runId)).run;
  assert.deepEqual(
    read.metrics.map((m) => [m.step, m.values.loss]),
    [
      [0, 0.9],
      [1, 0.4],
    ],
  );
  assert.equal(read.status, 'FINISHED');
  assert.deepEqual(read.params, { learning_rate: 0.01 });

  // Neither data dir holds a registry: PostgreSQL is the store.
  for (const env of [a, b]) assert.equal(await exists(path.join(env.dataDir, 'ml-training', 'registry')), false);

  const deleted = await deleteRun(b, { runId, confirm: true });
  assert.equal(deleted.deleted, true);
  assert.equal(deleted.metricPoints, 2);
  assert.equal((await listRuns(a)).total, 0);
  await assert.rejects(getRun(a, runId), /no run ".*" in the registry; no runs exist yet/);
  const left = await pg.admin.query(`select count(*)::int as n from ${pg.schema}.caelum_registry_metrics`);
  assert.equal(left.rows[0].n, 0);
  const kinds = (await registryStore(a).readEvents()).map((e) => e.event);
  assert.deepEqual(kinds, ['run_created', 'run_ended', 'run_deleted']);
});

test('2×50 concurrent version registrations, metric logs and alias moves from two instances land without loss', async (t) => {
  const pg = await schemaOrSkip(t, 'caelum_reg_race');
  if (!pg) return;
  const url = pgSchemaUrl(pg.schema);
  const a = await instance(t, url);
  const b = await instance(t, url);
  const run = await createRun(a, { name: 'race', runId: 'race-run-0001' });

  const per = 50;
  const registrations = [a, b].flatMap((env) =>
    Array.from({ length: per }, () => registerModel(env, { name: 'racer', artifact: 'models/model.bin' })),
  );
  const logs = [a, b].flatMap((env, e) =>
    Array.from({ length: per }, (_, i) =>
      logRun(env, { runId: run.run.runId, metrics: [{ step: e * per + i, values: { loss: 1 / (1 + i) } }] }),
    ),
  );
  const results = await Promise.all(registrations);
  await Promise.all(logs);

  const numbers = results.map((r) => r.version.version).sort((x, y) => x - y);
  assert.deepEqual(
    numbers,
    Array.from({ length: 2 * per }, (_, i) => i + 1),
  );
  const model = (await listModels(b, { name: 'racer' })).models[0]!;
  assert.deepEqual(
    model.versions.map((v) => v.version),
    Array.from({ length: 2 * per }, (_, i) => i + 1),
  );
  // Both instances' artifacts are in it (each project has its own file, so its own sha256).
  assert.equal(new Set(model.versions.map((v) => v.source.sha256)).size, 2);
  const steps = (await getRun(b, run.run.runId)).run.metrics.map((m) => m.step).sort((x, y) => x - y);
  assert.deepEqual(
    steps,
    Array.from({ length: 2 * per }, (_, i) => i),
  );

  // Alias moves from both: every move reads the alias the previous one wrote (from = the last to).
  const moves = [a, b].flatMap((env, e) =>
    Array.from({ length: 30 }, (_, i) =>
      setModelAlias(env, { name: 'racer', alias: 'candidate', version: 1 + ((e * 30 + i) % (2 * per)) }),
    ),
  );
  await Promise.all(moves);
  const history = await modelHistory(a, { name: 'racer', alias: 'candidate', limit: 1000 });
  const chain = [...history.events].reverse();
  assert.equal(chain.length, 60);
  for (let i = 1; i < chain.length; i += 1) assert.equal(chain[i]!.from, chain[i - 1]!.to, `move ${i}`);
  assert.equal(history.aliases.candidate, chain.at(-1)!.to);
});

test('a run set aside is invisible to the other instance until restored, and gone with its metrics when removed', async (t) => {
  const pg = await schemaOrSkip(t, 'caelum_reg_aside');
  if (!pg) return;
  const url = pgSchemaUrl(pg.schema);
  const a = registryStore(await instance(t, url));
  const b = registryStore(await instance(t, url));
  const run = {
    runId: 'aside-run-0001',
    name: 'aside',
    params: {},
    artifacts: [],
    status: 'FINISHED' as const,
    createdAt: new Date().toISOString(),
  };
  await a.writeRun(run);
  await a.appendMetrics(run.runId, [
    { step: 0, timestamp: 1, values: { loss: 2 } },
    { step: 1, timestamp: 2, values: { loss: 1 } },
  ]);

  const aside = await a.setRunAside(run.runId);
  assert.equal(await b.readRun(run.runId), undefined);
  assert.deepEqual(await b.readMetrics(run.runId), []);
  assert.deepEqual(await b.listRunIds(), []);
  assert.deepEqual(await b.readRuns(), []);
  await assert.rejects(b.setRunAside(run.runId), /no run aside-run-0001 to set aside/);

  await aside.restore();
  assert.equal((await b.readRun(run.runId))?.name, 'aside');
  assert.deepEqual(
    (await b.readMetrics(run.runId)).map((p) => p.values.loss),
    [2, 1],
  );

  await (await b.setRunAside(run.runId)).remove();
  assert.equal(await a.readRun(run.runId), undefined);
  const rows = await pg.admin.query(`select count(*)::int as n from ${pg.schema}.caelum_registry_metrics`);
  assert.equal(rows.rows[0].n, 0);

  // An instance that died between setting aside and removing leaves an invisible row; a new run with
  // the same id replaces it, without the old run's metrics.
  await a.writeRun(run);
  await a.appendMetrics(run.runId, [{ step: 0, timestamp: 1, values: { loss: 9 } }]);
  await a.setRunAside(run.runId);
  await b.writeRun({ ...run, name: 'again' });
  assert.equal((await a.readRun(run.runId))?.name, 'again');
  assert.deepEqual(await a.readMetrics(run.runId), []);
});

test('a cycle waits for the other instance to release the key, and a dead instance frees it', async (t) => {
  const pg = await schemaOrSkip(t, 'caelum_reg_lock');
  if (!pg) return;
  const url = pgSchemaUrl(pg.schema);
  const a = new PgRegistryStore((await instance(t, url)).dataDir, { url });
  const b = new PgRegistryStore((await instance(t, url)).dataDir, { url, lockWaitMs: 5_000 });
  t.after(() => Promise.all([a.close(), b.close()]));
  const order: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const first = a.serialised('model:lock', async () => {
    entered();
    await held;
    order.push('a');
  });
  await inside;
  const second = b.serialised('model:lock', async () => {
    order.push('b');
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(order.length, 0, 'b must wait while a holds the key');
  // An impatient instance gives up with a message saying why, and runs nothing.
  const impatient = new PgRegistryStore((await instance(t, url)).dataDir, { url, lockWaitMs: 200 });
  t.after(() => impatient.close());
  const refused = await impatient.serialised('model:lock', async () => order.push('impatient')).catch((e) => e);
  assert.ok(refused instanceof ToolError && refused.code === 'TIMEOUT', String(refused));
  assert.match(
    refused.message,
    /^model:lock in the registry .* stayed locked by another Caelum instance's change for more than 0\.2 s/,
  );
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['a', 'b']);

  // A killed instance's session ends, and with it its lock.
  const dead = new PgRegistryStore((await instance(t, url)).dataDir, { url });
  let stuck!: () => void;
  const died = dead.serialised('model:lock', async () => {
    stuck();
    await new Promise(() => undefined);
  });
  void died;
  await new Promise<void>((resolve) => (stuck = resolve));
  const waiting = b.serialised('model:lock', async () => 'got it');
  await pg.admin.query(
    `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'caelum-registry-locks' and query like '%pg_advisory_lock%' and state = 'idle'`,
  );
  assert.equal(await waiting, 'got it');
});

test('with DATABASE_URL unreachable a registry call fails naming it, and nothing is written to the data dir', async (t) => {
  const env = await instance(t, 'postgres://caelum@127.0.0.1:1/registry');
  const failure = await createRun(env, { name: 'nowhere' }).catch((error: unknown) => error);
  assert.ok(failure instanceof ToolError);
  assert.equal(failure.code, 'UNAVAILABLE');
  assert.match(
    failure.message,
    /^the run and model registry is kept in PostgreSQL \(DATABASE_URL, 127\.0\.0\.1:1\/registry\)/,
  );
  assert.doesNotMatch(failure.message, /\n/);
  assert.equal(await exists(path.join(env.dataDir, 'ml-training', 'registry')), false);
});

test('the registry tools of two suites on one database share runs, versions and aliases', async (t) => {
  const pg = await schemaOrSkip(t, 'caelum_reg_tools');
  if (!pg) return;
  const url = pgSchemaUrl(pg.schema);
  const tools = [...registryTools, ...registryReportTools];
  const suites = await Promise.all(
    [0, 1].map(async () => {
      const suite = await testSuite(t, {
        env: { DATABASE_URL: url },
        files: { 'models/model.bin': `weights ${Math.random()}` },
      });
      const router = new ToolRouter(new ToolRegistry([tools]));
      const context = suite.dispatcher.context({});
      return {
        suite,
        invoke: async (name: string, input: unknown, options: { confirm?: boolean } = {}) => {
          const outcome = await router.invoke(name, input, context, options);
          assert.ok(outcome.ok, `${name}: ${outcome.ok ? '' : outcome.error.message}`);
          return outcome.output as Record<string, unknown>;
        },
      };
    }),
  );
  const [a, b] = suites as [(typeof suites)[0], (typeof suites)[0]];

  const created = (await a.invoke('ml_training_create_run', { name: 'tools-mlp', params: { epochs: 3 } })) as {
    run: { runId: string };
  };
  const runId = created.run.runId;
  await b.invoke('ml_training_log_run', { runId, metrics: [{ step: 0, values: { val_loss: 0.3 } }] });
  const listed = (await b.invoke('ml_training_list_runs', { name: 'tools-mlp' })) as { runs: { runId: string }[] };
  assert.deepEqual(
    listed.runs.map((r) => r.runId),
    [runId],
  );
  const seen = (await a.invoke('ml_training_get_run', { runId })) as {
    run: { latestMetrics: Record<string, unknown> };
  };
  assert.deepEqual(seen.run.latestMetrics, { val_loss: { value: 0.3, step: 0 } });

  await a.invoke('ml_training_register_model', { name: 'tools-mlp', artifact: 'models/model.bin', runId });
  await b.invoke('ml_training_register_model', { name: 'tools-mlp', artifact: 'models/model.bin', alias: 'candidate' });
  await a.invoke('ml_training_set_model_alias', { name: 'tools-mlp', alias: 'production', version: 1 });
  const models = (await b.invoke('ml_training_list_models', { name: 'tools-mlp' })) as {
    models: { versions: { version: number; runId?: string }[]; aliases: Record<string, number> }[];
  };
  assert.deepEqual(
    models.models[0]!.versions.map((v) => [v.version, v.runId]),
    [
      [1, runId],
      [2, undefined],
    ],
  );
  assert.deepEqual(models.models[0]!.aliases, { candidate: 2, production: 1 });
  const history = (await b.invoke('ml_training_get_model_history', { name: 'tools-mlp', alias: 'production' })) as {
    events: { event: string; to?: number }[];
  };
  assert.deepEqual(
    history.events.map((e) => [e.event, e.to]),
    [['alias_set', 1]],
  );
  // Version 1 came from the run, so neither instance may delete it.
  const refused = (await b.invoke('ml_training_delete_run', { runId, confirm: false }, { confirm: true })) as {
    message: string;
  };
  assert.match(refused.message, /tools-mlp version 1 was built from it/);
  for (const { suite } of suites)
    assert.equal(await exists(path.join(suite.dataDir, 'ml-training', 'registry')), false);
});

test('long metric logs and event logs are read whole, in order, a page at a time', async (t) => {
  const pg = await schemaOrSkip(t, 'caelum_reg_pages');
  if (!pg) return;
  const url = pgSchemaUrl(pg.schema);
  const a = registryStore(await instance(t, url));
  const b = registryStore(await instance(t, url));
  await a.writeRun({
    runId: 'pages-run-0001',
    name: 'pages',
    params: {},
    artifacts: [],
    status: 'RUNNING',
    createdAt: new Date().toISOString(),
  });
  const points = Array.from({ length: 2 * registryPageRows + 500 }, (_, i) => ({
    step: i,
    timestamp: 1_000 + i,
    values: { loss: 1 / (i + 1) },
  }));
  await a.appendMetrics('pages-run-0001', points.slice(0, 1_000));
  await b.appendMetrics('pages-run-0001', points.slice(1_000));
  assert.deepEqual(await a.readMetrics('pages-run-0001'), points);

  for (let i = 0; i < registryPageRows + 200; i += 1)
    await (i % 2 === 0 ? a : b).appendEvent({ event: 'alias_set', model: i % 3 === 0 ? 'left' : 'right', to: i });
  const all = await b.readEvents();
  assert.equal(all.length, registryPageRows + 200);
  assert.deepEqual(
    all.map((e) => e.to),
    Array.from({ length: registryPageRows + 200 }, (_, i) => i),
  );
  const left = await a.readEvents({ model: 'left' });
  assert.deepEqual(
    left.map((e) => e.to),
    Array.from({ length: registryPageRows + 200 }, (_, i) => i).filter((i) => i % 3 === 0),
  );
});
