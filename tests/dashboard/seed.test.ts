// The dashboard's seeded data dir: each kind of data the browser tests draw is there, read back
// through the tools an agent (or the dashboard) calls, not from the files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seedDataDir } from './seed.js';

type Row = Record<string, any>;

test('the seeded data dir holds real LLM calls, snapshots, a finished job, alerts, backtests and signals', async (t) => {
  const { suite, seeded, timings, peers } = await seedDataDir(t, { ledgerRows: 200 });
  t.diagnostic(`seeding took ${JSON.stringify(timings)}`);
  const internal = async (name: string, args: Row) => {
    const outcome = await suite.dispatcher.router.invoke(name, args, suite.dispatcher.context({}));
    assert.ok(outcome.ok, `${name}: ${outcome.ok ? '' : outcome.error.message}`);
    return outcome.output as Row;
  };
  const high = async (name: string, args: Row) => {
    const result = await suite.dispatcher.call(name, args);
    assert.equal(result.isError, false, result.text);
    return result.structuredContent as Row;
  };

  // The ledger: calls by outcome, the real ones among the generated volume; the peers were really asked.
  const costs = await high('getCostReport', { groupBy: 'tool' });
  const outcomes = costs.breakdown.outcomes as Record<string, number>;
  for (const outcome of ['acceptedLocal', 'escalated', 'failed'])
    assert.ok(outcomes[outcome]! > 0, `${outcome}: ${JSON.stringify(outcomes)}`);
  const groups = Object.fromEntries((costs.groups as Row[]).map((g) => [g.key, g.calls]));
  assert.ok(groups.infrastructure_run_completion >= 6 && groups.delegateTask >= 1, JSON.stringify(groups));
  assert.ok(groups.generated_volume > 0 && groups.generated_volume < 200, 'the generated rows are apart, by name');
  // The real calls alone (from the execution log): each outcome among them.
  const completions = await suite.executions.list({ tool: 'runTool', q: 'infrastructure_run_completion' });
  const real = completions.entries.flatMap((e) => e.execution?.llm ?? []).map((step) => step.call?.outcome);
  for (const outcome of ['accepted_local', 'escalated', 'failed'])
    assert.ok(real.includes(outcome as never), `${outcome} among ${JSON.stringify(real)}`);
  assert.ok(peers.anthropic.requests.length > 0 && peers.ollama.requests.some((r) => r.path === '/api/chat'));

  // The sample knowledge in the live graph; two snapshot builds, listed and diffed.
  const graph = await high('queryKnowledgeGraph', { cypher: 'MATCH (c:Country) RETURN count(c) AS n' });
  assert.ok(graph.rows[0].n > 0 && graph.source?.kind === 'sample', JSON.stringify(graph).slice(0, 300));
  const listed = await internal('knowledge_base_list_snapshots', {});
  const names = JSON.stringify(listed);
  for (const name of seeded.snapshots) assert.ok(names.includes(name), `${name} listed`);
  const diff = await internal('knowledge_base_diff_snapshots', {});
  assert.ok(Object.keys(diff.counts).length > 0);

  // The job ran to the end with logs and metrics; the model has its alias.
  const jobs = await high('manageTrainingJob', { action: 'list' });
  const job = (jobs.jobs as Row[]).find((j) => j.jobId === seeded.jobId);
  assert.equal(job?.state, 'SUCCEEDED');
  const logs = await high('manageTrainingJob', { action: 'logs', jobId: seeded.jobId });
  assert.match(JSON.stringify(logs.logs), /trained/);
  assert.ok(seeded.runId, 'the job has a registry run');
  const run = await internal('ml_training_get_run', { runId: seeded.runId });
  assert.equal(run.run.status, 'FINISHED', JSON.stringify(run.run).slice(0, 400));
  assert.match(JSON.stringify(run.run), /"loss"/, "the run has the job's metric points");
  const models = await internal('ml_training_list_models', {});
  assert.match(JSON.stringify(models), new RegExp(`${seeded.model.name}.*production|production.*${seeded.model.name}`));

  // Alerts: fired and one acked.
  const alerts = await high('manageAlerts', { action: 'list' });
  const alertNames = (alerts.alerts as Row[]).map((a) => a.labels.alertname).sort();
  assert.deepEqual(alertNames, [...seeded.alerts].sort());
  assert.ok((alerts.escalation as Row[]).some((e) => e.alertname === seeded.ackedAlert && e.state === 'acked'));

  // The fleet, when the Prometheus and node_exporter binaries are here.
  if ('servers' in seeded.fleet) {
    const health = await high('getFleetHealth', { forecastHours: 0 });
    assert.deepEqual((health.servers as Row[]).map((s) => s.name).sort(), ['db-1', 'web-1']);
  } else t.diagnostic(`fleet not seeded: ${seeded.fleet.skipped}`);

  // The execution log: a backtest with its kept result (an equity curve), and the committee's votes.
  const { entries } = await suite.executions.list({ tool: 'backtestStrategy' });
  assert.ok(entries.length >= 2);
  const kept = await suite.executions.result(entries.find((e) => e.resultKept)!.id);
  assert.ok(Array.isArray(kept?.equity) && (kept.equity as unknown[]).length > 2);
  const signals = await suite.executions.list({ tool: 'generateMarketSignals' });
  const decision = signals.entries[0]?.execution?.decisions?.[0];
  assert.equal(decision?.subject, seeded.symbol);
  const votes = (decision?.detail as Row).votes as Row[];
  t.diagnostic(JSON.stringify(votes));
  assert.ok(
    votes.some((v) => v.voter === 'analyst' && !v.abstained),
    'the LLM analyst voted',
  );
  const failed = await suite.executions.list({ ok: false });
  assert.ok(failed.entries.some((e) => e.tool === 'backtestStrategy' && /NOPE/.test(e.summary)));
  const llm = await suite.executions.list({ tool: 'delegateTask' });
  assert.ok(llm.entries[0]!.execution!.llm.length > 0, 'delegateTask recorded its LLM steps');
  t.diagnostic(`executions: ${(await suite.executions.list({})).total}, failed: ${failed.total}`);
});
