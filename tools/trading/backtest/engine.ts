// The backtest engine: target positions in, cash and units out. Look-ahead-safe by construction: the
// only position the loop can take at bar t is target[t − 1], filled at bar t's open. Fills and
// commissions come from costs.ts, the functions paper trading books its fills with.
import { barDate, type Bars } from '../market/bars.js';
import { commission, fillPrice, type CostModel } from '../costs.js';

export interface Sizing {
  /** Share of equity committed on entry (1 = all of it; above 1 is leverage). */
  fraction: number;
  /**
   * Volatility targeting: on entry the share is min(maxLeverage, annual / σ), σ being the standard
   * deviation (ddof 1) of the `lookback` close-to-close returns ending at the signal bar, × √252.
   * Positions are sized on entry and not rebalanced while held.
   */
  volatilityTarget?: { annual: number; lookback: number; maxLeverage: number };
}

export interface EngineOptions {
  costs: CostModel;
  sizing?: Sizing;
  initialCapital?: number;
  /** First bar whose open can trade (≥ 1): the run starts flat at bar from − 1's close. Default 1. */
  from?: number;
  /** End of the run (exclusive). Default bars.length. */
  to?: number;
  /** Keep each trade as an object (default true); a grid only needs the counts. */
  recordTrades?: boolean;
  /** Reusable output arrays of at least to − from + 1 values (a grid's loop); the run's arrays are views on them. */
  buffers?: { equity: Float64Array; units: Float64Array; traded: Float64Array };
  /** σ of the volatility target computed once for these bars and lookback (a grid's IndicatorCache); default computed here. */
  sigma?: Float64Array;
  /**
   * Close any position at bar to − 1's close, with slippage and commission (walk-forward folds), so
   * each run's equity is all cash at its end and its exit costs are paid. Default false: marked at the close.
   */
  closeAtEnd?: boolean;
}

export interface Trade {
  entryIndex: number;
  exitIndex: number;
  /** 1 long, −1 short. */
  side: 1 | -1;
  units: number;
  entryPrice: number;
  exitPrice: number;
  /** (exit − entry) × units − both commissions; an open trade is marked at the last close, no exit cost. */
  pnl: number;
  /** pnl / (|units| × entry price). */
  return: number;
  /** Closes the position was held through. */
  barsHeld: number;
  open: boolean;
}

export interface EngineRun {
  from: number;
  to: number;
  /** Equity at bar from − 1's close (the start) and at each close from..to − 1. */
  equity: Float64Array;
  /** Units held at each close from..to − 1. */
  units: Float64Array;
  /** Σ |units × fill price| traded at each bar's open, from..to − 1. */
  traded: Float64Array;
  /** Every trade when recordTrades, else empty. */
  trades: Trade[];
  /** Closed trades, and those with pnl > 0 (counted whether or not trades are recorded). */
  closedTrades: number;
  winningTrades: number;
  /**
   * Ruin: the bar (index into bars) whose close first left equity ≤ 0, or null. The position is
   * liquidated at that close without further cost, equity is floored at 0 there and the run trades
   * no more (equity stays 0).
   */
  ruinedAt: number | null;
  /** That bar's date, or null. */
  ruinedOn: string | null;
}

export const defaultCapital = 100_000;

export function runEngine(bars: Bars, target: Int8Array, options: EngineOptions): EngineRun {
  const { open, close } = bars;
  const from = Math.max(1, options.from ?? 1);
  const to = options.to ?? close.length;
  const costs = options.costs;
  const rate = costs.commissionBps / 10_000;
  const fraction = options.sizing?.fraction ?? 1;
  const volatility = options.sizing?.volatilityTarget;
  const sigma = volatility ? (options.sigma ?? rollingVolatility(close, volatility.lookback)) : undefined;
  const length = Math.max(0, to - from);
  const buffers = options.buffers;
  const equity = buffers ? buffers.equity.subarray(0, length + 1) : new Float64Array(length + 1);
  const held = buffers ? buffers.units.subarray(0, length) : new Float64Array(length);
  const traded = buffers ? buffers.traded.subarray(0, length) : new Float64Array(length);
  const trades: Trade[] = [];
  const record = options.recordTrades ?? true;
  let closedTrades = 0;
  let winningTrades = 0;
  let cash = options.initialCapital ?? defaultCapital;
  let units = 0;
  let side = 0;
  let entryIndex = 0;
  let entryPrice = 0;
  let entryFee = 0;
  let ruinedAt: number | null = null;
  equity[0] = cash;
  /** Closes the position at `price` (already slipped) with commission `fee` at bar t. */
  const exit = (t: number, price: number, fee: number) => {
    const quantity = -units;
    cash -= quantity * price + fee;
    const pnl = (price - entryPrice) * units - entryFee - fee;
    closedTrades++;
    if (pnl > 0) winningTrades++;
    if (record)
      trades.push({
        entryIndex,
        exitIndex: t,
        side: side as 1 | -1,
        units,
        entryPrice,
        exitPrice: price,
        pnl,
        return: pnl / Math.abs(units * entryPrice),
        barsHeld: t - entryIndex,
        open: false,
      });
    units = 0;
    side = 0;
    return Math.abs(quantity * price);
  };
  for (let t = from; t < to; t++) {
    const want = target[t - 1]!;
    traded[t - from] = 0;
    if (ruinedAt !== null) {
      // Ruined: nothing left to trade with.
      held[t - from] = 0;
      equity[t - from + 1] = 0;
      continue;
    }
    if (want !== side) {
      let volume = 0;
      if (side !== 0) {
        const price = fillPrice(open[t]!, -units, costs);
        volume += exit(t, price, commission(-units, price, costs));
      }
      const share = sigma ? Math.min(volatility!.maxLeverage, volatility!.annual / sigma[t - 1]!) : fraction;
      if (want !== 0 && cash > 0 && share > 0) {
        const price = fillPrice(open[t]!, want, costs);
        const quantity = (want * share * cash) / (price * (1 + rate));
        const fee = commission(quantity, price, costs);
        cash -= quantity * price + fee;
        volume += Math.abs(quantity * price);
        units = quantity;
        side = want;
        entryIndex = t;
        entryPrice = price;
        entryFee = fee;
      }
      traded[t - from] = volume;
    }
    if (options.closeAtEnd && t === to - 1 && side !== 0) {
      const price = fillPrice(close[t]!, -units, costs);
      traded[t - from] = traded[t - from]! + exit(t, price, commission(-units, price, costs));
    }
    let value = cash + units * close[t]!;
    if (value <= 0) {
      // Ruin: liquidate at this close (no further cost: nothing is left to pay it), floor equity at 0.
      if (side !== 0) exit(t, close[t]!, 0);
      cash = 0;
      value = 0;
      ruinedAt = t;
    }
    held[t - from] = units;
    equity[t - from + 1] = value;
  }
  if (side !== 0 && record) {
    const price = close[to - 1]!;
    const pnl = (price - entryPrice) * units - entryFee;
    trades.push({
      entryIndex,
      exitIndex: to - 1,
      side: side as 1 | -1,
      units,
      entryPrice,
      exitPrice: price,
      pnl,
      return: pnl / Math.abs(units * entryPrice),
      barsHeld: to - entryIndex,
      open: true,
    });
  }
  return {
    from,
    to,
    equity,
    units: held,
    traded,
    trades,
    closedTrades,
    winningTrades,
    ruinedAt,
    ruinedOn: ruinedAt === null ? null : barDate(bars.time[ruinedAt]!),
  };
}

/**
 * Annualised standard deviation (ddof 1, × √252) of the `lookback` close-to-close returns ending at
 * each bar; NaN until lookback returns exist (then sizing gives NaN < share, so no entry is made).
 * O(n): rolling sums of r and r², recomputed from scratch every lookback bars so rounding cannot drift.
 */
export function rollingVolatility(close: Float64Array, lookback: number): Float64Array {
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (n <= lookback) return out;
  const r = new Float64Array(n);
  for (let i = 1; i < n; i++) r[i] = close[i]! / close[i - 1]! - 1;
  // Shifted by the first window's mean, so the sums stay small and their difference exact enough.
  let shift = 0;
  for (let i = 1; i <= lookback; i++) shift += r[i]!;
  shift /= lookback;
  let sum = 0;
  let squares = 0;
  for (let t = lookback; t < n; t++) {
    if ((t - lookback) % lookback === 0) {
      sum = 0;
      squares = 0;
      for (let i = t - lookback + 1; i <= t; i++) {
        const d = r[i]! - shift;
        sum += d;
        squares += d * d;
      }
    } else {
      const added = r[t]! - shift;
      const removed = r[t - lookback]! - shift;
      sum += added - removed;
      squares += added * added - removed * removed;
    }
    const variance = Math.max(0, (squares - (sum * sum) / lookback) / (lookback - 1));
    out[t] = Math.sqrt(variance) * Math.sqrt(252);
  }
  return out;
}
