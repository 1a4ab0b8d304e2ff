// What every embedder provides. An index records its embedder's name and refuses queries embedded
// by another, so the name must change whenever the vectors would (model, dimension, pooling).

export interface EmbedUsage {
  /** Where the vectors came from, e.g. "ollama gpu1 nomic-embed-text" or "onnx model.onnx". */
  source: string;
  host?: string;
  model: string;
  inputTokens: number;
  latencyMs: number;
  costUsd: number;
}

export interface Embedder {
  readonly name: string;
  readonly dimension: number;
  /** True when texts close in meaning get close vectors; false for the lexical fallback. */
  readonly semantic: boolean;
  embed(texts: readonly string[], options?: EmbedOptions): Promise<number[][]>;
}

export interface EmbedOptions {
  signal?: AbortSignal;
  /** Told where the vectors came from and what they cost, when the embedder knows. */
  onUsage?: (usage: EmbedUsage) => void;
}
