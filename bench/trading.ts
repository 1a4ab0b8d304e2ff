// npm run bench:trading: the backtest figures of issue 17, each beside a peer measured in the same run.
//  1. One strategy's speed in bars/s on the S&P 500 bars repeated to ≥ 1M bars: the whole backtest
//     (signals, engine, metrics, look-ahead check, report) and the engine alone.
//  2. The 4,851-combination SMA-crossover grid (fast 2..99 × slow 3..100, fast < slow) on the 5,105
//     S&P 500 bars (target < 5 s).
//  3. A peer: a straightforward event-loop backtest written here (an object per bar, a strategy object
//     whose next(bar) updates its SMAs incrementally, the same fills and costs from costs.ts). It must
//     reach the same final equity as the engine; the table gives the speed ratio.
//  4. Indicator speed: our array functions against trading-signals' streaming classes on the same closes.
//  5. ONNX prediction p50 latency: a hook the lead fills from the prediction part (see below).
// The machine is shared (2 cores, other agents running), so each figure is the median of a few runs
// (after one untimed warm-up run), and the ratios matter more than the absolute numbers.
import { measurePredictionLatency } from './prediction-latency.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ATR, BollingerBands, EMA, MACD, RSI, SMA } from 'trading-signals';
import { barsFromRows, type Bars } from '../tools/trading/market/bars.js';
import { commission, fillPrice, type CostModel } from '../tools/trading/costs.js';
import { atr, bollinger, ema, macd, rsi, sma } from '../tools/trading/indicators/index.js';
import { runBacktest } from '../tools/trading/backtest/backtest.js';
import { runEngine } from '../tools/trading/backtest/engine.js';
import { runMetrics } from '../tools/trading/backtest/metrics.js';
import { gridSchema, runGrid } from '../tools/trading/backtest/grid.js';
import { IndicatorCache, ruleSignals } from '../tools/trading/backtest/signals.js';
import { parseStrategy } from '../tools/trading/backtest/strategy.js';
import { round, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const csv = path.join(root, 'node_modules', 'vega-datasets', 'data', 'sp500-2000.csv');
const costs: CostModel = { commissionBps: 5, slippageBps: 2 };
const capital = 100_000;

async function loadSp500(): Promise<Bars> {
  const lines = (await readFile(csv, 'utf8')).trim().split('\n').slice(1);
  const rows = lines.map((line) => {
    const [date, open, high, low, close, , volume] = line.split(',');
    const time = Date.parse(`${date}T00:00:00Z`);
    return {
      time,
      open: Number(open),
      high: Number(high),
      low: Number(low),
      close: Number(close),
      volume: Number(volume),
    };
  });
  return barsFromRows('SP500', csv, rows);
}

/** The bars repeated `copies` times, one day apart, so that a single run walks ≥ 1M bars. */
function repeated(bars: Bars, copies: number): Bars {
  const n = bars.close.length;
  const column = (values: Float64Array) => {
    const out = new Float64Array(n * copies);
    for (let k = 0; k < copies; k++) out.set(values, k * n);
    return out;
  };
  const time = new Float64Array(n * copies);
  for (let i = 0; i < time.length; i++) time[i] = bars.time[0]! + i * 86_400_000;
  return {
    symbol: `${bars.symbol}x${copies}`,
    source: 'memory',
    time,
    open: column(bars.open),
    high: column(bars.high),
    low: column(bars.low),
    close: column(bars.close),
    volume: column(bars.volume),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed<T>(rounds: number, run: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const times: number[] = [];
  let value: T | undefined = await run(); // warm-up, untimed
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    value = await run();
    times.push(performance.now() - started);
  }
  return { ms: median(times), value: value! };
}

// The peer: the event-loop style of backtrader and most hand-written backtests.
interface Bar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

class SmaCrossStrategy {
  private readonly fastWindow: number[] = [];
  private readonly slowWindow: number[] = [];
  private fastSum = 0;
  private slowSum = 0;
  constructor(
    private readonly fast: number,
    private readonly slow: number,
  ) {}
  /** The target position after this bar's close. */
  next(bar: Bar): number {
    this.fastSum = roll(this.fastWindow, this.fastSum, bar.close, this.fast);
    this.slowSum = roll(this.slowWindow, this.slowSum, bar.close, this.slow);
    if (this.slowWindow.length < this.slow) return 0;
    return this.fastSum / this.fast > this.slowSum / this.slow ? 1 : 0;
  }
}

function roll(window: number[], sum: number, value: number, size: number): number {
  window.push(value);
  let next = sum + value;
  if (window.length > size) next -= window.shift()!;
  return next;
}

class Broker {
  cash = capital;
  units = 0;
  pending: number | undefined;
  order(target: number) {
    this.pending = target;
  }
  /** Fills the pending order at this bar's open, as the engine does. */
  open(bar: Bar) {
    const target = this.pending;
    this.pending = undefined;
    if (target === undefined || Math.sign(this.units) === target) return;
    if (this.units !== 0) {
      const quantity = -this.units;
      const price = fillPrice(bar.open, quantity, costs);
      this.cash -= quantity * price + commission(quantity, price, costs);
      this.units = 0;
    }
    if (target !== 0 && this.cash > 0) {
      const price = fillPrice(bar.open, target, costs);
      const quantity = (target * this.cash) / (price * (1 + costs.commissionBps / 10_000));
      this.cash -= quantity * price + commission(quantity, price, costs);
      this.units = quantity;
    }
  }
  value(bar: Bar) {
    return this.cash + this.units * bar.close;
  }
}

function eventLoopBacktest(bars: Bar[], fast: number, slow: number): { finalEquity: number; equity: number[] } {
  const strategy = new SmaCrossStrategy(fast, slow);
  const broker = new Broker();
  const equity: number[] = [];
  for (const bar of bars) {
    broker.open(bar);
    equity.push(broker.value(bar));
    broker.order(strategy.next(bar));
  }
  return { finalEquity: equity[equity.length - 1]!, equity };
}

function barObjects(bars: Bars): Bar[] {
  return Array.from(bars.close, (close, i) => ({
    time: bars.time[i]!,
    open: bars.open[i]!,
    high: bars.high[i]!,
    low: bars.low[i]!,
    close,
    volume: bars.volume[i]!,
  }));
}

const sp500 = await loadSp500();
const copies = Math.ceil(1_000_000 / sp500.close.length);
const big = repeated(sp500, copies);
const strategy = parseStrategy({ type: 'sma_crossover', fast: 50, slow: 200 });
const rows: Record<string, string | number>[] = [];

// 1. One strategy at ≥ 1M bars/s.
const whole = await timed(5, () => runBacktest(big, strategy, { costs }));
const targets = ruleSignals(strategy as Parameters<typeof ruleSignals>[0], new IndicatorCache(big));
const engineOnly = await timed(5, () => runEngine(big, targets, { costs }));
const unchecked = await timed(5, () => {
  const signals = ruleSignals(strategy as Parameters<typeof ruleSignals>[0], new IndicatorCache(big));
  return runMetrics(runEngine(big, signals, { costs }));
});
const bigBars = big.close.length;
rows.push({
  figure: `one strategy (sma 50/200), whole backtest incl. look-ahead check, ${bigBars} bars`,
  value: `${round(bigBars / whole.ms / 1000, 1)} M bars/s`,
  ms: round(whole.ms, 1),
  target: '≥ 1 M bars/s',
});
rows.push({
  figure: `the same without the look-ahead check and report (indicators, signals, engine, metrics)`,
  value: `${round(bigBars / unchecked.ms / 1000, 1)} M bars/s`,
  ms: round(unchecked.ms, 1),
  target: '',
});
rows.push({
  figure: `engine alone on precomputed signals, ${bigBars} bars`,
  value: `${round(bigBars / engineOnly.ms / 1000, 1)} M bars/s`,
  ms: round(engineOnly.ms, 1),
  target: '',
});

// 2. The 4,851-combination grid.
const grid = gridSchema.parse({ parameters: { fast: { from: 2, to: 99 }, slow: { from: 3, to: 100 } } });
const gridRun = await timed(3, () =>
  runGrid(sp500, parseStrategy({ type: 'sma_crossover', fast: 2, slow: 3 }), grid, { costs }),
);
rows.push({
  figure: `SMA grid: ${gridRun.value.combinations} combinations on ${sp500.close.length} bars (each with its look-ahead check)`,
  value: `${round(gridRun.ms / 1000, 2)} s (best ${JSON.stringify(gridRun.value.best.parameters)}, Sharpe ${round(gridRun.value.best.objective ?? Number.NaN, 3)})`,
  ms: round(gridRun.ms, 1),
  target: '< 5 s',
});

// 3. The event-loop peer: same final equity, then the speed ratio.
const smallPeer = eventLoopBacktest(barObjects(sp500), 50, 200);
const smallOurs = await runBacktest(sp500, strategy, { costs });
const bigObjects = barObjects(big);
const peer = await timed(3, () => eventLoopBacktest(bigObjects, 50, 200));
const oursBig = runEngine(big, targets, { costs });
const agreement = {
  sp500: { ours: smallOurs.finalEquity, peer: smallPeer.finalEquity },
  repeated: { ours: oursBig.equity[oursBig.equity.length - 1]!, peer: peer.value.finalEquity },
};
const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const agree =
  relative(agreement.sp500.ours, agreement.sp500.peer) < 1e-9 &&
  relative(agreement.repeated.ours, agreement.repeated.peer) < 1e-9;
rows.push({
  figure: `peer: event-loop backtest (object per bar, next(bar) callback), ${bigBars} bars`,
  value: `${round(bigBars / peer.ms / 1000, 2)} M bars/s; speed of ours over the peer: ${round(peer.ms / whole.ms, 2)}× with the look-ahead check (the peer has none), ${round(peer.ms / unchecked.ms, 1)}× for the same work, ${round(peer.ms / engineOnly.ms, 1)}× engine alone`,
  ms: round(peer.ms, 1),
  target: agree ? 'same final equity (1e-9)' : 'FINAL EQUITY DIFFERS',
});

// 4. Indicators against trading-signals on the S&P closes.
const closes = sp500.close;
function streamed(make: () => { update(value: number, replace: boolean): unknown }) {
  const indicator = make();
  for (const close of closes) indicator.update(close, false);
}
const candles = Array.from(closes, (close, i) => ({ high: sp500.high[i]!, low: sp500.low[i]!, close }));
const indicators: [string, () => unknown, () => unknown][] = [
  ['sma(50)', () => sma(closes, 50), () => streamed(() => new SMA(50))],
  ['ema(26)', () => ema(closes, 26), () => streamed(() => new EMA(26))],
  ['rsi(14)', () => rsi(closes, 14), () => streamed(() => new RSI(14))],
  [
    'macd(12,26,9)',
    () => macd(closes, 12, 26, 9),
    () => streamed(() => new MACD(new EMA(12), new EMA(26), new EMA(9))),
  ],
  [
    'atr(14)',
    () => atr(sp500.high, sp500.low, closes, 14),
    () => {
      const indicator = new ATR(14);
      for (const candle of candles) indicator.update(candle, false);
    },
  ],
  ['bollinger(20, 2)', () => bollinger(closes, 20, 2), () => streamed(() => new BollingerBands(20, 2))],
];
const indicatorRows = [];
for (const [name, ours, theirs] of indicators) {
  // Each timed round repeats the call, so that sub-millisecond calls are not lost in timer and GC noise.
  const repeat = (times: number, run: () => unknown) => () => {
    for (let i = 0; i < times; i++) run();
  };
  const a = await timed(9, repeat(200, ours));
  const b = await timed(9, repeat(10, theirs));
  a.ms /= 200;
  b.ms /= 10;
  indicatorRows.push({
    indicator: name,
    bars: closes.length,
    oursMs: round(a.ms, 3),
    tradingSignalsMs: round(b.ms, 3),
    ratio: `${round(b.ms / a.ms, 1)}×`,
  });
}

// 5. Prediction latency through the local ONNX backend on the test model (bench/prediction-latency.ts):
// one prediction = reading the symbol's bars, the features of the window, and one session run. The
// peer is the same network in plain TS (no runtime), and the remote backend against a loopback peer.
const latency = await measurePredictionLatency({ n: 300 });
rows.push({
  figure: `ONNX prediction p50 latency (${latency.model}, ${latency.n} calls)`,
  value: `p50 ${round(latency.p50Ms, 3)} ms, p95 ${round(latency.p95Ms, 3)} ms`,
  ms: round(latency.p50Ms, 3),
  target: `reported; the same network in plain TS: p50 ${round(latency.referenceP50Ms, 3)} ms; remote over loopback HTTP: p50 ${round(latency.remoteP50Ms, 3)} ms; causal series ${Math.round(latency.seriesBarsPerSecond)} bars/s`,
});

process.stdout.write(
  `${table(`trading backtests (${os.cpus().length} CPUs, shared with other work; medians)`, rows)}\n` +
    `${table('indicators: ours (array functions) vs trading-signals 8.3.0 (streaming classes), same closes', indicatorRows)}\n` +
    `final equity, ours vs event-loop peer: S&P ${agreement.sp500.ours} vs ${agreement.sp500.peer}; repeated ${agreement.repeated.ours} vs ${agreement.repeated.peer}\n`,
);
const out = path.join(root, 'bench', 'results');
await mkdir(out, { recursive: true });
await writeFile(
  path.join(out, 'trading.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      load: os.loadavg(),
      data: { file: 'node_modules/vega-datasets/data/sp500-2000.csv', bars: sp500.close.length, repeatedTo: bigBars },
      costs,
      oneStrategy: {
        strategy,
        bars: bigBars,
        wholeBacktestMs: whole.ms,
        wholeBarsPerSecond: bigBars / (whole.ms / 1000),
        withoutCheckMs: unchecked.ms,
        withoutCheckBarsPerSecond: bigBars / (unchecked.ms / 1000),
        engineMs: engineOnly.ms,
        engineBarsPerSecond: bigBars / (engineOnly.ms / 1000),
      },
      grid: {
        combinations: gridRun.value.combinations,
        bars: sp500.close.length,
        ms: gridRun.ms,
        best: gridRun.value.best.parameters,
        bestSharpe: gridRun.value.best.objective,
        lookAheadViolations: gridRun.value.lookAheadViolations,
      },
      peer: {
        kind: 'event loop, object per bar, next(bar) callback',
        ms: peer.ms,
        barsPerSecond: bigBars / (peer.ms / 1000),
        agreement,
        agree,
      },
      indicators: indicatorRows,
      prediction: latency,
    },
    null,
    2,
  )}\n`,
);
if (!agree) process.exitCode = 1;
