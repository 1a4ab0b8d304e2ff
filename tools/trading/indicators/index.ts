// Technical indicators over column arrays (Float64Array in, Float64Array out, NaN before warm-up).
export { checkPeriod, ema, sma, type EmaOptions } from './moving-averages.js';
export { macd, rsi, type Macd } from './oscillators.js';
export { atr, bollinger, rollingHighest, rollingLowest, type AtrOptions, type Bands } from './volatility.js';
