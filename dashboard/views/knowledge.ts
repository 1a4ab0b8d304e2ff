// Knowledge: the graph explorer (pick a country: its trade neighbours, contagion edges, series and
// regime history; linkable as #knowledge/<ISO-3>) and the snapshots with their coverage and diffs.
// Every figure is a knowledge_base_* tool's answer, passed through by /api/knowledge*.
import { h, clear, section, table, tile, empty, errorBox, type Child } from '../lib/dom.js';
import { chart } from '../lib/charts.js';
import { bytes, epochSeconds, int, pct, when } from '../lib/format.js';
import { throttle, type AppContext, type View } from '../lib/app-context.js';

type Row = Record<string, unknown>;
interface Snapshot {
  name: string;
  date: string;
  bytes: number;
  createdAt?: string;
  codeVersion?: string;
  coverage?: string;
  counts?: Record<string, number>;
  error?: string;
}
interface Overview {
  source: { kind: string; snapshot: string; createdAt: string; publishedAt: string; label?: string } | null;
  sourceText?: string;
  stats: { nodes: number; relationships: number; tables: Record<string, number> } | null;
  countries: { iso3: string; name: string; region: string; regime: string }[];
  snapshots: Snapshot[];
  builds: Row[];
  jobs: Row[];
  missing: { graph?: string; sample?: string; snapshots?: string };
  errors?: string[];
}
interface Country {
  code: string;
  profile: {
    country: Row;
    statistics: Row[];
    totalStatistics: number;
    regime: Row | null;
    topCorridors: Row[];
    contagionSources: Row[];
  };
  neighbours: Row[];
  regimes: Row[];
  contagion: { edges: Row[]; totalRows: number; truncated: boolean };
}
interface Diff {
  from: string;
  to: string;
  counts: Record<string, { from: number; to: number; delta: number }>;
  regimeChanges: { country: string; from: string | null; to: string | null }[];
  valueChanges: {
    statistic: string;
    from: number | null;
    to: number | null;
    fromPeriod: string | null;
    toPeriod: string | null;
  }[];
  edgeChanges: { edge: string; from: number | null; to: number | null }[];
  observations: { added: number; removed: number; changed: number };
}

let root: HTMLElement | undefined;
let context: AppContext | undefined;
let snapshotsHolder: HTMLElement | undefined;
const refresh = throttle(() => void refreshSnapshots().catch(() => undefined), 1000, 5000);
/** The diff on show, kept when the snapshot list is redrawn (live refresh, another country). */
let shownDiff: { from: string; to: string } | undefined;

const str = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
const num = (value: unknown, digits = 3): string =>
  typeof value === 'number' && Number.isFinite(value) ? String(Number(value.toFixed(digits))) : 'n/a';

function countryLink(code: unknown): Child {
  const iso = str(code);
  return iso ? h('a', { href: `#knowledge/${iso}` }, iso) : '';
}

function picker(overview: Overview, current: string): HTMLElement {
  const select = h(
    'select',
    { id: 'kb-country', name: 'country', 'data-testid': 'kb-country-select' },
    h('option', { value: '' }, 'choose a country'),
    overview.countries.map((c) =>
      h(
        'option',
        { value: c.iso3, ...(c.iso3 === current ? { selected: true } : {}) },
        `${c.iso3} — ${c.name}${c.region ? ` (${c.region})` : ''}`,
      ),
    ),
  );
  return h(
    'form',
    {
      class: 'filters kb-picker',
      role: 'search',
      'aria-label': 'Pick a country',
      onsubmit: (event: Event) => {
        event.preventDefault();
        if (select.value) context?.navigate(`knowledge/${select.value}`);
      },
    },
    h('label', { for: 'kb-country' }, 'Country'),
    select,
    h('button', { type: 'submit' }, 'Show'),
    current ? h('a', { href: '#knowledge', class: 'kb-back' }, 'all countries') : null,
  );
}

function overviewTiles(overview: Overview): HTMLElement {
  const source = overview.source;
  return h(
    'div',
    { class: 'tiles' },
    tile(
      'Graph source',
      source ? (source.kind === 'sample' ? 'sample' : 'snapshot') : 'none',
      source ? `${source.snapshot}, published ${when(source.publishedAt)}` : 'nothing published',
      'kb-source',
    ),
    tile('Countries', int(overview.countries.length), undefined, 'kb-countries'),
    tile('Nodes', int(overview.stats?.nodes), undefined, 'kb-nodes'),
    tile('Relationships', int(overview.stats?.relationships), undefined, 'kb-relationships'),
    tile('Snapshots', int(overview.snapshots.length), 'on disk', 'kb-snapshot-count'),
  );
}

function countriesTable(overview: Overview): HTMLElement {
  return table(
    'Countries in the graph; select one to explore it',
    [
      { label: 'ISO-3', value: (c) => countryLink(c.iso3) },
      { label: 'Name', value: (c) => c.name },
      { label: 'Region', value: (c) => c.region },
      { label: 'Regime', value: (c) => c.regime || '—' },
    ],
    overview.countries,
    { testId: 'kb-country-list' },
  );
}

async function renderCountry(holder: HTMLElement, app: AppContext, code: string): Promise<void> {
  let answer: Country;
  try {
    answer = await app.api<Country>('knowledge-country', { code });
  } catch (error) {
    holder.appendChild(errorBox((error as Error).message));
    return;
  }
  const { profile } = answer;
  const regime = profile.regime;
  const valued = profile.statistics.filter((s) => s.value !== null && s.value !== undefined);
  const out = answer.neighbours.filter((n) => n.direction === 'out');
  const inbound = answer.neighbours.filter((n) => n.direction === 'in');
  holder.appendChild(
    h(
      'div',
      { class: 'tiles' },
      tile(
        'Country',
        `${str(profile.country.name)} (${answer.code})`,
        `${str(profile.country.region)}${profile.country.gdpRank ? `, GDP rank ${str(profile.country.gdpRank)}` : ''}`,
        'kb-country-name',
      ),
      tile(
        'Current regime',
        regime ? str(regime.state) : 'none',
        regime ? `p = ${num(regime.probability)} as of ${str(regime.asOf)}` : 'no regime fitted',
        'kb-regime',
      ),
      tile(
        'Statistics',
        int(profile.totalStatistics),
        `${int(valued.length)} with a latest value`,
        'kb-statistics-count',
      ),
      tile(
        'Trade corridors',
        `${int(out.length)} out / ${int(inbound.length)} in`,
        'TRADE_DEPENDS edges',
        'kb-neighbour-count',
      ),
      tile(
        'Contagion edges',
        int(answer.contagion.totalRows),
        answer.contagion.truncated ? 'first 500 listed' : 'into or out of its statistics',
        'kb-contagion-count',
      ),
    ),
  );

  holder.appendChild(
    section(
      'Trade neighbours',
      table(
        'Trade corridors (TRADE_DEPENDS): out = countries it depends on, in = countries depending on it; strongest first',
        [
          { label: 'Direction', value: (n) => str(n.direction) },
          { label: 'Country', value: (n) => countryLink(n.country) },
          { label: 'Name', value: (n) => str(n.name) },
          { label: 'Weight', value: (n) => num(n.weight), numeric: true },
          { label: 'Mechanism', value: (n) => str(n.mechanism) },
        ],
        answer.neighbours,
        { testId: 'kb-neighbours' },
      ),
    ),
  );

  // Series: the statistics that have a latest value; one is charted at a time.
  const chartHolder = h('div', { class: 'kb-chart' });
  const showSeries = async (statistic: string) => {
    clear(chartHolder);
    try {
      const series = await app.api<{ statistic: string; points: { period: string; value: number }[] }>(
        'knowledge-series',
        { statistic },
      );
      const points = series.points.filter((p) => Number.isFinite(epochSeconds(p.period)));
      const last = series.points.at(-1);
      chartHolder.appendChild(
        chart({
          title: `${statistic} (${int(series.points.length)} points)`,
          x: points.map((p) => epochSeconds(p.period)),
          series: [{ label: statistic, values: points.map((p) => p.value) }],
          summary: last ? `last value ${num(last.value, 4)} in ${last.period}` : 'no points',
          testId: 'kb-series-chart',
        }),
      );
      if (series.points.length === 0)
        chartHolder.appendChild(
          empty(
            `${statistic} has a latest value but no series points in the graph.`,
            'Series points come from a snapshot build: buildKnowledgeSnapshot ({"background": true, "publish": true, "confirm": true}).',
          ),
        );
    } catch (error) {
      chartHolder.appendChild(errorBox((error as Error).message));
    }
  };
  const statisticSelect = h(
    'select',
    {
      id: 'kb-statistic',
      name: 'statistic',
      'data-testid': 'kb-statistic-select',
      onchange: (event: Event) => void showSeries((event.target as HTMLSelectElement).value),
    },
    valued.map((s) => h('option', { value: str(s.id) }, str(s.id))),
  );
  holder.appendChild(
    section(
      'Series',
      valued.length === 0
        ? empty(
            `No statistic of ${answer.code} has a value in the graph.`,
            'Values come from a snapshot build published into the graph: buildKnowledgeSnapshot with {"background": true, "publish": true, "confirm": true} (or `npx caelum kb build --publish`); the sample holds only its recorded series.',
          )
        : [
            h(
              'form',
              { class: 'filters', 'aria-label': 'Chart a statistic', onsubmit: (e: Event) => e.preventDefault() },
              h('label', { for: 'kb-statistic' }, 'Statistic'),
              statisticSelect,
            ),
            chartHolder,
            table(
              `Latest values (${int(valued.length)} of ${int(profile.totalStatistics)} statistics have one); select a row to chart it`,
              [
                { label: 'Statistic', value: (s) => str(s.id) },
                { label: 'Category', value: (s) => str(s.category) },
                { label: 'Value', value: (s) => num(s.value, 4), numeric: true },
                { label: 'Unit', value: (s) => str(s.unit) },
                { label: 'Period', value: (s) => str(s.period) },
              ],
              valued,
              {
                testId: 'kb-statistics',
                rowClick: (s) => {
                  statisticSelect.value = str(s.id);
                  void showSeries(str(s.id));
                },
              },
            ),
          ],
    ),
  );
  if (valued.length) void showSeries(str(valued[0]!.id));

  holder.appendChild(
    section(
      'Regime history',
      answer.regimes.length === 0
        ? empty(
            `No regime has been fitted for ${answer.code}.`,
            'Regimes are fitted by the snapshot build (HMM phase): buildKnowledgeSnapshot with {"background": true, "publish": true, "confirm": true}.',
          )
        : table(
            'Regimes, newest first',
            [
              { label: 'As of', value: (r) => str(r.asOf) },
              { label: 'State', value: (r) => str(r.state) },
              { label: 'Probability', value: (r) => num(r.probability), numeric: true },
              { label: 'Model', value: (r) => str(r.model) },
            ],
            answer.regimes,
            { testId: 'kb-regimes' },
          ),
    ),
  );
  holder.appendChild(
    section(
      'Contagion',
      table(
        'Countries whose statistics feed contagion into this one',
        [
          { label: 'Source country', value: (r) => countryLink(r.source) },
          { label: 'Channels', value: (r) => int(Number(r.channels)), numeric: true },
          { label: 'Summed weight', value: (r) => num(r.strength), numeric: true },
        ],
        profile.contagionSources,
        { testId: 'kb-contagion-sources' },
      ),
      h(
        'div',
        { class: 'kb-scroll', tabindex: 0, role: 'region', 'aria-label': 'Contagion edges (scrolls)' },
        table(
          'Contagion edges into or out of its statistics, strongest first',
          [
            { label: 'From', value: (e) => str(e.source) },
            { label: 'To', value: (e) => str(e.target) },
            { label: 'Weight', value: (e) => num(e.weight), numeric: true },
            { label: 'Mechanism', value: (e) => str(e.mechanism) },
          ],
          answer.contagion.edges,
          { testId: 'kb-contagion' },
        ),
      ),
    ),
  );
}

function coverageCell(s: Snapshot): Child {
  if (s.error) return h('span', { class: 'bad' }, s.error);
  return h('span', { class: `badge kb-coverage-${s.coverage ?? 'unknown'}` }, s.coverage ?? 'not recorded');
}

function snapshotsSection(overview: Overview): HTMLElement {
  const c = (s: Snapshot, key: string) => (s.counts?.[key] === undefined ? 'n/a' : int(s.counts[key]));
  const diffHolder = h('div', { class: 'kb-diff', 'aria-live': 'polite' });
  const names = overview.snapshots.map((s) => s.name);
  const pick = (id: string, label: string, selected: string | undefined) =>
    h(
      'label',
      { for: id },
      label,
      h(
        'select',
        { id, name: id, 'data-testid': id },
        names.map((n) => h('option', { value: n, ...(n === selected ? { selected: true } : {}) }, n)),
      ),
    );
  const form = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Compare two snapshots',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const from = (form.querySelector('#kb-diff-from') as HTMLSelectElement).value;
        const to = (form.querySelector('#kb-diff-to') as HTMLSelectElement).value;
        void renderDiff(diffHolder, from, to);
      },
    },
    pick('kb-diff-from', 'From (older)', shownDiff?.from ?? names.at(-2)),
    pick('kb-diff-to', 'To (newer)', shownDiff?.to ?? names.at(-1)),
    h('button', { type: 'submit' }, 'Compare'),
  );
  if (shownDiff && names.includes(shownDiff.from) && names.includes(shownDiff.to))
    void renderDiff(diffHolder, shownDiff.from, shownDiff.to);
  return section(
    'Snapshots',
    overview.missing.snapshots ? empty('No knowledge snapshot on disk yet.', overview.missing.snapshots) : null,
    table(
      'Snapshots on disk, oldest first, with the coverage their build recorded (tasks by outcome)',
      [
        { label: 'Snapshot', value: (s) => s.name },
        { label: 'Created', value: (s) => when(s.createdAt) },
        { label: 'Coverage', value: coverageCell },
        { label: 'Tasks', value: (s) => c(s, 'tasks'), numeric: true },
        { label: 'Fetched', value: (s) => c(s, 'tasks_fetched'), numeric: true },
        { label: 'Cached', value: (s) => c(s, 'tasks_cached'), numeric: true },
        { label: 'Not covered', value: (s) => c(s, 'tasks_not_covered'), numeric: true },
        { label: 'Errors', value: (s) => c(s, 'tasks_error'), numeric: true },
        { label: 'Observations', value: (s) => c(s, 'observations'), numeric: true },
        { label: 'Regimes', value: (s) => c(s, 'hmmFitted'), numeric: true },
        { label: 'Size', value: (s) => bytes(s.bytes), numeric: true },
      ],
      overview.snapshots,
      { testId: 'kb-snapshots' },
    ),
    overview.builds.length
      ? table(
          'Builds on disk, newest first',
          [
            { label: 'Build', value: (b) => str(b.buildId) },
            { label: 'Status', value: (b) => `${str(b.status)}${b.resumable ? ' (resumable)' : ''}` },
            { label: 'Started', value: (b) => when(str(b.startedAt)) },
            { label: 'Phases done', value: (b) => int((b.phasesDone as unknown[] | undefined)?.length ?? 0) },
            { label: 'Snapshot', value: (b) => str(b.snapshot) },
          ],
          overview.builds,
          { testId: 'kb-builds' },
        )
      : null,
    h('h3', {}, 'Compare two snapshots'),
    names.length < 2
      ? empty(
          `A diff needs two snapshots; there ${names.length === 1 ? 'is one' : 'are none'}.`,
          'Build another with buildKnowledgeSnapshot ({"background": true}) or `npx caelum kb build`.',
        )
      : [form, diffHolder],
  );
}

async function renderDiff(holder: HTMLElement, from: string, to: string): Promise<void> {
  if (!context) return;
  clear(holder);
  shownDiff = { from, to };
  let diff: Diff;
  try {
    diff = await context.api<Diff>('knowledge-diff', { from, to });
  } catch (error) {
    holder.appendChild(errorBox((error as Error).message));
    return;
  }
  const o = diff.observations;
  holder.append(
    h('p', {}, `${diff.from} → ${diff.to}`),
    h(
      'div',
      { class: 'tiles' },
      tile('Observations added', int(o.added), undefined, 'kb-diff-added'),
      tile('Observations removed', int(o.removed), undefined, 'kb-diff-removed'),
      tile('Observations changed', int(o.changed), undefined, 'kb-diff-changed'),
      tile('Regime changes', int(diff.regimeChanges.length), undefined, 'kb-diff-regime-count'),
    ),
    table(
      'Counts',
      [
        { label: 'Count', value: (r) => r[0] },
        { label: 'From', value: (r) => int(r[1].from), numeric: true },
        { label: 'To', value: (r) => int(r[1].to), numeric: true },
        { label: 'Change', value: (r) => `${r[1].delta > 0 ? '+' : ''}${int(r[1].delta)}`, numeric: true },
      ],
      Object.entries(diff.counts),
      { testId: 'kb-diff-counts' },
    ),
    table(
      'Regime changes',
      [
        { label: 'Country', value: (r) => countryLink(r.country) },
        { label: 'From', value: (r) => r.from ?? '—' },
        { label: 'To', value: (r) => r.to ?? '—' },
      ],
      diff.regimeChanges,
      { testId: 'kb-diff-regimes' },
    ),
    table(
      'Latest values that moved most',
      [
        { label: 'Statistic', value: (r) => r.statistic },
        { label: 'From', value: (r) => `${num(r.from, 4)} (${r.fromPeriod ?? '—'})`, numeric: true },
        { label: 'To', value: (r) => `${num(r.to, 4)} (${r.toPeriod ?? '—'})`, numeric: true },
        {
          label: 'Change',
          value: (r) =>
            r.from !== null && r.to !== null && r.from !== 0 ? pct((r.to - r.from) / Math.abs(r.from)) : 'n/a',
          numeric: true,
        },
      ],
      diff.valueChanges,
      { testId: 'kb-diff-values' },
    ),
    table(
      'Contagion edges whose weight changed',
      [
        { label: 'Edge', value: (r) => r.edge },
        { label: 'From', value: (r) => num(r.from), numeric: true },
        { label: 'To', value: (r) => num(r.to), numeric: true },
      ],
      diff.edgeChanges,
      { testId: 'kb-diff-edges' },
    ),
  );
}

async function render(app: AppContext, route: string): Promise<void> {
  if (!root) return;
  const target = root;
  const overview = await app.api<Overview>('knowledge');
  if (root !== target) return;
  clear(target);
  const code = /^[A-Za-z]{3}$/.test(route) ? route.toUpperCase() : '';
  target.appendChild(overviewTiles(overview));
  for (const message of overview.errors ?? []) target.appendChild(errorBox(message));
  if (overview.missing.graph)
    target.appendChild(empty('The knowledge graph is empty: no country to explore.', overview.missing.graph));
  else if (overview.missing.sample)
    target.appendChild(
      h(
        'div',
        { class: 'kb-sample', 'data-testid': 'kb-sample-note' },
        empty(overview.sourceText ?? 'Sample data.', overview.missing.sample),
      ),
    );
  const explorer = section('Graph explorer', overview.countries.length ? picker(overview, code) : null);
  target.appendChild(explorer);
  if (route && !code) explorer.appendChild(errorBox(`"${route}" is not an ISO-3 country code such as USA.`));
  const known = overview.countries.some((c) => c.iso3 === code);
  if (code && !known)
    explorer.appendChild(
      errorBox(
        `No country "${code}" in the graph; known ISO-3 codes: ${overview.countries.map((c) => c.iso3).join(', ') || 'none'}.`,
      ),
    );
  if (code && known) await renderCountry(explorer, app, code);
  if (!known && overview.countries.length) explorer.appendChild(countriesTable(overview));
  snapshotsHolder = h('div', {}, snapshotsSection(overview));
  target.appendChild(snapshotsHolder);
}

async function refreshSnapshots(): Promise<void> {
  if (!context || !snapshotsHolder?.isConnected) return;
  const overview = await context.api<Overview>('knowledge');
  if (!snapshotsHolder?.isConnected) return;
  clear(snapshotsHolder);
  snapshotsHolder.appendChild(snapshotsSection(overview));
}

export const knowledgeView: View = {
  id: 'knowledge',
  title: 'Knowledge',
  async mount(element, app, route) {
    root = element;
    context = app;
    element.appendChild(h('p', { class: 'muted', role: 'status' }, 'Loading the knowledge graph…'));
    try {
      await render(app, route);
    } catch (error) {
      clear(element);
      element.appendChild(errorBox((error as Error).message));
    }
  },
  onEvent(name, data) {
    // Event `knowledge` (snapshot jobs and builds changed) or a snapshot tool ran: refresh the list, debounced.
    const tool = (data as { tool?: string } | null)?.tool ?? '';
    if (name !== 'knowledge' && !(name === 'execution' && /snapshot/i.test(tool))) return;
    refresh.schedule();
  },
  unmount() {
    refresh.cancel();
    shownDiff = undefined;
    root = undefined;
    snapshotsHolder = undefined;
  },
};
