// Trading: the backtests and signals agents asked for (from the execution log, as the MCP calls
// returned them): a backtest's metrics with its equity curve and drawdowns, the committee's
// decisions with each voter's vote, and the market data on hand. `#trading/<executionId>` picks a
// backtest; without one the newest kept backtest is shown.
import { h, clear, section, table, tile, empty, errorBox } from '../lib/dom.js';
import { chart } from '../lib/charts.js';
import { int, ms, pct, when, epochSeconds } from '../lib/format.js';
import { throttle, type AppContext, type View } from '../lib/app-context.js';

interface SymbolRow {
  symbol: string;
  bars: number;
  first: string | null;
  last: string | null;
  source: string;
  file: string;
  ageHours: number | null;
  problem: string | null;
}
interface BacktestRow {
  id: string;
  ts: string;
  via: string;
  ok: boolean;
  durationMs: number;
  symbol?: string;
  strategy?: unknown;
  summary: string;
  resultKept: boolean;
  start?: string;
  end?: string;
  sharpe?: number | null;
  maxDrawdown?: number | null;
  annualReturn?: number | null;
  totalReturn?: number | null;
  tradeCount?: number;
  benchmarkTotalReturn?: number | null;
}
interface Vote {
  voter: string;
  direction: string;
  confidence: number;
  weight: number;
  rationale: string;
  abstained?: string;
}
interface Decision {
  symbol: string;
  proposed: boolean;
  proposal: string;
  direction: string;
  consensus: number | null;
  support: { LONG: number; SHORT: number; FLAT: number } | null;
  thresholds: { proposalConfidence: number; consensus: number };
  signal: boolean;
  decision: string;
  votes: Vote[];
}
interface Prediction {
  symbol: string;
  direction: string;
  confidence: number;
  expectedReturns?: Record<string, number>;
  volatility?: number;
  currentPrice?: number;
  asOf?: string;
  model?: { name?: string; alias?: string };
}
interface SignalRow {
  id: string;
  ts: string;
  via: string;
  ok: boolean;
  arguments: unknown;
  summary: string;
  resultKept: boolean;
  decisions?: Decision[];
  issued?: { symbol: string; direction: string; consensus: number }[];
  macro?: string;
  predictions?: Prediction[];
  failed?: { symbol: string; error: string }[];
  report?: string;
  snapshot?: string | null;
  alerts?: number;
}
interface Overview {
  ok: boolean;
  market: { directory?: string; symbols?: SymbolRow[]; total?: number; error?: string };
  backtests: BacktestRow[];
  signals: SignalRow[];
  missing?: { market?: string; backtests?: string; signals?: string };
}
type Metrics = Record<string, number | null | string | Record<string, string> | undefined>;
interface Backtest {
  ok: boolean;
  id: string;
  ts: string;
  via: string;
  arguments: unknown;
  summary: string;
  missing?: string;
  backtest?: {
    symbol: string;
    start: string;
    end: string;
    bars: number;
    strategy: unknown;
    finalEquity: number;
    metrics: Metrics;
    benchmark: Metrics;
    conventions: Record<string, string | number>;
    equity: { date: string; equity: number; drawdown: number }[];
    trades: Record<string, string | number | boolean>[];
    tradesTotal: number;
    lookAhead: { ok: boolean };
  };
}

let root: HTMLElement | undefined;
let context: AppContext | undefined;
let selected = '';
const refresh = throttle(() => void render().catch(() => undefined), 1000, 5000);

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const pct2 = (value: unknown) => pct(num(value), 2);
const fixed = (value: unknown, digits = 3) => (typeof value === 'number' ? value.toFixed(digits) : 'n/a');
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);
const money = (value: number) =>
  `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const strategyText = (strategy: unknown) => (strategy === undefined ? '' : JSON.stringify(strategy));

function marketSection(overview: Overview): HTMLElement {
  const symbols = overview.market.symbols ?? [];
  return section(
    'Market data',
    overview.market.error ? errorBox(overview.market.error) : null,
    overview.missing?.market ? empty('No market data yet.', overview.missing.market) : null,
    symbols.length
      ? table(
          `Symbols in ${overview.market.directory ?? 'the market directory'} (trading_list_symbols)`,
          [
            { label: 'Symbol', value: (s) => s.symbol },
            { label: 'Bars', value: (s) => int(s.bars), numeric: true },
            { label: 'First', value: (s) => s.first ?? '' },
            { label: 'Last', value: (s) => s.last ?? '' },
            { label: 'Source', value: (s) => s.source },
            { label: 'Problem', value: (s) => (s.problem ? h('span', { class: 'bad' }, s.problem) : '') },
          ],
          symbols,
          { testId: 'trading-symbols' },
        )
      : null,
  );
}

function backtestsSection(overview: Overview, app: AppContext): HTMLElement {
  return section(
    'Backtests',
    overview.missing?.backtests ? empty('No backtest has been run yet.', overview.missing.backtests) : null,
    overview.backtests.length
      ? table(
          'Recent backtests (backtestStrategy and runTool trading_run_backtest); choose one to see its curve',
          [
            { label: 'When', value: (b) => when(b.ts) },
            {
              label: 'Backtest',
              value: (b) =>
                h(
                  'a',
                  { href: `#trading/${b.id}`, ...(b.id === selected ? { 'aria-current': 'true' } : {}) },
                  `${b.symbol ?? '?'} ${strategyText(b.strategy)}`,
                ),
            },
            { label: 'Via', value: (b) => b.via },
            {
              label: 'Outcome',
              value: (b) =>
                h('span', { class: `badge ${b.ok ? 'badge-healthy' : 'badge-down'}` }, b.ok ? 'ok' : 'failed'),
            },
            { label: 'Sharpe', value: (b) => fixed(b.sharpe), numeric: true },
            { label: 'Max drawdown', value: (b) => pct2(b.maxDrawdown), numeric: true },
            { label: 'CAGR', value: (b) => pct2(b.annualReturn), numeric: true },
            { label: 'Trades', value: (b) => (b.tradeCount === undefined ? '' : int(b.tradeCount)), numeric: true },
            { label: 'Took', value: (b) => ms(b.durationMs), numeric: true },
            { label: 'Note', value: (b) => (b.ok ? '' : b.summary.slice(0, 160)) },
          ],
          overview.backtests,
          { testId: 'trading-backtests', rowClick: (b) => app.navigate(`trading/${b.id}`) },
        )
      : null,
  );
}

function backtestDetail(answer: Backtest): HTMLElement {
  const title = `Backtest ${answer.id}`;
  if (!answer.backtest)
    return section(title, empty('This backtest has no result to draw.', answer.missing ?? answer.summary));
  const b = answer.backtest;
  const m = b.metrics;
  const x = b.equity.map((point) => epochSeconds(point.date));
  const last = b.equity.at(-1);
  return h(
    'section',
    { class: 'card trading-detail', 'aria-labelledby': 'trading-detail-title', 'data-testid': 'trading-backtest' },
    h('h2', { id: 'trading-detail-title' }, `${b.symbol} ${b.start} – ${b.end}: ${strategyText(b.strategy)}`),
    h(
      'p',
      { class: 'muted' },
      `${answer.via} at ${when(answer.ts)} · ${int(b.bars)} bars · look-ahead check ${b.lookAhead.ok ? 'passed' : 'FAILED'} · execution ${answer.id}`,
    ),
    h(
      'div',
      { class: 'tiles' },
      tile('Sharpe', fixed(m.sharpe), `Sortino ${fixed(m.sortino)}`, 'trading-sharpe'),
      tile('Max drawdown', pct2(m.maxDrawdown), `Calmar ${fixed(m.calmar)}`, 'trading-maxdd'),
      tile('CAGR', pct2(m.annualReturn), `total ${pct2(m.totalReturn)}`, 'trading-cagr'),
      tile(
        'Trades',
        int(num(m.tradeCount)),
        `win rate ${pct2(m.winRate)} · exposure ${pct2(m.exposure)}`,
        'trading-trades',
      ),
      tile(
        'Buy and hold',
        pct2(b.benchmark.totalReturn),
        `CAGR ${pct2(b.benchmark.annualReturn)} · Sharpe ${fixed(b.benchmark.sharpe)} · max DD ${pct2(b.benchmark.maxDrawdown)}`,
        'trading-benchmark',
      ),
      tile('Final equity', money(b.finalEquity), `volatility ${pct2(m.annualVolatility)}`, 'trading-final-equity'),
    ),
    typeof m.ruined === 'string' ? errorBox(`Ruined: ${m.ruined}`) : null,
    h(
      'div',
      { class: 'grid-2' },
      chart({
        title: 'Equity',
        x,
        series: [{ label: 'Equity', values: b.equity.map((p) => p.equity) }],
        yFormat: (v) => v.toFixed(0),
        summary: last ? `${b.equity.length} points, last ${last.date} equity ${last.equity.toFixed(2)}` : 'no points',
        testId: 'trading-equity-chart',
      }),
      chart({
        title: 'Drawdown',
        x,
        series: [
          {
            label: 'Drawdown',
            values: b.equity.map((p) => p.drawdown),
            color: '#dc2626',
            fill: 'rgba(220, 38, 38, 0.15)',
          },
        ],
        yFormat: (v) => `${(v * 100).toFixed(0)}%`,
        summary: `max drawdown ${pct2(m.maxDrawdown)}`,
        testId: 'trading-drawdown-chart',
      }),
    ),
    h(
      'p',
      { class: 'muted', 'data-testid': 'trading-equity-points' },
      `${b.equity.length} equity points (as the tool returned them, at most 500)${last ? `; last ${last.date}: ${last.equity}` : ''}`,
    ),
    b.trades.length
      ? table(
          `Trades (${b.trades.length} of ${b.tradesTotal} shown)`,
          Object.keys(b.trades[0]!).map((key) => ({
            label: key,
            value: (t: Record<string, string | number | boolean>) => {
              const v = t[key];
              return typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v ?? '');
            },
            numeric: typeof b.trades[0]![key] === 'number',
          })),
          b.trades,
          { testId: 'trading-trades-table' },
        )
      : null,
    h(
      'details',
      {},
      h('summary', {}, 'Conventions'),
      h(
        'dl',
        { class: 'facts' },
        Object.entries(b.conventions).map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]),
      ),
    ),
  );
}

function votesTable(decision: Decision, entryId: string): HTMLElement {
  return table(
    `${decision.symbol}: votes`,
    [
      { label: 'Voter', value: (v) => v.voter },
      {
        label: 'Vote',
        value: (v) =>
          v.abstained
            ? h('span', { class: 'muted' }, 'abstained')
            : h('span', { class: `trading-dir trading-dir-${v.direction.toLowerCase()}` }, v.direction),
      },
      { label: 'Confidence', value: (v) => pct(v.confidence), numeric: true },
      { label: 'Weight', value: (v) => fixed(v.weight, 2), numeric: true },
      { label: 'Rationale', value: (v) => v.abstained ?? v.rationale },
    ],
    decision.votes,
    { testId: `trading-votes-${entryId}-${decision.symbol}` },
  );
}

function signalCard(row: SignalRow): HTMLElement {
  const decisions = row.decisions ?? [];
  const predictions = row.predictions ?? [];
  return h(
    'article',
    { class: 'trading-signal', 'data-testid': `trading-signal-${row.id}` },
    h(
      'h3',
      {},
      `${row.via} · ${when(row.ts)} `,
      h('span', { class: `badge ${row.ok ? 'badge-healthy' : 'badge-down'}` }, row.ok ? 'ok' : 'failed'),
    ),
    h('p', { class: 'muted trading-args' }, `arguments ${clip(JSON.stringify(row.arguments), 300)}`),
    !row.ok ? errorBox(row.summary) : null,
    row.ok && !row.resultKept
      ? h('p', { class: 'muted' }, 'The result was not kept; only its summary: ', row.summary)
      : null,
    decisions.length
      ? table(
          'Committee decisions',
          [
            { label: 'Symbol', value: (d) => d.symbol },
            {
              label: 'Direction',
              value: (d) => h('span', { class: `trading-dir trading-dir-${d.direction.toLowerCase()}` }, d.direction),
            },
            { label: 'Decision', value: (d) => h('strong', {}, d.decision) },
            { label: 'Proposal', value: (d) => d.proposal },
            {
              label: 'Consensus',
              value: (d) => (d.consensus === null ? 'n/a' : pct(d.consensus)),
              numeric: true,
            },
            { label: 'Threshold', value: (d) => pct(d.thresholds.consensus, 0), numeric: true },
            {
              label: 'Signal',
              value: (d) =>
                h(
                  'span',
                  { class: `badge ${d.signal ? 'badge-healthy' : 'badge-unknown'}` },
                  d.signal ? 'issued' : 'no',
                ),
            },
          ],
          decisions,
          { testId: `trading-decisions-${row.id}` },
        )
      : null,
    decisions.filter((d) => d.votes.length > 0).map((d) => votesTable(d, row.id)),
    row.macro ? h('p', { class: 'muted' }, `Macro voter: ${row.macro}`) : null,
    predictions.length
      ? table(
          'Predictions',
          [
            { label: 'Symbol', value: (p) => p.symbol },
            { label: 'Direction', value: (p) => p.direction },
            { label: 'Confidence', value: (p) => pct(p.confidence), numeric: true },
            { label: '1d', value: (p) => pct(p.expectedReturns?.['1d'], 2), numeric: true },
            { label: '5d', value: (p) => pct(p.expectedReturns?.['5d'], 2), numeric: true },
            { label: '20d', value: (p) => pct(p.expectedReturns?.['20d'], 2), numeric: true },
            { label: 'Volatility', value: (p) => pct(p.volatility, 2), numeric: true },
            { label: 'As of', value: (p) => p.asOf ?? '' },
            { label: 'Model', value: (p) => `${p.model?.name ?? ''}${p.model?.alias ? `@${p.model.alias}` : ''}` },
          ],
          predictions,
          { testId: `trading-predictions-${row.id}` },
        )
      : null,
    (row.failed ?? []).length
      ? h(
          'ul',
          { class: 'plain bad' },
          row.failed!.map((f) => h('li', {}, `${f.symbol}: ${f.error}`)),
        )
      : null,
    row.report && decisions.length === 0 && predictions.length === 0 ? h('pre', { class: 'code' }, row.report) : null,
  );
}

function signalsSection(overview: Overview): HTMLElement {
  return section(
    'Signals and committee votes',
    overview.missing?.signals ? empty('No signals have been generated yet.', overview.missing.signals) : null,
    h('div', { 'data-testid': 'trading-signals' }, overview.signals.map(signalCard)),
  );
}

async function render(): Promise<void> {
  if (!root || !context) return;
  const app = context;
  const target = root;
  const overview = await app.api<Overview>('trading');
  const chosen = selected || overview.backtests.find((b) => b.ok && b.resultKept)?.id || '';
  const detail = chosen
    ? await app.api<Backtest>('trading/backtest', { id: chosen }).catch((e: Error) => e)
    : undefined;
  if (root !== target) return;
  clear(target);
  target.appendChild(marketSection(overview));
  if (detail instanceof Error) target.appendChild(errorBox(detail.message));
  else if (detail) target.appendChild(backtestDetail(detail));
  target.appendChild(backtestsSection(overview, app));
  target.appendChild(signalsSection(overview));
}

const relevant = new Set(['backtestStrategy', 'generateMarketSignals', 'predictSymbol', 'runTool']);

export const tradingView: View = {
  id: 'trading',
  title: 'Trading',
  async mount(element, app, route) {
    root = element;
    context = app;
    selected = route;
    await render();
  },
  onEvent(name, data) {
    const tool = data && typeof data === 'object' ? (data as { tool?: unknown }).tool : undefined;
    if (name !== 'execution' || typeof tool !== 'string' || !relevant.has(tool)) return;
    // A new backtest or signal call: redraw once the burst of calls is over.
    refresh.schedule();
  },
  unmount() {
    refresh.cancel();
    root = undefined;
  },
};
