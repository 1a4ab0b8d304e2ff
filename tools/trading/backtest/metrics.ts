// Performance metrics with empyrical's conventions (domain-facts §1.2): periodic simple returns,
// sample standard deviation (ddof 1), annualisation 252 and √252, a risk-free rate of 0 per period.
// A metric that is undefined (too few returns, zero deviation, no drawdown) is null with a reason,
// never NaN, so results stay JSON-safe.
import type { EngineRun } from './engine.js';

export const annualization = 252;

export const conventions = {
  annualization,
  ddof: 1,
  riskFreePerPeriod: 0,
  sharpeBasis: 'daily_returns',
  returns: 'simple returns of equity from close to close; the start value (flat, all cash) is the first point',
  annualReturn: 'CAGR by bars: (Π(1 + r))^(252 / number of returns) − 1',
  sortino: 'mean(r) × 252 / (√mean(min(r, 0)²) × √252), over all periods (empyrical)',
  maxDrawdown: 'min(V / running max(V) − 1) of the equity, start value included; negative',
  calmar: 'annualReturn / |maxDrawdown|',
  winRate: 'closed trades with pnl > 0 / closed trades (freqtrade); the open trade at the end is not counted',
  exposure: 'share of bars (return periods) that closed with a position',
  turnover:
    "pyfolio's get_turnover with denominator portfolio_value: (Σ |traded value| / 2) / equity at that bar's close, averaged over all periods",
  ruin: 'when equity reaches ≤ 0 at a close the position is liquidated at that close, equity is floored at 0 and the run trades no more; totalReturn and maxDrawdown are then −1 and every other return-based metric and turnover is null ("ruined on <date>")',
  fills: "signal at bar t's close, filled at bar t+1's open ± slippage; commission on the filled notional",
} as const;

export type Conventions = typeof conventions;

export interface Metrics {
  totalReturn: number | null;
  annualReturn: number | null;
  annualVolatility: number | null;
  sharpe: number | null;
  sortino: number | null;
  maxDrawdown: number | null;
  calmar: number | null;
  winRate: number | null;
  exposure: number | null;
  turnover: number | null;
  tradeCount: number;
  returnCount: number;
  /** Set when the equity reached 0: "ruined on <date>: equity reached 0". */
  ruined?: string;
  /** Why a metric is null, by name. */
  undefinedBecause: Record<string, string>;
}

type ReturnMetricName =
  'totalReturn' | 'annualReturn' | 'annualVolatility' | 'sharpe' | 'sortino' | 'maxDrawdown' | 'calmar';

/** The return-based metrics of a series of periodic simple returns. */
export function returnMetrics(
  returns: Float64Array,
  ruinedOn?: string | null,
): Pick<Metrics, ReturnMetricName | 'returnCount' | 'undefinedBecause' | 'ruined'> {
  if (ruinedOn) return ruinedMetrics(returns.length, ruinedOn);
  const n = returns.length;
  const because: Record<string, string> = {};
  const missing = (name: string, reason: string) => {
    because[name] = reason;
    return null;
  };
  let growth = 1;
  let peak = 1;
  let drawdown = 0;
  let sum = 0;
  let downside = 0;
  for (let i = 0; i < n; i++) {
    const r = returns[i]!;
    growth *= 1 + r;
    if (growth > peak) peak = growth;
    const below = growth / peak - 1;
    if (below < drawdown) drawdown = below;
    sum += r;
    if (r < 0) downside += r * r;
  }
  const mean = n > 0 ? sum / n : Number.NaN;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (returns[i]! - mean) ** 2;
  const deviation = n > 1 ? Math.sqrt(squares / (n - 1)) : Number.NaN;
  const downsideRisk = n > 0 ? Math.sqrt(downside / n) * Math.sqrt(annualization) : Number.NaN;
  const annualReturn = n > 0 ? growth ** (annualization / n) - 1 : missing('annualReturn', 'no returns');
  const totalReturn = n > 0 ? growth - 1 : missing('totalReturn', 'no returns');
  const few = 'fewer than 2 returns';
  return finite({
    totalReturn,
    annualReturn,
    annualVolatility: n > 1 ? deviation * Math.sqrt(annualization) : missing('annualVolatility', few),
    sharpe:
      n < 2
        ? missing('sharpe', few)
        : deviation === 0
          ? missing('sharpe', 'the returns have zero standard deviation (never invested or constant)')
          : (mean / deviation) * Math.sqrt(annualization),
    sortino:
      n < 2
        ? missing('sortino', few)
        : downsideRisk === 0
          ? missing('sortino', 'no negative return: the downside deviation is zero')
          : (mean * annualization) / downsideRisk,
    maxDrawdown: n > 0 ? drawdown : missing('maxDrawdown', 'no returns'),
    calmar:
      n < 1
        ? missing('calmar', 'no returns')
        : drawdown >= 0
          ? missing('calmar', 'no drawdown: the equity never fell below a previous peak')
          : annualReturn! / Math.abs(drawdown),
    returnCount: n,
    undefinedBecause: because,
  });
}

/**
 * After ruin growth rates mean nothing: the total return and the drawdown are exactly −1 (the equity
 * went to 0), every other return-based metric is null with the reason.
 */
function ruinedMetrics(
  n: number,
  ruinedOn: string,
): Pick<Metrics, ReturnMetricName | 'returnCount' | 'undefinedBecause' | 'ruined'> {
  const ruined = ruinReason(ruinedOn);
  return {
    totalReturn: -1,
    annualReturn: null,
    annualVolatility: null,
    sharpe: null,
    sortino: null,
    maxDrawdown: -1,
    calmar: null,
    returnCount: n,
    ruined,
    undefinedBecause: {
      annualReturn: ruined,
      annualVolatility: ruined,
      sharpe: ruined,
      sortino: ruined,
      calmar: ruined,
    },
  };
}

export function ruinReason(date: string): string {
  return `ruined on ${date}: equity reached 0`;
}

/** An equity that reaches zero or below makes growth rates meaningless: null, with the reason. */
function finite<T extends { undefinedBecause: Record<string, string> }>(metrics: T): T {
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      (metrics as Record<string, unknown>)[name] = null;
      metrics.undefinedBecause[name] = 'not finite: the equity reached zero or below';
    }
  }
  return metrics;
}

/** Periodic simple returns of an equity curve (one fewer than its points). */
export function equityReturns(equity: Float64Array, buffer?: Float64Array): Float64Array {
  const count = Math.max(0, equity.length - 1);
  const returns = buffer ? buffer.subarray(0, count) : new Float64Array(count);
  // After ruin the equity stays 0: those periods return 0, not 0/0.
  for (let i = 1; i < equity.length; i++) returns[i - 1] = equity[i - 1]! > 0 ? equity[i]! / equity[i - 1]! - 1 : 0;
  return returns;
}

/** All metrics of one engine run. */
export function runMetrics(run: EngineRun, buffer?: Float64Array): Metrics {
  const base = returnMetrics(equityReturns(run.equity, buffer), run.ruinedOn);
  return {
    ...base,
    ...tradeMetrics(run.closedTrades, run.winningTrades, base.undefinedBecause),
    ...positionMetrics(run, base.undefinedBecause),
  };
}

export function tradeMetrics(
  closed: number,
  winning: number,
  because: Record<string, string>,
): Pick<Metrics, 'winRate' | 'tradeCount'> {
  if (closed === 0) because.winRate = 'no closed trade';
  return { winRate: closed === 0 ? null : winning / closed, tradeCount: closed };
}

function positionMetrics(run: EngineRun, because: Record<string, string>): Pick<Metrics, 'exposure' | 'turnover'> {
  const n = run.units.length;
  if (n === 0) {
    because.exposure = because.turnover = 'no return period';
    return { exposure: null, turnover: null };
  }
  let invested = 0;
  let turnover = 0;
  if (run.ruinedOn) because.turnover = ruinReason(run.ruinedOn);
  for (let i = 0; i < n; i++) {
    if (run.units[i] !== 0) invested++;
    if (run.traded[i] !== 0 && run.equity[i + 1]! > 0) turnover += run.traded[i]! / 2 / run.equity[i + 1]!;
  }
  return { exposure: invested / n, turnover: run.ruinedOn ? null : turnover / n };
}
