// Reads the financial graph back out in the shape ingestFinancial takes (and knowledge_base_import_graph
// reads), so a graph can be moved to another data dir, kept under version control or opened in a
// spreadsheet. Every section is read with a row budget; a section cut by it says so.
import type { GraphRow, GraphStore } from './graph/graph-store.js';
import type { FinancialGraphData } from './financial.js';

export const exportSections = [
  'countries',
  'statistics',
  'points',
  'corridors',
  'contagion',
  'regimes',
  'scenarios',
] as const;
export type ExportSection = (typeof exportSections)[number];

const edgeColumns =
  'e.weight AS weight, e.mechanism AS mechanism, e.lagMonths AS lagMonths, e.confidence AS confidence, e.provenance AS provenance';

const queries: Record<ExportSection, string> = {
  countries:
    'MATCH (c:Country) RETURN c.iso3 AS iso3, c.iso2 AS iso2, c.name AS name, c.region AS region, c.gdpRank AS gdpRank, c.regime AS regime ORDER BY iso3',
  statistics:
    'MATCH (s:Statistic) RETURN s.id AS id, s.country AS country, s.name AS name, s.category AS category, s.unit AS unit, s.value AS value, s.period AS period, s.sourceType AS sourceType, s.provider AS provider ORDER BY id',
  points:
    'MATCH (p:SeriesPoint) RETURN p.statistic AS statistic, p.period AS period, p.value AS value, p.source AS source ORDER BY statistic, period',
  corridors: `MATCH (a:Country)-[e:TRADE_DEPENDS]->(b:Country) RETURN a.iso3 AS from, b.iso3 AS to, ${edgeColumns} ORDER BY from, to`,
  contagion: `MATCH (a:Statistic)-[e:CONTAGION]->(b:Statistic) RETURN a.id AS from, b.id AS to, ${edgeColumns} ORDER BY from, to`,
  regimes:
    'MATCH (g:Regime) RETURN g.country AS country, g.state AS state, g.probability AS probability, g.asOf AS asOf, g.model AS model ORDER BY country, asOf',
  scenarios:
    'MATCH (s:Scenario) RETURN s.id AS id, s.name AS name, s.description AS description, s.probability AS probability, s.horizonMonths AS horizonMonths ORDER BY id',
};

/** Null, empty and NaN fields are left out: ingestion fills in the same defaults. */
function tidy(row: GraphRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === null || value === undefined || value === '') continue;
    if (typeof value === 'number' && !Number.isFinite(value)) continue;
    out[key] = value;
  }
  return out;
}

export interface GraphExport {
  data: FinancialGraphData;
  /** Rows per section, and the sections the budget cut. */
  rows: Partial<Record<ExportSection, number>>;
  truncated: ExportSection[];
}

/** Reads the chosen sections, at most `maxRows` rows in all; later sections get what earlier ones left. */
export async function exportFinancial(
  graph: GraphStore,
  sections: readonly ExportSection[],
  limits: { maxRows: number; timeoutMs: number },
): Promise<GraphExport> {
  const data: Record<string, unknown[]> = {};
  const rows: Partial<Record<ExportSection, number>> = {};
  const truncated: ExportSection[] = [];
  let left = limits.maxRows;
  for (const section of exportSections.filter((s) => sections.includes(s))) {
    if (left <= 0) {
      truncated.push(section);
      data[section] = [];
      rows[section] = 0;
      continue;
    }
    const result = await graph.read(queries[section], {}, { maxRows: left, timeoutMs: limits.timeoutMs, cache: false });
    let list: Record<string, unknown>[] = result.rows.map(tidy);
    if (section === 'scenarios' && list.length > 0) {
      const affects = await graph.read(
        'MATCH (s:Scenario)-[a:AFFECTS]->(c:Country) RETURN s.id AS id, c.iso3 AS country, a.weight AS weight, a.mechanism AS mechanism ORDER BY id, country',
        {},
        { maxRows: Math.max(1, left), timeoutMs: limits.timeoutMs, cache: false },
      );
      const byScenario = new Map<string, Record<string, unknown>[]>();
      for (const row of affects.rows) {
        const { id, ...rest } = tidy(row);
        byScenario.set(String(id), [...(byScenario.get(String(id)) ?? []), rest]);
      }
      list = list.map((s) => (byScenario.has(String(s.id)) ? { ...s, affects: byScenario.get(String(s.id)) } : s));
      if (affects.truncated && !result.truncated) truncated.push(section);
    }
    data[section] = list;
    rows[section] = list.length;
    if (result.truncated) truncated.push(section);
    left -= list.length;
  }
  return { data: data as FinancialGraphData, rows, truncated };
}

const csvColumns = ['section', 'from', 'to', 'weight', 'mechanism', 'lagMonths', 'confidence', 'provenance'];

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  // A cell a spreadsheet would run as a formula gets a leading quote (OWASP's CSV injection advice).
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The edges (trade corridors and contagion) as one CSV table, for spreadsheets and graph viewers. */
export function edgesCsv(data: FinancialGraphData): string {
  const lines = [csvColumns.join(',')];
  for (const section of ['corridors', 'contagion'] as const)
    for (const edge of data[section] ?? [])
      lines.push(csvColumns.map((c) => csvCell(c === 'section' ? section : (edge as never)[c])).join(','));
  return `${lines.join('\n')}\n`;
}

/** The nodes (countries, statistics, regimes, scenarios) as one CSV table: kind, key, name, and a detail. */
export function nodesCsv(data: FinancialGraphData): string {
  const lines = ['kind,key,name,country,detail'];
  const push = (cells: unknown[]) => lines.push(cells.map(csvCell).join(','));
  for (const c of data.countries ?? []) push(['country', c.iso3, c.name, c.iso3, c.region ?? '']);
  for (const s of data.statistics ?? [])
    push([
      'statistic',
      s.id,
      s.name,
      s.country,
      [s.value, s.unit, s.period].filter((v) => v != null && v !== '').join(' '),
    ]);
  for (const g of data.regimes ?? []) push(['regime', `${g.country}@${g.asOf}`, g.state, g.country, g.probability]);
  for (const s of data.scenarios ?? []) push(['scenario', s.id, s.name, '', s.probability ?? '']);
  return `${lines.join('\n')}\n`;
}
