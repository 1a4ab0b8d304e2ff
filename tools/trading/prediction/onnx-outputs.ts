// From a model's output row to a Prediction: the output mapping says which index is which
// quantity; direction and confidence come from the up-move logit; the risk score is the model's
// own when the mapping names one, else derived from volatility by the formula stated in the result.
import { barDate, type Bars } from '../market/bars.js';
import type { ResolvedModel } from './model-registry.js';
import type { ModelIdentity, Prediction } from './prediction.js';

/** The ceiling of annualised volatility at which the derived risk score reaches 1. */
export const riskVolatilityCeiling = 0.8;
export const derivedRiskFormula = `derived: min(1, |volatility| × √252 / ${riskVolatilityCeiling}) (annualised volatility against a ${riskVolatilityCeiling * 100}% ceiling)`;

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export function directionOf(logit: number): { direction: 'LONG' | 'SHORT'; confidence: number; upProbability: number } {
  const up = sigmoid(logit);
  return { direction: up >= 0.5 ? 'LONG' : 'SHORT', confidence: Math.max(up, 1 - up), upProbability: up };
}

/** Which model answered: what every ONNX prediction and prediction series carries. */
export function identityOf(resolved: ResolvedModel): ModelIdentity {
  const { checkpoint } = resolved;
  return {
    name: resolved.name,
    ...(resolved.alias ? { alias: resolved.alias } : {}),
    checkpoint: checkpoint.file,
    sha256: checkpoint.sha256,
    trainedAt: checkpoint.trainedAt,
    dataContractHash: checkpoint.dataContractHash,
    backend: 'onnx',
  };
}

export function toPrediction(
  resolved: ResolvedModel,
  bars: Bars,
  end: number,
  outputs: { data: Float32Array; width: number },
  row: number,
  latencyMs: number,
): Prediction {
  const { checkpoint } = resolved;
  const mapping = checkpoint.output;
  const value = (index: number) => outputs.data[row * outputs.width + index]!;
  const volatility = value(mapping.volatility);
  const { direction, confidence } = directionOf(value(mapping.directionLogit));
  const risk =
    mapping.riskScore === undefined
      ? {
          riskScore: Math.min(1, (Math.abs(volatility) * Math.sqrt(252)) / riskVolatilityCeiling),
          riskScoreSource: derivedRiskFormula,
        }
      : {
          riskScore: Math.min(1, Math.max(0, value(mapping.riskScore))),
          riskScoreSource: `model output ${mapping.riskScore}`,
        };
  return {
    symbol: bars.symbol,
    direction,
    confidence,
    expectedReturns: { '1d': value(mapping.return1d), '5d': value(mapping.return5d), '20d': value(mapping.return20d) },
    volatility,
    ...(mapping.uncertainty === undefined ? {} : { uncertainty: value(mapping.uncertainty) }),
    ...risk,
    currentPrice: bars.close[end]!,
    asOf: barDate(bars.time[end]!),
    model: identityOf(resolved),
    latencyMs,
  };
}
