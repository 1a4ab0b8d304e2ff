// What a backtest returns beside its metrics: the equity curve downsampled for display and the trades
// as rows, both capped so a result's size does not grow with the data.
import { barDate, type Bars } from '../market/bars.js';
import type { EngineRun } from './engine.js';

export interface EquityPoint {
  date: string;
  equity: number;
  /** Equity / running peak − 1 (≤ 0). */
  drawdown: number;
}

export interface TradeRow {
  side: 'long' | 'short';
  entryDate: string;
  exitDate: string;
  entryPrice: number;
  exitPrice: number;
  units: number;
  pnl: number;
  return: number;
  barsHeld: number;
  open: boolean;
}

export const maxEquityPoints = 500;

/**
 * At most maxPoints points of the run's equity (its start included): evenly spaced, plus the first,
 * the last, the peak before the deepest drawdown and its trough, so the curve's extremes survive.
 */
export function downsampleEquity(run: EngineRun, bars: Bars, maxPoints = maxEquityPoints): EquityPoint[] {
  const { equity } = run;
  const n = equity.length;
  const drawdown = new Float64Array(n);
  let peak = -Infinity;
  let peakIndex = 0;
  let worst = 0;
  let worstIndex = 0;
  let worstPeak = 0;
  for (let i = 0; i < n; i++) {
    if (equity[i]! > peak) {
      peak = equity[i]!;
      peakIndex = i;
    }
    drawdown[i] = equity[i]! / peak - 1;
    if (drawdown[i]! < worst) {
      worst = drawdown[i]!;
      worstIndex = i;
      worstPeak = peakIndex;
    }
  }
  const keep = new Set<number>([0, n - 1, worstPeak, worstIndex]);
  const spaced = Math.max(2, maxPoints - keep.size);
  if (n <= maxPoints) for (let i = 0; i < n; i++) keep.add(i);
  else for (let k = 0; k < spaced && keep.size < maxPoints; k++) keep.add(Math.round(((n - 1) * k) / (spaced - 1)));
  return [...keep]
    .filter((i) => i >= 0 && i < n)
    .sort((a, b) => a - b)
    .map((i) => ({ date: barDate(bars.time[run.from - 1 + i]!), equity: equity[i]!, drawdown: drawdown[i]! }));
}

/** The last maxTrades trades as rows, newest last. */
export function tradeRows(run: EngineRun, bars: Bars, maxTrades: number): TradeRow[] {
  return run.trades.slice(Math.max(0, run.trades.length - maxTrades)).map((t) => ({
    side: t.side === 1 ? 'long' : 'short',
    entryDate: barDate(bars.time[t.entryIndex]!),
    exitDate: barDate(bars.time[t.exitIndex]!),
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    units: t.units,
    pnl: t.pnl,
    return: t.return,
    barsHeld: t.barsHeld,
    open: t.open,
  }));
}
