// Snapshot builds end to end through the tools: the loopback data providers and a loopback Ollama
// host, real Kuzu, real tar.gz. Checks counts, provenance, LLM matching by name, checksums, the
// daily outputs across two builds, and background jobs with cancel and resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { OllamaPeer } from '../../peers/ollama-peer.js';
import { SourcesPeer } from '../../peers/kb-sources-peer.js';
import { kbEdgeWeight, kbReply, kbStatValue } from '../../peers/kb-llm-reply.js';
import { connectClient, testSuite, textOf } from '../../helpers.js';
import { readSnapshot } from '../../../knowledge/snapshot/snapshot-archive.js';
import { scannerSignalsSchema } from '../../../knowledge/snapshot/daily-outputs.js';
import type { InferredEdge, InferredStat } from '../../../knowledge/snapshot/llm-inference.js';
import type { FinancialGraphData } from '../../../knowledge/financial.js';

type T = Parameters<typeof testSuite>[0] & { after(fn: () => Promise<void>): void };

async function setup(t: T, options: { llm?: boolean; fredKey?: boolean; latencyMs?: number } = {}) {
  const sources = new SourcesPeer({ latencyMs: options.latencyMs ?? 0 });
  await sources.start();
  const env: Record<string, string> = { CAELUM_KB_SOURCES_URL: sources.url, EIA_API_KEY: 'eia-test-key' };
  if (options.fredKey !== false) env.FRED_API_KEY = 'fred-test-key';
  let ollama: OllamaPeer | undefined;
  if (options.llm) {
    ollama = new OllamaPeer({ reply: (prompt) => kbReply(prompt) ?? 'no' });
    await ollama.start();
    env.CAELUM_OLLAMA_HOSTS = `gpu1=${ollama.url}`;
  }
  const suite = await testSuite(t, { env });
  if (options.llm) await suite.pool.reprobe();
  t.after(async () => {
    await suite.close();
    await sources.stop();
    await ollama?.stop();
  });
  return { suite, sources, ollama };
}

const json = <X>(members: Map<string, Buffer>, name: string) => JSON.parse(members.get(name)!.toString('utf8')) as X;

test('a full build ingests all six providers, infers LLM stats and edges matched by name, and writes a verified snapshot', async (t) => {
  const { suite, sources, ollama } = await setup(t, { llm: true });
  const progress: string[] = [];
  const result = await suite.dispatcher.call(
    'buildKnowledgeSnapshot',
    {},
    { progress: (_p, _t, message) => void progress.push(message ?? '') },
  );
  assert.equal(result.isError, false, result.text);
  const build = (
    result.structuredContent as {
      build: {
        snapshot: string;
        file: string;
        counts: Record<string, number>;
        sources: Record<string, { requests: number; rows: number }>;
        notes: string[];
      };
    }
  ).build;
  const c = build.counts;
  assert.equal(c.countries, 20);
  assert.equal(c.apiStatistics, 88);
  assert.equal(c.tasks, 1760);
  assert.equal(c.tasks_error, 2, 'the two unconfirmed FRED ids answer 400');
  assert.ok(
    build.notes.some((n) =>
      /error USA shipping_cost_index: FRED FBXGLOBAL: HTTP 400: Bad Request\. {2}The series does not exist/.test(n),
    ),
  );
  assert.ok(c.observations! > 30_000, `${c.observations} observations`);
  assert.equal(c.tasks_empty ?? 0, 0, 'every covered series has data in the window');
  assert.equal(c.llmStats, 340, '17 LLM stats × 20 countries, no duplicates');
  assert.equal(c.llmEdgeWeights, 31 * 12);
  assert.equal(c.hmmFitted, 20);
  for (const provider of ['world_bank', 'fred', 'imf', 'oecd', 'bis', 'eia'])
    assert.ok(build.sources[provider]!.rows > 0 && build.sources[provider]!.requests > 0, provider);
  assert.equal(sources.count('imf'), 3, 'one DataMapper call per indicator for all countries');
  assert.ok(
    ['ingest', 'llm_stats', 'llm_edges', 'hmm', 'graph', 'snapshot', 'outputs'].every((phase) =>
      progress.some((m) => m.startsWith(`${phase} (`)),
    ),
    'progress for every phase',
  );
  // 20 countries × 4 batches of ≤ 5 stats, and 31 corridors.
  assert.equal(
    ollama!.requests.filter(
      (r) => r.path === '/api/chat' && JSON.stringify(r.body).includes('Estimate these statistics'),
    ).length >= 80,
    true,
  );

  const members = await readSnapshot(build.file);
  assert.deepEqual([...members.keys()].sort(), [
    'catalogue.json',
    'edge_weights.json',
    'graph.json',
    'hmm_params.json',
    'hmm_states.json',
    'llm_stats.json',
    'manifest.json',
    'observations.columnar.json',
    'regimes.json',
    'sources.json',
    'tasks.json',
  ]);
  const stats = json<{ inferred: InferredStat[]; dropped: { unknown: number; duplicates: number } }>(
    members,
    'llm_stats.json',
  );
  for (const s of stats.inferred) {
    assert.equal(s.value, kbStatValue(s.country, s.stat), `${s.country} ${s.stat} matched by name`);
    assert.match(s.provenance, /^llm:/);
    assert.ok(s.confidence > 0 && s.confidence <= 1);
  }
  assert.equal(stats.dropped.unknown, 80);
  assert.equal(stats.dropped.duplicates, 80);
  const edges = json<{ inferred: InferredEdge[]; blended: number }>(members, 'edge_weights.json');
  for (const e of edges.inferred) assert.equal(e.weight, kbEdgeWeight(e.key), e.key);
  const graph = json<FinancialGraphData>(members, 'graph.json');
  assert.equal(graph.countries!.length, 20);
  assert.equal(graph.statistics!.length, 20 * 112);
  assert.equal(graph.corridors!.length, 62);
  const seed = graph.contagion!.find((e) => e.from === 'USA_policy_rate' && e.to === 'CAN_policy_rate')!;
  assert.equal(
    seed.weight,
    Math.round((0.3 * 0.85 + 0.7 * kbEdgeWeight('USA_policy_rate->CAN_policy_rate')) * 1e6) / 1e6,
    'seed blended 0.3 × seed + 0.7 × LLM',
  );
  assert.match(seed.provenance!, /^seed\+llm:/);
  const llmStat = graph.statistics!.find((s) => s.id === 'DEU_median_age')!;
  assert.equal(llmStat.value, kbStatValue('DEU', 'median_age'));
  const cpi = graph.statistics!.find((s) => s.id === 'USA_core_cpi')!;
  assert.equal(cpi.unit, 'percent_yoy');
  const cpiPoints = graph.points!.filter((p) => p.statistic === 'USA_core_cpi');
  assert.ok(
    cpiPoints.length >= 100 && cpiPoints[0]!.period === '2018-01',
    `${cpiPoints.length} monthly YoY points from January 2018 (the index is fetched from 2017)`,
  );
  const secret = [...members.values()].some(
    (b) => b.toString('utf8').includes('fred-test-key') || b.toString('utf8').includes('eia-test-key'),
  );
  assert.equal(secret, false, 'API keys appear in no snapshot file');

  const verified = await suite.dispatcher.call('runTool', { name: 'knowledge_base_verify_snapshot', arguments: {} });
  assert.equal(
    (verified.structuredContent as { result: { ok: boolean; checked: number } }).result.ok,
    true,
    verified.text,
  );
  // The graph can go live, and the knowledge tools read it.
  const restored = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_restore_snapshot',
    arguments: {},
    confirm: true,
  });
  assert.equal(restored.isError, false, restored.text);
  const regime = await suite.dispatcher.call('queryKnowledgeGraph', {
    cypher: 'MATCH (c:Country)-[:IN_REGIME]->(r:Regime) RETURN count(r) AS n',
  });
  assert.equal((regime.structuredContent as { rows: { n: number }[] }).rows[0]!.n, 20);
});

test('a provider without its API key is skipped with a clear note and the build goes on', async (t) => {
  const { suite, sources } = await setup(t, { fredKey: false });
  const result = await suite.dispatcher.call('buildKnowledgeSnapshot', { skipLlm: true });
  assert.equal(result.isError, false, result.text);
  const build = (
    result.structuredContent as {
      build: {
        counts: Record<string, number>;
        notes: string[];
        sources: Record<string, { enabled: boolean; note?: string }>;
      };
    }
  ).build;
  assert.equal(sources.count('fred'), 0);
  assert.equal(build.sources.fred!.enabled, false);
  assert.match(build.sources.fred!.note!, /no API key \(set FRED_API_KEY\)/);
  assert.ok(build.notes.some((n) => /LLM phases skipped: skip-llm/.test(n)));
  assert.ok(build.counts.tasks_skipped! > 0 && build.counts.tasks_fetched! > 0);
});

test('two builds give daily outputs: regime changes and > 5 pp scenario moves become alerts, and the signals follow their schema', async (t) => {
  const { suite, sources } = await setup(t);
  const first = await suite.dispatcher.call('buildKnowledgeSnapshot', { skipLlm: true });
  assert.equal(first.isError, false, first.text);
  const firstSignals = await suite.dispatcher.call('generateMarketSignals', {});
  assert.equal((firstSignals.structuredContent as { previous: string | null }).previous, null);
  // A month later, a shock hits three countries. The cache would serve the old data for 30 days, so clear it.
  sources.options.lastDate = '2026-11-30';
  sources.options.shock = { from: '2025-01-01', size: 8, countries: ['TUR', 'BRA', 'ITA'] };
  await rm(path.join(suite.dataDir, 'kb', 'cache'), { recursive: true, force: true });
  const second = await suite.dispatcher.call('buildKnowledgeSnapshot', { skipLlm: true });
  assert.equal(second.isError, false, second.text);
  const signals = await suite.dispatcher.call('generateMarketSignals', {});
  const r = signals.structuredContent as {
    snapshot: string;
    previous: string;
    signals: unknown;
    report: string;
    alerts: number;
  };
  assert.match(r.previous, /^kb_snapshot_\d{8}\.tar\.gz$/);
  assert.match(r.snapshot, /^kb_snapshot_\d{8}-2\.tar\.gz$/);
  const parsed = scannerSignalsSchema.parse(r.signals);
  assert.ok(parsed.alerts.length > 0, 'the shock produces alerts');
  for (const alert of parsed.alerts) {
    const country = parsed.countries.find((c) => c.iso3 === alert.country)!;
    if (alert.kind === 'regime_change') assert.equal(country.regimeChanged, true);
    else assert.ok(Math.abs(alert.deltaPp!) > 5);
  }
  assert.ok(parsed.movers.length > 0 && parsed.movers.some((m) => ['TUR', 'BRA', 'ITA'].includes(m.country)));
  assert.match(r.report, /## Alerts\n\n- \*\*/);
  assert.match(r.report, /\| Country \| Regime \| Before \|/);
  const diff = await suite.dispatcher.call('runTool', { name: 'knowledge_base_diff_snapshots', arguments: {} });
  const d = (diff.structuredContent as { result: { observations: { added: number; changed: number } } }).result;
  assert.ok(d.observations.added > 0 && d.observations.changed > 0, JSON.stringify(d.observations));
});

test('a background build returns a job at once, reports progress, can be cancelled, and resumes from its checkpoints', async (t) => {
  const { suite } = await setup(t, { latencyMs: 25 });
  const client = await connectClient(t, suite);
  const started = performance.now();
  const call = await client.callTool({
    name: 'buildKnowledgeSnapshot',
    arguments: { background: true, skipLlm: true },
  });
  assert.ok(performance.now() - started < 1000, 'returns before the build is done');
  const jobId = (call.structuredContent as { status: string; jobId: string }).jobId;
  assert.match(jobId, /^[0-9a-f-]{36}$/);
  let status;
  for (let i = 0; i < 100; i++) {
    status = await client.callTool({ name: 'getSnapshotStatus', arguments: { jobId } });
    if (/ingest/.test(textOf(status))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(textOf(status!), /running — ingest/);
  const again = await client.callTool({ name: 'buildKnowledgeSnapshot', arguments: { skipLlm: true } });
  assert.equal(again.isError, true);
  assert.match(textOf(again), /already running/);
  const cancelled = await client.callTool({
    name: 'runTool',
    arguments: { name: 'knowledge_base_cancel_snapshot_build', arguments: { jobId } },
  });
  assert.equal((cancelled.structuredContent as { result: { status: string } }).result.status, 'cancelled');
  const listed = await client.callTool({ name: 'getSnapshotStatus', arguments: {} });
  assert.match(textOf(listed), /cancelled \(resumable\)/);
  const resumed = await client.callTool({ name: 'buildKnowledgeSnapshot', arguments: { skipLlm: true, resume: true } });
  assert.ok(!resumed.isError, textOf(resumed));
  const build = (resumed.structuredContent as { build: { resumed: boolean; counts: Record<string, number> } }).build;
  assert.equal(build.resumed, true);
  assert.equal(build.counts.tasks, 1760);
});

test('an offline rebuild makes no request at all and reproduces the data from the caches, LLM answers included', async (t) => {
  const { suite, sources, ollama } = await setup(t, { llm: true });
  const online = await suite.dispatcher.call('buildKnowledgeSnapshot', {});
  assert.equal(online.isError, false, online.text);
  const requests = sources.requests.length;
  const chats = ollama!.requests.filter((r) => r.path === '/api/chat').length;
  const offline = await suite.dispatcher.call('buildKnowledgeSnapshot', { offline: true });
  assert.equal(offline.isError, false, offline.text);
  assert.equal(sources.requests.length, requests, 'no provider request');
  assert.equal(ollama!.requests.filter((r) => r.path === '/api/chat').length, chats, 'no LLM call');
  const files = (result: typeof online) =>
    readSnapshot((result.structuredContent as { build: { file: string } }).build.file);
  const [a, b] = await Promise.all([files(online), files(offline)]);
  for (const name of ['observations.columnar.json', 'graph.json', 'regimes.json', 'hmm_params.json'])
    assert.ok(a.get(name)!.equals(b.get(name)!), `${name} is the same`);
  // The LLM files also count this run's calls and dropped answers (none offline); the values are the same.
  for (const name of ['llm_stats.json', 'edge_weights.json'])
    assert.deepEqual(
      json<{ inferred: unknown[] }>(b, name).inferred,
      json<{ inferred: unknown[] }>(a, name).inferred,
      name,
    );
  assert.equal(json<{ calls: number }>(b, 'llm_stats.json').calls, 0);
  const build = (offline.structuredContent as { build: { counts: Record<string, number> } }).build;
  assert.equal(
    build.counts.tasks_cached,
    1760 - build.counts.tasks_not_covered! - 2,
    'every covered task but the two FRED errors came from the cache',
  );
});
