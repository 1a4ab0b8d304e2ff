// What "follow the model" and "follow the committee" backtests read: the registered ONNX model run
// causally over the bars (a remote service answers only for today, so it cannot replay history),
// and the committee's history built on it.
import type { ToolContext } from '../context.js';
import { InputError } from '../errors.js';
import type { SignalProviders } from './backtest/signals.js';
import { committeeProvider, type ModelSeries } from './committee/committee-series.js';
import { predictionBackends } from './prediction/backends.js';
import { predictSeries } from './prediction/predict-series.js';

const defaultCommittee = {
  proposalConfidence: 0.65,
  consensus: 0.7,
  weights: { model: 0.4, technical: 0.25, macro: 0.15, analyst: 0.2 },
};

export function signalProviders(context: ToolContext): SignalProviders {
  const model: ModelSeries = async (bars, spec, signal) => {
    const backend = predictionBackends(context.environment).onnx;
    try {
      const series = await predictSeries(bars, spec.model, backend, signal ? { signal } : {});
      return { direction: series.direction, confidence: series.confidence };
    } catch (error) {
      // The model is named by the strategy here, so the message points at strategy.model.
      if (error instanceof InputError && error.field === 'model')
        throw new InputError('strategy.model', error.message.slice('model: '.length));
      throw error;
    }
  };
  const settings = context.environment.trading?.committee ?? defaultCommittee;
  // A strategy that names no threshold trades as the live committee decides: the configured ones.
  return {
    model,
    committee: committeeProvider(model, settings),
    thresholds: { proposalConfidence: settings.proposalConfidence, consensus: settings.consensus },
  };
}
