// The dashboard's Knowledge view: the graph explorer (a country's profile, trade neighbours,
// contagion edges, series and regime history) and the snapshots with their coverage and diffs.
// Every figure comes from the knowledge_base_* internal tools, run as an MCP call would run them.
import { z } from 'zod';
import type { Suite } from '../../composition.js';
import type { DashboardEvents } from '../events.js';
import { params, tool, ApiError, type ApiContext, type ApiRoute, type ToolAnswer } from '../api.js';

const iso3 = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'expected an ISO-3 country code such as USA')
  .transform((s) => s.toUpperCase());
const snapshotName = z
  .string()
  .regex(/^kb_snapshot_\d{8}(?:-\d+)?\.tar\.gz$/, 'expected a snapshot file name such as kb_snapshot_20261122.tar.gz');

/** A tool's answer, or an API error: the caller's fault (unknown country, snapshot) is a 404/400. */
function answer(result: ToolAnswer, notFound = 404): Record<string, unknown> {
  if (result.ok) return result.output;
  if (result.code === 'INVALID_INPUT') throw new ApiError(notFound, result.message);
  throw new ApiError(503, result.message);
}

/** What the Knowledge view says when something is missing, with the call that fills it. */
const fill = {
  graph:
    'Load the bundled sample with the knowledge_base_load_sample tool ({}) or `npx caelum kb sample`, or build from the live providers and publish: buildKnowledgeSnapshot with {"background": true, "publish": true, "confirm": true} (or `npx caelum kb build --publish`).',
  sample:
    'The graph holds the SAMPLE knowledge base (recorded answers, not live data). Replace it with a build from the live providers: `npx caelum kb build --publish`, or buildKnowledgeSnapshot with {"background": true, "publish": true, "confirm": true}.',
  snapshots:
    'No snapshot has been built in this data directory yet. Build one with buildKnowledgeSnapshot ({"background": true}) or `npx caelum kb build`; the sample load does not write one. A diff needs two.',
};

async function overview(context: ApiContext) {
  // knowledge_base_get_source waits for (or starts) the first-start sample load, so it runs first.
  const source = await tool(context, 'knowledge_base_get_source', {});
  const [stats, countries, snapshots, status] = await Promise.all([
    tool(context, 'knowledge_base_get_graph_stats', {}),
    tool(context, 'knowledge_base_run_cypher', {
      cypher:
        'MATCH (c:Country) RETURN c.iso3 AS iso3, c.name AS name, c.region AS region, c.regime AS regime ORDER BY iso3',
      maxRows: 500,
      maxTokens: 100_000,
    }),
    tool(context, 'knowledge_base_list_snapshots', { limit: 100 }),
    tool(context, 'knowledge_base_get_snapshot_status', { limit: 10 }),
  ]);
  const sourceView = source.ok ? (source.output.source as { kind?: string } | null) : null;
  const countryRows = countries.ok ? (countries.output.rows as Record<string, unknown>[]) : [];
  const snapshotRows = snapshots.ok ? (snapshots.output.snapshots as unknown[]) : [];
  const missing: Record<string, string> = {};
  if (countryRows.length === 0) missing.graph = fill.graph;
  else if (sourceView?.kind === 'sample') missing.sample = fill.sample;
  if (snapshotRows.length === 0) missing.snapshots = fill.snapshots;
  const errors = [source, stats, countries, snapshots, status]
    .filter((a): a is Extract<ToolAnswer, { ok: false }> => !a.ok)
    .map((a) => a.message);
  return {
    ok: true,
    source: sourceView,
    sourceText: source.ok ? source.text : undefined,
    stats: stats.ok ? stats.output : null,
    countries: countryRows,
    snapshots: snapshotRows,
    builds: status.ok ? status.output.builds : [],
    jobs: status.ok ? status.output.jobs : [],
    missing,
    ...(errors.length ? { errors } : {}),
  };
}

async function country(context: ApiContext) {
  const { code } = params(context, z.object({ code: iso3 }));
  // The profile first: an unknown country is one clear 404 naming the codes the graph knows.
  const profile = answer(await tool(context, 'knowledge_base_get_country_profile', { country: code, statistics: 500 }));
  const [neighbours, regimes, contagion] = await Promise.all([
    tool(context, 'knowledge_base_get_neighbours', { country: code, direction: 'both', limit: 200 }),
    tool(context, 'knowledge_base_get_regime', { country: code, limit: 500 }),
    tool(context, 'knowledge_base_run_cypher', {
      cypher:
        'MATCH (s:Statistic)-[e:CONTAGION]->(t:Statistic) WHERE s.country = $c OR t.country = $c RETURN s.id AS source, t.id AS target, s.country AS sourceCountry, t.country AS targetCountry, e.weight AS weight, e.mechanism AS mechanism ORDER BY weight DESC, source, target',
      params: { c: code },
      maxRows: 500,
      maxTokens: 100_000,
    }),
  ]);
  return {
    ok: true,
    code,
    profile,
    neighbours: answer(neighbours).neighbours,
    regimes: answer(regimes).regimes,
    contagion: {
      edges: answer(contagion).rows,
      totalRows: contagion.ok ? contagion.output.totalRows : 0,
      truncated: contagion.ok ? contagion.output.truncated : false,
    },
  };
}

async function series(context: ApiContext) {
  const { statistic } = params(
    context,
    z.object({
      statistic: z
        .string()
        .regex(/^[A-Za-z]{3}_[A-Za-z0-9_.-]{1,196}$/, 'expected a statistic id such as USA_policy_rate'),
    }),
  );
  return { ok: true, ...answer(await tool(context, 'knowledge_base_get_series', { statistic })) };
}

async function diff(context: ApiContext) {
  const query = params(context, z.object({ from: snapshotName, to: snapshotName }));
  if (query.from === query.to) throw new ApiError(400, 'to: pick two different snapshots');
  return {
    ok: true,
    ...answer(await tool(context, 'knowledge_base_diff_snapshots', { from: query.from, to: query.to, limit: 50 })),
  };
}

export const knowledgeRoutes: ApiRoute[] = [
  { path: 'knowledge', handler: overview },
  { path: 'knowledge-country', handler: country },
  { path: 'knowledge-series', handler: series },
  { path: 'knowledge-diff', handler: diff },
];

/**
 * Live: snapshot build jobs and builds on disk (knowledge_base_get_snapshot_status, which reads only
 * the build states), sent as event `knowledge` when they change, so the page refreshes its
 * snapshot list when a build starts, moves a phase or ends.
 */
export function knowledgeWatcher(events: DashboardEvents, suite: Suite): void {
  const signal = new AbortController().signal;
  events.watch('knowledge', 10_000, async () => {
    const status = await tool({ suite, params: new URLSearchParams(), signal }, 'knowledge_base_get_snapshot_status', {
      limit: 5,
    });
    if (!status.ok) return { error: status.message };
    const jobs = status.output.jobs as { jobId: string; status: string; progress?: { phase: string } }[];
    const builds = status.output.builds as { buildId: string; status: string; snapshot?: string }[];
    return {
      jobs: jobs.map((j) => ({ jobId: j.jobId, status: j.status, phase: j.progress?.phase })),
      builds: builds.map((b) => ({ buildId: b.buildId, status: b.status, snapshot: b.snapshot })),
    };
  });
}
