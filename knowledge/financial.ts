// The financial knowledge graph: bulk ingestion (UNWIND $rows, one transaction) and the
// parameterised queries behind the knowledge tools. Weights follow the peer KB's meaning:
// TRADE_DEPENDS is bilateral trade intensity, CONTAGION a causal transmission strength in [0, 1],
// and a shock propagates as impact(child) = impact(parent) × weight × decay.
import type { GraphRow, GraphStore, Statement } from './graph/graph-store.js';
import { KnowledgeError } from './knowledge-error.js';

export interface CountryRow {
  iso3: string;
  iso2?: string;
  name: string;
  region?: string;
  gdpRank?: number;
  regime?: string;
}
export interface StatisticRow {
  id: string;
  country: string;
  name: string;
  category?: string;
  unit?: string;
  value?: number | null;
  period?: string | null;
  sourceType?: string;
  provider?: string;
}
export interface PointRow {
  statistic: string;
  period: string;
  value: number;
  source?: string;
}
export interface EdgeRow {
  from: string;
  to: string;
  weight: number;
  mechanism?: string;
  lagMonths?: number;
  confidence?: number;
  provenance?: string;
}
export interface RegimeRow {
  country: string;
  state: string;
  probability: number;
  asOf: string;
  model?: string;
}
export interface ScenarioRow {
  id: string;
  name: string;
  description?: string;
  probability?: number;
  horizonMonths?: number;
  affects?: { country: string; weight: number; mechanism?: string }[];
}

export interface FinancialGraphData {
  countries?: CountryRow[];
  statistics?: StatisticRow[];
  points?: PointRow[];
  corridors?: EdgeRow[];
  contagion?: EdgeRow[];
  regimes?: RegimeRow[];
  scenarios?: ScenarioRow[];
}

/**
 * DOUBLE values travel as text and are CAST in the statement: Kuzu 0.11.3's Node binding types an
 * UNWIND list's field from its first row, so an integer-valued number (57) followed by 1.5 comes out
 * as 4.6e18, and 1.5 followed by 57 as 2.8e-322. Text has one type whatever the values.
 */
const double = (value: number | null | undefined): string | null =>
  value === null || value === undefined || !Number.isFinite(value) ? null : String(value);

const edge = (e: EdgeRow) => ({
  from: e.from,
  to: e.to,
  weight: double(e.weight),
  mechanism: e.mechanism ?? '',
  lagMonths: Math.round(e.lagMonths ?? 0),
  confidence: double(e.confidence ?? 1),
  provenance: e.provenance ?? '',
});

/**
 * The ingestion as statements for one transaction: nodes are merged by key, edges replaced. Into an
 * empty graph (`fresh`), nodes and their parent edges are CREATEd instead, which is about twice as
 * fast; a duplicate key in the data then fails the whole transaction instead of merging.
 */
export function ingestStatements(data: FinancialGraphData, options: { fresh?: boolean } = {}): Statement[] {
  const statements: Statement[] = [];
  const fresh = options.fresh === true;
  const add = (cypher: string, rows: unknown[] | undefined) => {
    if (rows && rows.length > 0) {
      // MERGE (x:T {k: r.k}) SET x.a = r.a, … MERGE (p)-[:R]->(x)  →  CREATE (p)-[:R]->(x:T {k: r.k, a: r.a, …})
      if (fresh) cypher = toCreate(cypher);
      statements.push({ cypher, params: { rows } });
    }
  };
  add(
    'UNWIND $rows AS r MERGE (c:Country {iso3: r.iso3}) SET c.iso2 = r.iso2, c.name = r.name, c.region = r.region, c.gdpRank = r.gdpRank, c.regime = r.regime',
    data.countries?.map((c) => ({
      iso3: c.iso3,
      iso2: c.iso2 ?? '',
      name: c.name,
      region: c.region ?? '',
      gdpRank: Math.round(c.gdpRank ?? 0),
      regime: c.regime ?? '',
    })),
  );
  // A child node is merged under its matched parent, and the edge merged in the same statement:
  // with Kuzu 0.11.3 this runs ~5× faster than matching both ends by key in a later statement.
  add(
    'UNWIND $rows AS r MATCH (c:Country {iso3: r.country}) MERGE (s:Statistic {id: r.id}) SET s.country = r.country, s.name = r.name, s.category = r.category, s.unit = r.unit, s.value = CAST(r.value AS DOUBLE), s.period = r.period, s.sourceType = r.sourceType, s.provider = r.provider MERGE (c)-[:MONITORS]->(s)',
    data.statistics?.map((s) => ({
      id: s.id,
      country: s.country,
      name: s.name,
      category: s.category ?? '',
      unit: s.unit ?? '',
      value: double(s.value),
      period: s.period ?? null,
      sourceType: s.sourceType ?? 'api',
      provider: s.provider ?? '',
    })),
  );
  add(
    'UNWIND $rows AS r MATCH (s:Statistic {id: r.statistic}) MERGE (p:SeriesPoint {id: r.id}) SET p.statistic = r.statistic, p.period = r.period, p.value = CAST(r.value AS DOUBLE), p.source = r.source MERGE (s)-[:HAS_POINT]->(p)',
    data.points?.map((p) => ({
      id: `${p.statistic}@${p.period}`,
      statistic: p.statistic,
      period: p.period,
      value: double(p.value),
      source: p.source ?? '',
    })),
  );
  if (data.corridors?.length) {
    if (!fresh)
      add(
        'UNWIND $rows AS r MATCH (a:Country {iso3: r.from})-[e:TRADE_DEPENDS]->(b:Country {iso3: r.to}) DELETE e',
        data.corridors.map((e) => ({ from: e.from, to: e.to })),
      );
    add(
      'UNWIND $rows AS r MATCH (a:Country {iso3: r.from}), (b:Country {iso3: r.to}) CREATE (a)-[:TRADE_DEPENDS {weight: CAST(r.weight AS DOUBLE), mechanism: r.mechanism, lagMonths: r.lagMonths, confidence: CAST(r.confidence AS DOUBLE), provenance: r.provenance}]->(b)',
      data.corridors.map(edge),
    );
  }
  if (data.contagion?.length) {
    if (!fresh)
      add(
        'UNWIND $rows AS r MATCH (a:Statistic {id: r.from})-[e:CONTAGION]->(b:Statistic {id: r.to}) DELETE e',
        data.contagion.map((e) => ({ from: e.from, to: e.to })),
      );
    add(
      'UNWIND $rows AS r MATCH (a:Statistic {id: r.from}), (b:Statistic {id: r.to}) CREATE (a)-[:CONTAGION {weight: CAST(r.weight AS DOUBLE), mechanism: r.mechanism, lagMonths: r.lagMonths, confidence: CAST(r.confidence AS DOUBLE), provenance: r.provenance}]->(b)',
      data.contagion.map(edge),
    );
  }
  add(
    'UNWIND $rows AS r MATCH (c:Country {iso3: r.country}) MERGE (g:Regime {id: r.id}) SET g.country = r.country, g.state = r.state, g.probability = CAST(r.probability AS DOUBLE), g.asOf = r.asOf, g.model = r.model MERGE (c)-[:IN_REGIME]->(g)',
    data.regimes?.map((g) => ({
      id: `${g.country}@${g.asOf}`,
      country: g.country,
      state: g.state,
      probability: double(g.probability),
      asOf: g.asOf,
      model: g.model ?? '',
    })),
  );
  add(
    'UNWIND $rows AS r MERGE (s:Scenario {id: r.id}) SET s.name = r.name, s.description = r.description, s.probability = CAST(r.probability AS DOUBLE), s.horizonMonths = r.horizonMonths',
    data.scenarios?.map((s) => ({
      id: s.id,
      name: s.name,
      description: s.description ?? '',
      probability: double(s.probability ?? 0),
      horizonMonths: Math.round(s.horizonMonths ?? 12),
    })),
  );
  add(
    'UNWIND $rows AS r MATCH (s:Scenario {id: r.id}), (c:Country {iso3: r.country}) CREATE (s)-[:AFFECTS {weight: CAST(r.weight AS DOUBLE), mechanism: r.mechanism}]->(c)',
    data.scenarios?.flatMap((s) =>
      (s.affects ?? []).map((a) => ({
        id: s.id,
        country: a.country,
        weight: double(a.weight),
        mechanism: a.mechanism ?? '',
      })),
    ),
  );
  return statements;
}

function toCreate(cypher: string): string {
  const merged = /MERGE \((\w+):(\w+) \{(\w+): ([\w.]+)\}\) SET (.*?)(?: MERGE \((\w+)\)-\[:(\w+)\]->\(\1\))?$/.exec(
    cypher,
  );
  if (!merged) return cypher;
  const [whole, variable, label, key, value, sets, parent, rel] = merged;
  const properties = [
    `${key}: ${value}`,
    ...sets!.split(/,\s*/).map((assignment) => assignment.replace(new RegExp(`^${variable}\\.(\\w+) = `), '$1: ')),
  ].join(', ');
  const node = `(${variable}:${label} {${properties}})`;
  return (
    cypher.slice(0, merged.index) +
    (parent ? `CREATE (${parent})-[:${rel}]->${node}` : `CREATE ${node}`) +
    cypher.slice(merged.index + whole!.length)
  );
}

export function rowCount(data: FinancialGraphData): number {
  return (
    (data.countries?.length ?? 0) +
    (data.statistics?.length ?? 0) * 2 +
    (data.points?.length ?? 0) * 2 +
    (data.corridors?.length ?? 0) +
    (data.contagion?.length ?? 0) +
    (data.regimes?.length ?? 0) * 2 +
    (data.scenarios?.length ?? 0)
  );
}

/** Parents every row needs (a statistic's country, a point's statistic…) that neither the data nor the graph has. */
async function missingParents(graph: GraphStore, data: FinancialGraphData): Promise<string[]> {
  const missing: string[] = [];
  const check = async (label: string, key: string, wanted: Iterable<string>, given: Iterable<string>) => {
    const have = new Set(given);
    const ask = [...new Set(wanted)].filter((k) => !have.has(k));
    if (ask.length === 0) return;
    const { rows } = await graph.read(
      `UNWIND $keys AS k MATCH (n:${label} {${key}: k}) RETURN k`,
      { keys: ask },
      { maxRows: ask.length },
    );
    const found = new Set(rows.map((r) => String(r.k)));
    for (const k of ask) if (!found.has(k)) missing.push(`${label} ${k}`);
  };
  const countries = (data.countries ?? []).map((c) => c.iso3);
  const statistics = (data.statistics ?? []).map((s) => s.id);
  await check(
    'Country',
    'iso3',
    [
      ...(data.statistics ?? []).map((s) => s.country),
      ...(data.regimes ?? []).map((g) => g.country),
      ...(data.corridors ?? []).flatMap((e) => [e.from, e.to]),
      ...(data.scenarios ?? []).flatMap((s) => (s.affects ?? []).map((a) => a.country)),
    ],
    countries,
  );
  await check(
    'Statistic',
    'id',
    [...(data.points ?? []).map((p) => p.statistic), ...(data.contagion ?? []).flatMap((e) => [e.from, e.to])],
    statistics,
  );
  return missing;
}

export async function ingestFinancial(
  graph: GraphStore,
  data: FinancialGraphData,
  /** Statements that run after the ingestion in the same transaction (publishing records its source). */
  after: readonly Statement[] = [],
): Promise<{ rows: number; elapsedMs: number; mode: 'create' | 'merge' }> {
  const started = performance.now();
  const missing = await missingParents(graph, data);
  if (missing.length > 0)
    throw new KnowledgeError(
      'BAD_INPUT',
      `${missing.length} rows refer to nodes that are neither in the file nor in the graph: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`,
    );
  const fresh =
    (await graph.read('MATCH (c:Country) RETURN count(c) AS n')).rows[0]!.n === 0 &&
    (await graph.read('MATCH (s:Statistic) RETURN count(s) AS n')).rows[0]!.n === 0;
  await graph.write([...ingestStatements(data, { fresh }), ...after]);
  return { rows: rowCount(data), elapsedMs: performance.now() - started, mode: fresh ? 'create' : 'merge' };
}

async function requireCountry(graph: GraphStore, iso3: string): Promise<GraphRow> {
  const { rows } = await graph.read(
    'MATCH (c:Country {iso3: $c}) RETURN c.iso3 AS iso3, c.iso2 AS iso2, c.name AS name, c.region AS region, c.gdpRank AS gdpRank, c.regime AS regime',
    { c: iso3 },
  );
  if (rows.length === 0) {
    const known = await graph.read('MATCH (c:Country) RETURN c.iso3 AS iso3 ORDER BY iso3', {}, { maxRows: 300 });
    throw new KnowledgeError(
      'NOT_FOUND',
      `no country "${iso3}" in the graph; known ISO-3 codes: ${known.rows.map((r) => r.iso3).join(', ') || 'none (the graph is empty; build a snapshot or import one)'}`,
    );
  }
  return rows[0]!;
}

export async function neighbours(
  graph: GraphStore,
  iso3: string,
  options: { direction: 'out' | 'in' | 'both'; minWeight: number; limit: number },
) {
  const reads: Promise<{ rows: GraphRow[] }>[] = [];
  if (options.direction !== 'in')
    reads.push(
      graph.read(
        'MATCH (a:Country {iso3: $c})-[e:TRADE_DEPENDS]->(b:Country) WHERE e.weight >= $w RETURN b.iso3 AS country, b.name AS name, e.weight AS weight, e.mechanism AS mechanism, "out" AS direction ORDER BY weight DESC LIMIT $n',
        { c: iso3, w: options.minWeight, n: options.limit },
      ),
    );
  if (options.direction !== 'out')
    reads.push(
      graph.read(
        'MATCH (a:Country {iso3: $c})<-[e:TRADE_DEPENDS]-(b:Country) WHERE e.weight >= $w RETURN b.iso3 AS country, b.name AS name, e.weight AS weight, e.mechanism AS mechanism, "in" AS direction ORDER BY weight DESC LIMIT $n',
        { c: iso3, w: options.minWeight, n: options.limit },
      ),
    );
  const rows = (await Promise.all(reads)).flatMap((r) => r.rows);
  if (rows.length === 0) await requireCountry(graph, iso3); // an unknown country is an error, not an empty list
  return rows.sort((a, b) => Number(b.weight) - Number(a.weight)).slice(0, options.limit);
}

/** Two-hop contagion from a statistic: the summed product of weights per reachable target. */
export async function contagionTwoHop(graph: GraphStore, statistic: string, limit: number) {
  const [direct, second] = await Promise.all([
    graph.read(
      'MATCH (s:Statistic {id: $s})-[e:CONTAGION]->(t:Statistic) RETURN t.id AS target, e.weight AS weight, e.mechanism AS mechanism ORDER BY weight DESC LIMIT $n',
      { s: statistic, n: limit },
    ),
    graph.read(
      'MATCH (s:Statistic {id: $s})-[e1:CONTAGION]->(m:Statistic)-[e2:CONTAGION]->(t:Statistic) WHERE t.id <> $s RETURN t.id AS target, SUM(e1.weight * e2.weight) AS strength, COUNT(*) AS paths ORDER BY strength DESC LIMIT $n',
      { s: statistic, n: limit },
    ),
  ]);
  if (
    direct.rows.length === 0 &&
    (await graph.read('MATCH (s:Statistic {id: $s}) RETURN s.id', { s: statistic })).rows.length === 0
  ) {
    throw new KnowledgeError(
      'NOT_FOUND',
      `no statistic "${statistic}"; statistic ids look like "USA_policy_rate" (find them with knowledge_base_find_nodes)`,
    );
  }
  return { direct: direct.rows, twoHop: second.rows };
}

/** Shock propagation: breadth-first, each node once, impact × weight × decay, stop below a floor. */
export async function propagateShock(
  graph: GraphStore,
  statistic: string,
  options: { shock: number; decay: number; floor: number; maxHops: number; limit: number },
) {
  const start = await graph.read('MATCH (s:Statistic {id: $s}) RETURN s.id AS id', { s: statistic });
  if (start.rows.length === 0)
    throw new KnowledgeError('NOT_FOUND', `no statistic "${statistic}"; statistic ids look like "USA_policy_rate"`);
  const { rows } = await graph.read(
    `MATCH (s:Statistic {id: $s})-[:CONTAGION*1..${options.maxHops}]->(t:Statistic) WITH DISTINCT t MATCH (a:Statistic)-[e:CONTAGION]->(t) RETURN a.id AS src, t.id AS dst, e.weight AS weight`,
    { s: statistic },
    { maxRows: 1_000_000 },
  );
  const first = await graph.read(
    'MATCH (s:Statistic {id: $s})-[e:CONTAGION]->(t:Statistic) RETURN $s AS src, t.id AS dst, e.weight AS weight',
    { s: statistic },
    { maxRows: 100_000 },
  );
  const out = new Map<string, { dst: string; weight: number }[]>();
  for (const r of [...first.rows, ...rows]) {
    const list = out.get(String(r.src)) ?? [];
    if (!list.some((x) => x.dst === r.dst)) list.push({ dst: String(r.dst), weight: Number(r.weight) });
    out.set(String(r.src), list);
  }
  const impact = new Map<string, { impact: number; hops: number; via: string }>([
    [statistic, { impact: options.shock, hops: 0, via: '' }],
  ]);
  let frontier = [statistic];
  for (let hop = 1; hop <= options.maxHops && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const node of frontier) {
      const parent = impact.get(node)!;
      for (const { dst, weight } of out.get(node) ?? []) {
        if (impact.has(dst)) continue;
        const value = parent.impact * weight * options.decay;
        if (Math.abs(value) < options.floor) continue;
        impact.set(dst, { impact: value, hops: hop, via: node });
        next.push(dst);
      }
    }
    frontier = next;
  }
  impact.delete(statistic);
  return [...impact]
    .map(([id, v]) => ({ statistic: id, impact: Number(v.impact.toFixed(6)), hops: v.hops, via: v.via }))
    .sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact))
    .slice(0, options.limit);
}

/** The fewest-hop trade paths between two countries, strongest first (product of weights). */
export async function tradePaths(graph: GraphStore, from: string, to: string, limit: number) {
  await requireCountry(graph, from);
  await requireCountry(graph, to);
  const { rows } = await graph.read(
    'MATCH p = (a:Country {iso3: $a})-[e:TRADE_DEPENDS* ALL SHORTEST 1..6]->(b:Country {iso3: $b}) RETURN list_transform(nodes(p), n -> n.iso3) AS path, list_transform(rels(p), r -> r.weight) AS weights',
    { a: from, b: to },
    { maxRows: 1_000 },
  );
  return rows
    .map((r) => ({
      path: r.path as string[],
      weights: r.weights as number[],
      strength: Number((r.weights as number[]).reduce((x, w) => x * w, 1).toFixed(6)),
    }))
    .sort((a, b) => b.strength - a.strength)
    .slice(0, limit);
}

export async function countryProfile(graph: GraphStore, iso3: string, statisticLimit: number) {
  const country = await requireCountry(graph, iso3);
  const [statistics, regime, corridors, exposure] = await Promise.all([
    graph.read(
      'MATCH (c:Country {iso3: $c})-[:MONITORS]->(s:Statistic) RETURN s.id AS id, s.name AS name, s.category AS category, s.value AS value, s.unit AS unit, s.period AS period ORDER BY s.category, s.name LIMIT $n',
      { c: iso3, n: statisticLimit },
      { maxRows: statisticLimit },
    ),
    graph.read(
      'MATCH (c:Country {iso3: $c})-[:IN_REGIME]->(g:Regime) RETURN g.state AS state, g.probability AS probability, g.asOf AS asOf ORDER BY g.asOf DESC LIMIT 1',
      { c: iso3 },
    ),
    graph.read(
      'MATCH (c:Country {iso3: $c})-[e:TRADE_DEPENDS]->(b:Country) RETURN b.iso3 AS country, e.weight AS weight ORDER BY weight DESC LIMIT 5',
      { c: iso3 },
    ),
    graph.read(
      'MATCH (s:Statistic)-[e:CONTAGION]->(t:Statistic) WHERE t.country = $c AND s.country <> $c RETURN s.country AS source, COUNT(*) AS channels, SUM(e.weight) AS strength ORDER BY strength DESC LIMIT 5',
      { c: iso3 },
    ),
  ]);
  return {
    country,
    statistics: statistics.rows,
    totalStatistics: statistics.totalRows,
    regime: regime.rows[0] ?? null,
    topCorridors: corridors.rows,
    contagionSources: exposure.rows,
  };
}

export async function series(graph: GraphStore, statistic: string, from?: string, to?: string) {
  const { rows } = await graph.read(
    'MATCH (s:Statistic {id: $s})-[:HAS_POINT]->(p:SeriesPoint) WHERE ($from = "" OR p.period >= $from) AND ($to = "" OR p.period <= $to) RETURN p.period AS period, p.value AS value, p.source AS source ORDER BY period',
    { s: statistic, from: from ?? '', to: to ?? '' },
    { maxRows: 10_000 },
  );
  return rows;
}

export async function regimes(graph: GraphStore, iso3: string, limit: number) {
  await requireCountry(graph, iso3);
  return (
    await graph.read(
      'MATCH (c:Country {iso3: $c})-[:IN_REGIME]->(g:Regime) RETURN g.state AS state, g.probability AS probability, g.asOf AS asOf, g.model AS model ORDER BY g.asOf DESC LIMIT $n',
      { c: iso3, n: limit },
    )
  ).rows;
}

export async function aggregateStatistic(graph: GraphStore, name: string) {
  return (
    await graph.read(
      'MATCH (c:Country)-[:MONITORS]->(s:Statistic {name: $n}) WHERE s.value IS NOT NULL RETURN c.region AS region, COUNT(*) AS countries, AVG(s.value) AS mean, MIN(s.value) AS min, MAX(s.value) AS max ORDER BY region',
      { n: name },
    )
  ).rows;
}

export async function findNodes(graph: GraphStore, text: string, limit: number) {
  const needle = text.toLowerCase();
  const [countries, statistics, entities] = await Promise.all([
    graph.read(
      'MATCH (c:Country) WHERE lower(c.name) CONTAINS $t OR lower(c.iso3) = $t OR lower(c.iso2) = $t RETURN "Country" AS label, c.iso3 AS key, c.name AS name LIMIT $n',
      { t: needle, n: limit },
    ),
    graph.read(
      'MATCH (s:Statistic) WHERE lower(s.id) CONTAINS $t OR lower(s.name) CONTAINS $t RETURN "Statistic" AS label, s.id AS key, s.name AS name LIMIT $n',
      { t: needle, n: limit },
    ),
    graph.read(
      'MATCH (e:Entity) WHERE lower(e.name) CONTAINS $t RETURN "Entity" AS label, e.name AS key, e.entityType AS name LIMIT $n',
      { t: needle, n: limit },
    ),
  ]);
  return [...countries.rows, ...statistics.rows, ...entities.rows].slice(0, limit);
}

export async function graphCounts(graph: GraphStore): Promise<Record<string, number>> {
  const tables = await graph.tables();
  const counts: Record<string, number> = {};
  for (const table of tables) if (!table.name.startsWith('_')) counts[table.name] = await graph.count(table.name);
  return counts;
}

/** expandRef for many references at once: one query per node label instead of one per hit. */
export async function expandRefs(
  graph: GraphStore,
  refs: readonly string[],
  hops: 1 | 2,
  limit: number,
): Promise<Map<string, GraphRow[]>> {
  const keyOf: Record<string, string> = {
    Country: 'iso3',
    Statistic: 'id',
    Entity: 'name',
    Regime: 'id',
    Scenario: 'id',
  };
  const byLabel = new Map<string, string[]>();
  for (const ref of new Set(refs)) {
    const [label, ...rest] = ref.split(':');
    if (label && keyOf[label] && rest.length) byLabel.set(label, [...(byLabel.get(label) ?? []), rest.join(':')]);
  }
  const out = new Map<string, GraphRow[]>();
  await Promise.all(
    [...byLabel].map(async ([label, keys]) => {
      // Fixed-length untyped hops: Kuzu 0.11.3 runs a variable-length [*1..2] over every
      // relationship table inside UNWIND some 25× slower (78 vs 3 ms for five keys).
      const patterns = hops === 1 ? ['-[]-(b)'] : ['-[]-(b)', '-[]-()-[]-(b)'];
      const reads = await Promise.all(
        patterns.map((pattern) =>
          graph.read(
            `UNWIND $keys AS k MATCH (a:${label} {${keyOf[label]}: k})${pattern} WHERE b <> a RETURN DISTINCT k AS key, label(b) AS label, coalesce(b.name, b.id, b.iso3, b.content) AS name`,
            { keys },
            { maxRows: 100_000 },
          ),
        ),
      );
      const seen = new Set<string>();
      for (const row of reads.flatMap((r) => r.rows)) {
        const id = `${row.key}\u0000${row.label}\u0000${row.name}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const ref = `${label}:${row.key}`;
        const list = out.get(ref) ?? [];
        if (list.length < limit) list.push({ label: row.label, name: row.name });
        out.set(ref, list);
      }
    }),
  );
  return out;
}

/** Nodes within 1–2 hops of a graph reference such as "Country:USA" or "Entity:Ada". */
export async function expandRef(graph: GraphStore, ref: string, hops: 1 | 2, limit: number): Promise<GraphRow[]> {
  return (await expandRefs(graph, [ref], hops, limit)).get(ref) ?? [];
}
