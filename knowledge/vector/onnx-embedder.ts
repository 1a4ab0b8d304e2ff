// A sentence-embedding model run locally with onnxruntime-node: the model file (.onnx) and its
// WordPiece tokenizer (vocab.txt or tokenizer.json) are the user's; nothing is downloaded. The
// model takes input_ids and attention_mask (and token_type_ids when it declares them) and returns
// either token states [batch, tokens, dim], mean-pooled over the mask here, or a pooled
// [batch, dim]. Vectors are L2-normalised. Inference runs on onnxruntime's own threads, so the
// event loop stays free.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as ortTypes from 'onnxruntime-node';
import { KnowledgeError } from '../knowledge-error.js';
import type { EmbedOptions, Embedder } from './embedder.js';
import { WordPieceTokenizer } from './wordpiece.js';

type Ort = typeof ortTypes;

export interface OnnxEmbedderOptions {
  modelPath: string;
  /** vocab.txt or tokenizer.json. */
  tokenizerPath: string;
  maxTokens?: number;
  batchSize?: number;
  threads?: number;
  lowercase?: boolean;
}

export class OnnxEmbedder implements Embedder {
  readonly semantic = true;

  private constructor(
    private readonly ort: Ort,
    private readonly session: ortTypes.InferenceSession,
    private readonly tokenizer: WordPieceTokenizer,
    readonly name: string,
    readonly dimension: number,
    private readonly options: Required<Pick<OnnxEmbedderOptions, 'maxTokens' | 'batchSize'>> & { modelFile: string },
  ) {}

  static async load(options: OnnxEmbedderOptions): Promise<OnnxEmbedder> {
    const ort = (await import('onnxruntime-node')) as unknown as Ort;
    let bytes: Buffer;
    try {
      bytes = await readFile(options.modelPath);
    } catch (error) {
      throw new KnowledgeError(
        'NOT_FOUND',
        `cannot read the ONNX model ${options.modelPath}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const tokenizer = await WordPieceTokenizer.fromFile(
      options.tokenizerPath,
      options.lowercase === undefined ? {} : { lowercase: options.lowercase },
    );
    let session: ortTypes.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: options.threads ?? 1,
        graphOptimizationLevel: 'all',
      });
    } catch (error) {
      throw new KnowledgeError(
        'BAD_INPUT',
        `onnxruntime could not load ${options.modelPath}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    for (const input of ['input_ids', 'attention_mask']) {
      if (!session.inputNames.includes(input))
        throw new KnowledgeError(
          'BAD_INPUT',
          `${options.modelPath} has no "${input}" input (it has ${session.inputNames.join(', ')}); export a sentence-embedding model with input_ids and attention_mask`,
        );
    }
    const maxTokens = options.maxTokens ?? 256;
    const probe = new OnnxEmbedder(ort, session, tokenizer, 'probe', 0, {
      maxTokens,
      batchSize: options.batchSize ?? 32,
      modelFile: options.modelPath,
    });
    const [vector] = await probe.run(['dimension probe']);
    const dimension = vector!.length;
    const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
    const name = `onnx/${path.basename(options.modelPath, '.onnx')}@${digest}/${dimension}`;
    return new OnnxEmbedder(ort, session, tokenizer, name, dimension, {
      maxTokens,
      batchSize: options.batchSize ?? 32,
      modelFile: options.modelPath,
    });
  }

  private async run(texts: readonly string[]): Promise<number[][]> {
    const encoded = texts.map((text) => this.tokenizer.encode(text, this.options.maxTokens).ids);
    const length = Math.max(...encoded.map((ids) => ids.length));
    const batch = encoded.length;
    const ids = new BigInt64Array(batch * length).fill(BigInt(this.tokenizer.pad));
    const mask = new BigInt64Array(batch * length);
    encoded.forEach((row, b) => {
      row.forEach((id, t) => {
        ids[b * length + t] = BigInt(id);
        mask[b * length + t] = 1n;
      });
    });
    const feeds: Record<string, ortTypes.Tensor> = {
      input_ids: new this.ort.Tensor('int64', ids, [batch, length]),
      attention_mask: new this.ort.Tensor('int64', mask, [batch, length]),
    };
    if (this.session.inputNames.includes('token_type_ids'))
      feeds.token_type_ids = new this.ort.Tensor('int64', new BigInt64Array(batch * length), [batch, length]);
    const outputs = await this.session.run(feeds);
    const output = outputs[this.session.outputNames[0]!]!;
    const data = output.data as Float32Array;
    const dims = output.dims;
    const vectors: number[][] = [];
    if (dims.length === 3) {
      const dim = dims[2]!;
      for (let b = 0; b < batch; b++) {
        const sum = new Float64Array(dim);
        let count = 0;
        for (let t = 0; t < length; t++) {
          if (mask[b * length + t] === 0n) continue;
          count++;
          const offset = (b * length + t) * dim;
          for (let d = 0; d < dim; d++) sum[d]! += data[offset + d]!;
        }
        vectors.push(normalise(Array.from(sum, (v) => v / Math.max(1, count))));
      }
    } else if (dims.length === 2) {
      const dim = dims[1]!;
      for (let b = 0; b < batch; b++) vectors.push(normalise(Array.from(data.subarray(b * dim, (b + 1) * dim))));
    } else {
      throw new KnowledgeError(
        'BAD_INPUT',
        `${this.options.modelFile}'s first output has shape [${dims.join(', ')}]; expected [batch, tokens, dim] or [batch, dim]`,
      );
    }
    for (const output of Object.values(outputs)) output.dispose?.();
    return vectors;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<number[][]> {
    const signal = options.signal;
    const started = performance.now();
    const out: number[][] = [];
    let tokens = 0;
    for (let i = 0; i < texts.length; i += this.options.batchSize) {
      signal?.throwIfAborted();
      const slice = texts.slice(i, i + this.options.batchSize);
      for (const text of slice) tokens += this.tokenizer.encode(text, this.options.maxTokens).ids.length;
      out.push(...(await this.run(slice)));
    }
    options.onUsage?.({
      source: `onnx ${path.basename(this.options.modelFile)}`,
      model: this.name,
      inputTokens: tokens,
      latencyMs: performance.now() - started,
      costUsd: 0,
    });
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function normalise(vector: number[]): number[] {
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  return vector.map((v) => v / norm);
}
