// Embeddings from an Ollama model (nomic-embed-text by default) through the GPU pool. The pool is
// injected as a function, because the knowledge layer does not import the pool: the composition
// root passes the pool's embed(), which picks a healthy host, fails over and records the cost.
import { KnowledgeError } from '../knowledge-error.js';
import type { EmbedOptions, Embedder } from './embedder.js';

export interface PoolEmbedding {
  embeddings: number[][];
  host: string;
  model: string;
  inputTokens: number;
  latencyMs: number;
  costUsd: number;
}

export type PoolEmbed = (texts: string[], options: { model: string; signal?: AbortSignal }) => Promise<PoolEmbedding>;

export class OllamaEmbedder implements Embedder {
  readonly name: string;
  readonly semantic = true;

  constructor(
    private readonly embedThroughPool: PoolEmbed,
    readonly model = 'nomic-embed-text',
    readonly dimension = 768,
    private readonly batchSize = 64,
  ) {
    this.name = `ollama/${model}/${dimension}`;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<number[][]> {
    const signal = options.signal;
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      signal?.throwIfAborted();
      const result = await this.embedThroughPool(texts.slice(i, i + this.batchSize), {
        model: this.model,
        ...(signal ? { signal } : {}),
      });
      for (const vector of result.embeddings) {
        if (vector.length !== this.dimension) {
          throw new KnowledgeError(
            'DIMENSION_MISMATCH',
            `${this.model} on ${result.host} returned ${vector.length}-dimensional vectors; this embedder is configured for ${this.dimension}. Set the embedder dimension to ${vector.length} and rebuild the index`,
          );
        }
        out.push(vector);
      }
      options.onUsage?.({
        source: `ollama ${result.host} ${result.model}`,
        host: result.host,
        model: result.model,
        inputTokens: result.inputTokens,
        latencyMs: result.latencyMs,
        costUsd: result.costUsd,
      });
    }
    return out;
  }
}
