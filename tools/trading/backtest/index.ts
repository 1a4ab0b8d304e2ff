// The backtest API that the trading supervisor's backtestStrategy and the paper-trading part call.
export { runBacktest, dateRange, type BacktestOptions, type BacktestResult } from './backtest.js';
export { backtestOutputSchema, backtestTool, compactOutcome, loadBars, maxInlineBars } from './backtest-tool.js';
export { defaultCapital, runEngine, type EngineOptions, type EngineRun, type Sizing, type Trade } from './engine.js';
export {
  gridSchema,
  maxGridCombinations,
  objectives,
  runGrid,
  type GridResult,
  type GridSpec,
  type Objective,
} from './grid.js';
export { checkLookAhead, samplePrefixEnds, type LookAheadReport, type LookAheadViolation } from './look-ahead.js';
export { annualization, conventions, returnMetrics, runMetrics, type Conventions, type Metrics } from './metrics.js';
export {
  backtestRequestSchema,
  backtestRequestShape,
  costsSchema,
  runBacktestRequest,
  sizingSchema,
  type BacktestOutcome,
  type BacktestRequest,
} from './request.js';
export { computeSignals, IndicatorCache, type PeekingStrategy, type SignalProviders } from './signals.js';
export { maxCombineDepth, parseStrategy, strategySchema, warmup, type Strategy } from './strategy.js';
export {
  foldRanges,
  maxFolds,
  runWalkForward,
  walkForwardSchema,
  type WalkForwardResult,
  type WalkForwardSpec,
} from './walk-forward.js';
