// Phase "graph": the build's data as the financial graph (countries, one Statistic node per country
// and catalogue stat with its latest value, every observation as a SeriesPoint, 62 TRADE_DEPENDS
// edges, seed CONTAGION edges with the LLM weights blended in, regimes and crisis scenarios), written
// into a fresh Kuzu database and read back out of it as the snapshot's graph export, so the export is
// what the graph holds, not what we meant to put in it.
import type { FinancialGraphData, EdgeRow } from '../financial.js';
import { ingestFinancial } from '../financial.js';
import type { GraphStore } from '../graph/graph-store.js';
import { countries } from './catalogue/countries.js';
import { minimumEdgeWeight, seedContagion, seedShare, statisticId, tradeEdges } from './catalogue/corridors.js';
import { statistics } from './catalogue/statistics.js';
import type { InferredEdge, InferredStat } from './llm-inference.js';
import type { Observation } from './observation.js';
import type { CountryRegime } from './regimes/country-regimes.js';

export interface GraphInputs {
  observations: readonly Observation[];
  llmStats: readonly InferredStat[];
  llmEdges: readonly InferredEdge[];
  regimes: readonly CountryRegime[];
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** Seed edges, with each LLM weight blended in (0.3 × seed + 0.7 × LLM) or added when ≥ 0.05. */
export function contagionEdges(llmEdges: readonly InferredEdge[]): {
  edges: EdgeRow[];
  blended: number;
  added: number;
  droppedLight: number;
} {
  const edges = new Map<string, EdgeRow>(
    seedContagion().map((e) => [
      `${e.from}->${e.to}`,
      { from: e.from, to: e.to, weight: e.weight, mechanism: e.mechanism, provenance: 'seed' },
    ]),
  );
  let blended = 0;
  let added = 0;
  let droppedLight = 0;
  for (const inferred of [...llmEdges].sort((a, b) => a.key.localeCompare(b.key))) {
    const from = statisticId(inferred.sourceCountry, inferred.sourceStat);
    const to = statisticId(inferred.targetCountry, inferred.targetStat);
    const seed = edges.get(`${from}->${to}`);
    if (seed) {
      edges.set(`${from}->${to}`, {
        ...seed,
        weight: round(seedShare * seed.weight + (1 - seedShare) * inferred.weight),
        lagMonths: inferred.lagMonths,
        confidence: inferred.confidence,
        mechanism: inferred.mechanism || (seed.mechanism ?? ''),
        provenance: `seed+${inferred.provenance}`,
      });
      blended++;
    } else if (inferred.weight >= minimumEdgeWeight) {
      edges.set(`${from}->${to}`, {
        from,
        to,
        weight: round(inferred.weight),
        mechanism: inferred.mechanism,
        lagMonths: inferred.lagMonths,
        confidence: inferred.confidence,
        provenance: inferred.provenance,
      });
      added++;
    } else {
      droppedLight++;
    }
  }
  return {
    edges: [...edges.values()].sort((a, b) => (a.from + a.to).localeCompare(b.from + b.to)),
    blended,
    added,
    droppedLight,
  };
}

export function graphData(inputs: GraphInputs): FinancialGraphData {
  const latest = new Map<string, Observation>();
  for (const o of inputs.observations) {
    const key = statisticId(o.country, o.stat);
    const current = latest.get(key);
    if (!current || o.date > current.date) latest.set(key, o);
  }
  const inferred = new Map(inputs.llmStats.map((s) => [statisticId(s.country, s.stat), s]));
  const regimes = new Map(inputs.regimes.filter((r) => r.status === 'fitted').map((r) => [r.country, r]));
  return {
    countries: countries.map((c, index) => ({
      iso3: c.iso3,
      iso2: c.iso2,
      name: c.name,
      region: c.region,
      gdpRank: index + 1,
      regime: regimes.get(c.iso3)?.state ?? '',
    })),
    statistics: countries.flatMap((c) =>
      statistics.map((s) => {
        const id = statisticId(c.iso3, s.name);
        const o = latest.get(id);
        const llm = inferred.get(id);
        return {
          id,
          country: c.iso3,
          name: s.name,
          category: s.category,
          unit: s.unit,
          value: o?.value ?? llm?.value ?? null,
          period: o?.period ?? (llm ? 'llm-estimate' : null),
          sourceType: s.source,
          provider: o ? o.provider : llm ? llm.provenance : '',
        };
      }),
    ),
    points: inputs.observations.map((o) => ({
      statistic: statisticId(o.country, o.stat),
      period: o.period,
      value: o.value,
      source: o.provider,
    })),
    corridors: tradeEdges().map((e) => ({
      from: e.from,
      to: e.to,
      weight: e.weight,
      mechanism: 'bilateral trade intensity',
      provenance: 'seed',
    })),
    contagion: contagionEdges(inputs.llmEdges).edges,
    regimes: [...regimes.values()].map((r) => ({
      country: r.country,
      state: r.state!,
      probability: r.probabilities![r.state!],
      asOf: r.asOf!,
      model: 'gaussian-hmm-3-state-diagonal',
    })),
    scenarios: [...regimes.values()].map((r) => ({
      id: `crisis_12m_${r.country}`,
      name: `${r.country} enters the crisis regime within 12 months`,
      description: 'From the country HMM: P(crisis state at some month in the next 12) given the current posterior.',
      probability: r.scenarios!.crisis12m,
      horizonMonths: 12,
      affects: [{ country: r.country, weight: 1, mechanism: 'regime model' }],
    })),
  };
}

/** Writes the data into the (empty) graph and reads it back as the export. */
export async function buildGraph(
  graph: GraphStore,
  data: FinancialGraphData,
): Promise<{ export: FinancialGraphData; nodes: number; edges: number; elapsedMs: number }> {
  const started = performance.now();
  await ingestFinancial(graph, data);
  const big = { maxRows: 10_000_000, timeoutMs: 120_000, cache: false };
  const read = async <T>(cypher: string) => (await graph.read(cypher, {}, big)).rows as unknown as T;
  const exported: FinancialGraphData = {
    countries: await read<FinancialGraphData['countries']>(
      'MATCH (c:Country) RETURN c.iso3 AS iso3, c.iso2 AS iso2, c.name AS name, c.region AS region, c.gdpRank AS gdpRank, c.regime AS regime ORDER BY c.gdpRank',
    ),
    statistics: await read<FinancialGraphData['statistics']>(
      'MATCH (s:Statistic) RETURN s.id AS id, s.country AS country, s.name AS name, s.category AS category, s.unit AS unit, s.value AS value, s.period AS period, s.sourceType AS sourceType, s.provider AS provider ORDER BY s.id',
    ),
    points: await read<FinancialGraphData['points']>(
      'MATCH (p:SeriesPoint) RETURN p.statistic AS statistic, p.period AS period, p.value AS value, p.source AS source ORDER BY p.id',
    ),
    corridors: await read<FinancialGraphData['corridors']>(
      'MATCH (a:Country)-[e:TRADE_DEPENDS]->(b:Country) RETURN a.iso3 AS from, b.iso3 AS to, e.weight AS weight, e.mechanism AS mechanism, e.lagMonths AS lagMonths, e.confidence AS confidence, e.provenance AS provenance ORDER BY from, to',
    ),
    contagion: await read<FinancialGraphData['contagion']>(
      'MATCH (a:Statistic)-[e:CONTAGION]->(b:Statistic) RETURN a.id AS from, b.id AS to, e.weight AS weight, e.mechanism AS mechanism, e.lagMonths AS lagMonths, e.confidence AS confidence, e.provenance AS provenance ORDER BY from, to',
    ),
    regimes: await read<FinancialGraphData['regimes']>(
      'MATCH (r:Regime) RETURN r.country AS country, r.state AS state, r.probability AS probability, r.asOf AS asOf, r.model AS model ORDER BY r.id',
    ),
    scenarios: await read<FinancialGraphData['scenarios']>(
      'MATCH (s:Scenario) OPTIONAL MATCH (s)-[a:AFFECTS]->(c:Country) RETURN s.id AS id, s.name AS name, s.description AS description, s.probability AS probability, s.horizonMonths AS horizonMonths, collect({country: c.iso3, weight: a.weight, mechanism: a.mechanism}) AS affects ORDER BY id',
    ),
  };
  const nodes =
    (exported.countries?.length ?? 0) +
    (exported.statistics?.length ?? 0) +
    (exported.points?.length ?? 0) +
    (exported.regimes?.length ?? 0) +
    (exported.scenarios?.length ?? 0);
  const edges =
    (exported.statistics?.length ?? 0) +
    (exported.points?.length ?? 0) +
    (exported.corridors?.length ?? 0) +
    (exported.contagion?.length ?? 0) +
    (exported.regimes?.length ?? 0) +
    (exported.scenarios ?? []).reduce((s, x) => s + (x.affects?.length ?? 0), 0);
  return { export: exported, nodes, edges, elapsedMs: performance.now() - started };
}
