// The committee over history, for backtests of "follow the committee". At each bar it decides from
// bars[0..t] only: the model's prediction (proposed above the proposal confidence) and the
// technical voter vote. The macro voter abstains, because the knowledge snapshots hold today's
// regimes and not the ones known at t (using them would look ahead), and the LLM analyst abstains
// (one LLM call per bar is not a backtest). The weights of the two voters are renormalised.
import type { TradingSettings } from '../../context.js';
import type { Bars } from '../market/bars.js';
import { technicalSeries } from './technical-voter.js';

export type ModelSeries = (
  bars: Bars,
  spec: { model?: string },
  signal?: AbortSignal,
) => Promise<{ direction: Int8Array; confidence: Float64Array }>;

export const committeeHistoryNote =
  'backtest committee: model and technical voters only (macro abstains: snapshots hold no point-in-time regimes; analyst abstains: no LLM call per bar)';

export function committeeProvider(model: ModelSeries, settings: TradingSettings['committee']) {
  return async (
    bars: Bars,
    spec: { model?: string } = {},
    signal?: AbortSignal,
  ): Promise<{ direction: Int8Array; consensus: Float64Array }> => {
    const predicted = await model(bars, spec, signal);
    const technical = technicalSeries(bars).score;
    const n = bars.close.length;
    const direction = new Int8Array(n);
    const consensus = new Float64Array(n);
    const { model: wModel, technical: wTechnical } = settings.weights;
    for (let t = 0; t < n; t++) {
      const proposed = predicted.direction[t]!;
      const confidence = predicted.confidence[t]!;
      if (proposed === 0 || !(confidence > settings.proposalConfidence)) continue;
      const score = technical[t]!;
      const voting = Number.isNaN(score) ? wModel : wModel + wTechnical;
      if (voting <= 0) continue;
      let support = wModel * confidence;
      // The technical vote supports the proposal when its sign agrees, with |score| as confidence.
      if (!Number.isNaN(score) && Math.sign(score) === proposed) support += wTechnical * Math.abs(score);
      direction[t] = proposed;
      consensus[t] = support / voting;
    }
    return { direction, consensus };
  };
}
