// The graph schema as compact text for agents and for the NL→Cypher prompt: one line per table,
// keys starred, types only where they are not STRING. The whole KB schema is about 500 tokens,
// far under the 1,500 budget; it is cached per schema version by the callers.
import type { TableInfo } from './graph-store.js';

export function describeSchema(
  tables: readonly TableInfo[],
  options: { engine: string; version: number; counts?: Record<string, number>; only?: readonly string[] },
): string {
  const wanted = (name: string) => !name.startsWith('_') && (!options.only || options.only.includes(name));
  const props = (t: TableInfo) =>
    t.properties
      .filter((p) => !p.name.startsWith('_'))
      .map((p) => `${p.name}${p.primaryKey ? '*' : ''}${p.type === 'STRING' ? '' : `:${p.type}`}`)
      .join(', ');
  const count = (name: string) => (options.counts?.[name] !== undefined ? ` [${options.counts[name]}]` : '');
  const lines = [
    `${options.engine} graph, schema v${options.version}. Cypher dialect: Kuzu (list_transform(l, x -> f), SHORTEST/ALL SHORTEST paths, COUNT {} subqueries). * = primary key; unmarked types are STRING.`,
    'Nodes:',
  ];
  for (const t of tables)
    if (t.kind === 'node' && wanted(t.name)) lines.push(`  ${t.name}(${props(t)})${count(t.name)}`);
  lines.push('Relationships:');
  for (const t of tables) {
    if (t.kind !== 'rel' || !wanted(t.name)) continue;
    const p = props(t);
    for (const c of t.connections ?? [])
      lines.push(`  (${c.from})-[${t.name}${p ? ` {${p}}` : ''}]->(${c.to})${count(t.name)}`);
  }
  lines.push(
    'Ids: Statistic.id = "<ISO3>_<stat name>" (e.g. USA_policy_rate); SeriesPoint.id = "<statistic id>@<period>"; Regime.id = "<ISO3>@<asOf>".',
  );
  return lines.join('\n');
}
