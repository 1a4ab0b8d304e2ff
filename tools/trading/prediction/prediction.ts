// What a prediction is, whichever backend answered it: a local ONNX model from the registry or the
// remote prediction service. Which model answered travels here, never in a name.

export interface ModelIdentity {
  /** Registry name, e.g. `ohlc-transformer`. */
  name: string;
  /** The alias the request resolved through (`production`, `candidate`), if any. */
  alias?: string | undefined;
  /** Checkpoint file name (no directory). */
  checkpoint: string;
  sha256: string;
  trainedAt: string;
  /** sha256 of the canonical JSON of the input contract the model was trained on. */
  dataContractHash: string;
  backend: 'onnx' | 'remote';
}

export interface Prediction {
  symbol: string;
  direction: 'LONG' | 'SHORT';
  /** 0..1 (the seed service's 0–100 is divided by 100). */
  confidence: number;
  /** Expected fractional returns over 1, 5 and 20 bars. */
  expectedReturns: { '1d': number; '5d': number; '20d': number };
  /** Predicted volatility of daily returns (fraction, not annualised) unless the backend says otherwise. */
  volatility: number;
  uncertainty?: number | undefined;
  /** 0..1; `riskScoreSource` says whether the model produced it or how it was derived. */
  riskScore: number;
  riskScoreSource: string;
  currentPrice: number;
  /** The last bar the prediction used (YYYY-MM-DD), or the service's timestamp. */
  asOf: string;
  model: ModelIdentity;
  latencyMs: number;
}

export interface PredictionRequest {
  symbol: string;
  /** A registry name or alias; default the `production` alias. Ignored by the remote service. */
  model?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface BackendStatus {
  backend: 'onnx' | 'remote';
  /** What is loaded (ONNX sessions) or where it points (remote). */
  loaded: { name: string; sha256: string; since: string }[];
  endpoint?: string | undefined;
  predictions: number;
  errors: number;
  lastError?: { message: string; at: string } | undefined;
  breaker?: 'closed' | 'open' | 'half-open' | undefined;
}

export interface PredictionBackend {
  readonly kind: 'onnx' | 'remote';
  predict(request: PredictionRequest): Promise<Prediction>;
  status(): BackendStatus;
  close(): Promise<void>;
}
