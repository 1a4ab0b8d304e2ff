// The technical voter: five classic rules read on each bar from bars[0..t] only, so the same series
// serves today's vote and a backtest of "follow the committee" without looking ahead.
//   trend      close above / below its 200-bar SMA
//   cross      50-bar SMA above / below the 200-bar SMA
//   momentum   MACD(12, 26, 9) histogram above / below 0
//   rsi        RSI(14) below 30 (oversold: +1) / above 70 (overbought: −1), else no view
//   breakout   close above the previous 20 bars' high / below their low, else no view
// The score is the mean of the rules that have a view; its sign is the direction and its size the
// confidence (all five agreeing is 1).
import type { Bars } from '../market/bars.js';
import { macd, rollingHighest, rollingLowest, rsi, sma } from '../indicators/index.js';
import type { Direction, Vote } from './vote.js';

export const technicalRules = ['trend', 'cross', 'momentum', 'rsi', 'breakout'] as const;
type Rule = (typeof technicalRules)[number];

export interface TechnicalSeries {
  /** Mean of the rules with a view, −1..1; NaN while no rule has one. */
  score: Float64Array;
  rules: Record<Rule, Int8Array>;
  readings: { sma50: Float64Array; sma200: Float64Array; rsi14: Float64Array; histogram: Float64Array };
}

export function technicalSeries(bars: Bars): TechnicalSeries {
  const close = bars.close;
  const n = close.length;
  const sma50 = sma(close, 50);
  const sma200 = sma(close, 200);
  const rsi14 = rsi(close, 14);
  const { histogram } = macd(close, 12, 26, 9);
  const high20 = rollingHighest(bars.high, 20);
  const low20 = rollingLowest(bars.low, 20);
  const rules = Object.fromEntries(technicalRules.map((r) => [r, new Int8Array(n)])) as Record<Rule, Int8Array>;
  const score = new Float64Array(n).fill(Number.NaN);
  const sign = (x: number) => (Number.isNaN(x) ? 0 : x > 0 ? 1 : x < 0 ? -1 : 0);
  for (let t = 0; t < n; t++) {
    rules.trend[t] = sign(close[t]! - sma200[t]!);
    rules.cross[t] = sign(sma50[t]! - sma200[t]!);
    rules.momentum[t] = sign(histogram[t]!);
    const r = rsi14[t]!;
    rules.rsi[t] = Number.isNaN(r) ? 0 : r < 30 ? 1 : r > 70 ? -1 : 0;
    // The previous 20 bars' channel: bar t itself is what breaks out of it.
    const high = t > 0 ? high20[t - 1]! : Number.NaN;
    const low = t > 0 ? low20[t - 1]! : Number.NaN;
    rules.breakout[t] = close[t]! > high ? 1 : close[t]! < low ? -1 : 0;
    let sum = 0;
    let views = 0;
    for (const rule of technicalRules) {
      const value = rules[rule][t]!;
      if (value !== 0) {
        sum += value;
        views++;
      }
    }
    // Rules without a view count as 0 in the mean once the trend rules can be read, so one lone
    // breakout does not read as full conviction.
    const defined = Number.isNaN(sma200[t]!) ? views : technicalRules.length;
    if (defined > 0) score[t] = sum / defined;
  }
  return { score, rules, readings: { sma50, sma200, rsi14, histogram } };
}

export function directionOf(score: number): Direction {
  return score > 0 ? 'LONG' : score < 0 ? 'SHORT' : 'FLAT';
}

/** Today's technical vote: the series read at the last bar. */
export function technicalVote(series: TechnicalSeries, weight: number): Vote {
  const t = series.score.length - 1;
  const score = series.score[t];
  if (t < 0 || score === undefined || Number.isNaN(score))
    return {
      voter: 'technical',
      direction: 'FLAT',
      confidence: 0,
      weight,
      rationale: 'too few bars for any rule',
      abstained: 'too few bars for any rule',
    };
  return {
    voter: 'technical',
    direction: directionOf(score),
    confidence: Math.abs(score),
    weight,
    rationale: readingsText(series, t),
  };
}

export function readingsText(series: TechnicalSeries, t: number): string {
  const { sma50, sma200, rsi14, histogram } = series.readings;
  const view = (rule: Rule) => ({ 1: '+1', [-1]: '−1', 0: '0' })[series.rules[rule][t]!] ?? '0';
  const fixed = (x: number | undefined, d = 2) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
  return `score ${fixed(series.score[t], 2)}: trend ${view('trend')} (SMA200 ${fixed(sma200[t])}), cross ${view('cross')} (SMA50 ${fixed(sma50[t])}), momentum ${view('momentum')} (MACD histogram ${fixed(histogram[t], 3)}), rsi ${view('rsi')} (RSI14 ${fixed(rsi14[t], 1)}), breakout ${view('breakout')}`;
}
