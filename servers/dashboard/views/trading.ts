// The dashboard's Trading data. The trading tools do not store backtests or signals, but every
// high-level call is in the execution log with its structured result kept: backtestStrategy,
// generateMarketSignals, predictSymbol, and runTool calls of trading_run_backtest,
// trading_run_committee and trading_generate_signals (whose kept result holds the internal tool's
// output under `result`). So the figures shown are exactly what those MCP calls returned. The market
// data on hand is trading_list_symbols' answer.
import { z } from 'zod';
import type { ExecutionEntry } from '../execution-log.js';
import { params, tool, ApiError, type ApiContext, type ApiRoute } from '../api.js';

const backtestTools = { highLevel: ['backtestStrategy'], internal: ['trading_run_backtest'] };
const signalTools = {
  highLevel: ['generateMarketSignals', 'predictSymbol'],
  internal: ['trading_run_committee', 'trading_generate_signals', 'trading_predict_symbols'],
};

/** How many log entries are searched for runTool calls (the log keeps the newest 5000 in memory). */
const runToolScan = 500;

const idField = z.string().regex(/^[0-9a-z]{9}-[0-9a-f]{10}$/, 'expected an execution id such as 0mi8x2k1a-0123456789');

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The internal tool a runTool entry called, from its arguments. */
function runToolName(entry: ExecutionEntry): string | undefined {
  const name = record(entry.arguments).name;
  return typeof name === 'string' ? name : undefined;
}

/** The tool's own answer inside a kept result: runTool wraps it as {tool, domain, result}. */
function unwrap(entry: ExecutionEntry, kept: Record<string, unknown>): Record<string, unknown> {
  if (entry.tool !== 'runTool') return kept;
  return record(kept.result);
}

/** The arguments the trading tool was given (runTool's are under `arguments`). */
function toolArguments(entry: ExecutionEntry): Record<string, unknown> {
  const args = record(entry.arguments);
  return entry.tool === 'runTool' ? record(args.arguments) : args;
}

/**
 * A row is read from the call's kept result once: results never change, and an open page asks again
 * after every relevant call. The cache holds the rows (headline figures), not the results.
 */
const rowCache = new Map<string, unknown>();
const rowCacheSize = 500;

async function cachedRow<R>(key: string, compute: () => Promise<R>): Promise<R> {
  if (rowCache.has(key)) return rowCache.get(key) as R;
  const row = await compute();
  rowCache.set(key, row);
  if (rowCache.size > rowCacheSize) rowCache.delete(rowCache.keys().next().value!);
  return row;
}

const backtestRow = (context: ApiContext, entry: ExecutionEntry, via: string) =>
  cachedRow(`b:${entry.id}`, () => backtestRowUncached(context, entry, via));
const signalRow = (context: ApiContext, entry: ExecutionEntry, via: string) =>
  cachedRow(`s:${entry.id}`, () => signalRowUncached(context, entry, via));

/** Reads the rows one at a time, so at most one kept result is being parsed at once. */
async function rowsOf<R>(
  items: { entry: ExecutionEntry; via: string }[],
  read: (entry: ExecutionEntry, via: string) => Promise<R>,
): Promise<R[]> {
  const rows: R[] = [];
  for (const { entry, via } of items) rows.push(await read(entry, via));
  return rows;
}

/** Entries of the high-level tools and of runTool calls of the internal ones, newest first. */
async function entriesOf(
  context: ApiContext,
  tools: { highLevel: string[]; internal: string[] },
  limit: number,
): Promise<{ entry: ExecutionEntry; via: string }[]> {
  const log = context.suite.executions;
  const lists = await Promise.all([
    ...tools.highLevel.map((name) => log.list({ tool: name, limit })),
    log.list({ tool: 'runTool', limit: runToolScan }),
  ]);
  const found: { entry: ExecutionEntry; via: string }[] = [];
  lists.forEach((listed, index) => {
    for (const entry of listed.entries) {
      // A call refused for its input ran nothing: it is in Executions, not a backtest or a signal.
      if (entry.errorCode === 'INVALID_INPUT') continue;
      if (index < tools.highLevel.length) found.push({ entry, via: entry.tool });
      else {
        const name = runToolName(entry);
        if (name && tools.internal.includes(name)) found.push({ entry, via: `runTool ${name}` });
      }
    }
  });
  return found
    .sort((a, b) => b.entry.ts.localeCompare(a.entry.ts) || b.entry.id.localeCompare(a.entry.id))
    .slice(0, limit);
}

const metricNames = [
  'totalReturn',
  'annualReturn',
  'annualVolatility',
  'sharpe',
  'sortino',
  'maxDrawdown',
  'calmar',
  'winRate',
  'exposure',
  'turnover',
  'tradeCount',
  'returnCount',
] as const;

function pickMetrics(value: unknown): Record<string, unknown> {
  const metrics = record(value);
  const out: Record<string, unknown> = {};
  for (const name of metricNames) if (name in metrics) out[name] = metrics[name];
  if (metrics.ruined) out.ruined = metrics.ruined;
  if (metrics.undefinedBecause) out.undefinedBecause = metrics.undefinedBecause;
  return out;
}

/** A short view of a backtest entry for the list: what was tested and its headline metrics. */
async function backtestRowUncached(context: ApiContext, entry: ExecutionEntry, via: string) {
  const args = toolArguments(entry);
  const base = {
    id: entry.id,
    ts: entry.ts,
    via,
    ok: entry.ok,
    durationMs: entry.durationMs,
    symbol: typeof args.symbol === 'string' ? args.symbol : args.bars ? 'inline bars' : undefined,
    strategy: args.strategy,
    summary: entry.summary,
    resultKept: entry.resultKept,
  };
  if (!entry.ok || !entry.resultKept) return base;
  const kept = await context.suite.executions.result(entry.id);
  if (!kept) return { ...base, resultKept: false };
  const out = unwrap(entry, kept);
  const metrics = record(out.metrics);
  return {
    ...base,
    symbol: out.symbol ?? base.symbol,
    start: out.start,
    end: out.end,
    sharpe: metrics.sharpe,
    maxDrawdown: metrics.maxDrawdown,
    annualReturn: metrics.annualReturn,
    totalReturn: metrics.totalReturn,
    tradeCount: metrics.tradeCount,
    benchmarkTotalReturn: record(out.benchmark).totalReturn,
  };
}

/** Committee decisions and predictions from a signals entry's kept result, in one shape. */
function signalsOf(entry: ExecutionEntry, via: string, out: Record<string, unknown>) {
  const committee = via === 'runTool trading_run_committee' ? out : record(out.committee);
  const decisions = Array.isArray(committee.decisions) ? committee.decisions : [];
  return {
    decisions,
    issued: Array.isArray(committee.signals) ? committee.signals : [],
    ...(typeof committee.macro === 'string' ? { macro: committee.macro } : {}),
    predictions: Array.isArray(out.predictions) ? out.predictions : [],
    failed: [
      ...(Array.isArray(out.failed) ? out.failed : []),
      ...(Array.isArray(committee.failed) ? committee.failed : []),
    ],
    ...(typeof out.report === 'string' ? { report: out.report } : {}),
    ...('snapshot' in out ? { snapshot: out.snapshot } : {}),
    ...(typeof out.alerts === 'number' ? { alerts: out.alerts } : {}),
  };
}

async function signalRowUncached(context: ApiContext, entry: ExecutionEntry, via: string) {
  const base = {
    id: entry.id,
    ts: entry.ts,
    via,
    ok: entry.ok,
    arguments: toolArguments(entry),
    summary: entry.summary,
    resultKept: entry.resultKept,
  };
  if (!entry.ok || !entry.resultKept) return base;
  const kept = await context.suite.executions.result(entry.id);
  if (!kept) return { ...base, resultKept: false };
  return { ...base, ...signalsOf(entry, via, unwrap(entry, kept)) };
}

export const tradingExample = {
  importBars: { symbol: 'SPX', file: 'node_modules/vega-datasets/data/sp500-2000.csv' },
  backtest: { symbol: 'SPX', strategy: { type: 'sma_crossover', fast: 50, slow: 200 } },
  signals: { symbols: ['SPX'] },
};

async function trading(context: ApiContext) {
  const query = params(context, z.object({ limit: z.coerce.number().int().min(1).max(50).default(20) }));
  const [symbols, backtests, signals] = await Promise.all([
    tool(context, 'trading_list_symbols', {}),
    entriesOf(context, backtestTools, query.limit),
    entriesOf(context, signalTools, query.limit),
  ]);
  const market = symbols.ok ? symbols.output : { error: symbols.message };
  const symbolCount = symbols.ok ? (symbols.output.symbols as unknown[]).length : 0;
  const firstSymbol = symbols.ok
    ? (symbols.output.symbols as { symbol: string; problem: string | null }[]).find((s) => !s.problem)?.symbol
    : undefined;
  const example = { ...tradingExample.backtest, symbol: firstSymbol ?? 'SPX' };
  const missing: Record<string, string> = {};
  if (symbolCount === 0)
    missing.market = `No market data: the market directory ${symbols.ok ? String(symbols.output.directory) : ''} holds no symbols. Import daily bars with runTool {"name":"trading_import_bars","arguments":${JSON.stringify(tradingExample.importBars)}} (a CSV with date, open, high, low, close, volume under an allowed root), or place SYMBOL.csv files there.`;
  if (backtests.length === 0)
    missing.backtests = `No backtest in the execution log. ${symbolCount === 0 ? 'Import bars first (above), then call' : 'Call'} backtestStrategy ${JSON.stringify(example)}; the dashboard shows its metrics and equity curve.`;
  if (signals.length === 0)
    missing.signals = `No signals in the execution log. Call generateMarketSignals ${JSON.stringify({ symbols: [firstSymbol ?? 'SPX'] })} (the committee votes need a registered prediction model: runTool trading_register_model, and the symbol's bars) or predictSymbol {"symbols":"${firstSymbol ?? 'SPX'}"}.`;
  return {
    ok: true,
    market,
    backtests: await rowsOf(backtests, (entry, via) => backtestRow(context, entry, via)),
    signals: await rowsOf(signals, (entry, via) => signalRow(context, entry, via)),
    ...(Object.keys(missing).length > 0 ? { missing } : {}),
  };
}

async function backtest(context: ApiContext) {
  const { id } = params(context, z.object({ id: idField }));
  const entry = await context.suite.executions.get(id);
  if (!entry) throw new ApiError(404, `id: no execution ${id} in the recent log`);
  const via = entry.tool === 'runTool' ? `runTool ${runToolName(entry) ?? ''}` : entry.tool;
  if (!backtestTools.highLevel.includes(entry.tool) && via !== 'runTool trading_run_backtest')
    throw new ApiError(400, `id: execution ${id} is a ${via} call, not a backtest`);
  const base = { id, ts: entry.ts, via, callOk: entry.ok, arguments: toolArguments(entry), summary: entry.summary };
  if (!entry.ok) return { ok: true, ...base, missing: `This backtest failed: ${entry.summary}` };
  const kept = entry.resultKept ? await context.suite.executions.result(id) : undefined;
  if (!kept)
    return {
      ok: true,
      ...base,
      missing: `The result of this call was not kept (${entry.resultBytes ?? '?'} bytes; only the newest results under 2 MB are kept). Run backtestStrategy ${JSON.stringify(toolArguments(entry))} again.`,
    };
  const out = unwrap(entry, kept);
  return {
    ok: true,
    ...base,
    backtest: {
      symbol: out.symbol,
      start: out.start,
      end: out.end,
      bars: out.bars,
      strategy: out.strategy,
      finalEquity: out.finalEquity,
      metrics: pickMetrics(out.metrics),
      benchmark: pickMetrics(out.benchmark),
      conventions: out.conventions,
      equity: out.equity,
      trades: out.trades,
      tradesTotal: out.tradesTotal,
      lookAhead: out.lookAhead,
      ...(out.grid ? { grid: out.grid } : {}),
      ...(out.walkForward ? { walkForward: out.walkForward } : {}),
    },
  };
}

export const tradingRoutes: ApiRoute[] = [
  { path: 'trading', handler: trading },
  { path: 'trading/backtest', handler: backtest },
];
