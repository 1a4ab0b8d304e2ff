// Hybrid tool retrieval: BM25F over names, titles, tags, example requests and descriptions
// (search.ts) fused with a vector search over the same texts, embedded by the knowledge base's
// configured embedder. The two rankings are combined by reciprocal rank fusion (RRF, k = 60), which
// needs no score calibration between a BM25 score and a cosine. Only a semantic embedder (ONNX,
// Ollama) is fused: it finds a tool whose text shares no word with the query. The lexical hash
// embedder is refused, because its vectors make unrelated texts that share word fragments look alike
// and fusing them made the keyword ranking worse. If embedding fails, BM25F alone answers and the
// result says why.
import type { Embedder } from '../knowledge/vector/embedder.js';
import type { AnyTool, Domain } from './define-tool.js';
import type { SearchHit, ToolSearchIndex } from './search.js';

export interface HybridHit extends SearchHit {
  bm25Rank?: number;
  vectorRank?: number;
  /** The cosine similarity of the query and the tool's text, when the vector side found it. */
  vectorScore?: number;
}

const rrfK = 60;

export function toolText(tool: AnyTool): string {
  const requests = (tool.requests ?? []).join('. ');
  return `${tool.name.replaceAll('_', ' ')}. ${tool.title}. ${tool.tags.join(', ')}. ${requests}. ${tool.description}`;
}

/** A tool's unit vector, for an exact cosine search. */
interface ToolVector {
  tool: AnyTool;
  unit: Float32Array;
}

function unit(vector: readonly number[]): Float32Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(vector, (x) => x / norm);
}

/**
 * The vector side is an exact cosine scan, not an HNSW graph: a catalogue is a few hundred tools, a
 * scan of them is well under a millisecond, and an approximate graph can miss the few tools that
 * share a concept with the query when many others have near-identical vectors (it did, at 159 tools).
 */
export class HybridToolSearch {
  private constructor(
    private readonly bm25: ToolSearchIndex,
    private readonly tools: Map<string, AnyTool>,
    private readonly vectors: readonly ToolVector[],
    private readonly embedder: Embedder,
  ) {}

  static async build(bm25: ToolSearchIndex, tools: readonly AnyTool[], embedder: Embedder): Promise<HybridToolSearch> {
    if (!embedder.semantic)
      throw new Error(`embedder ${embedder.name} is lexical, not semantic; fusing it would dilute the keyword ranking`);
    const vectors = await embedder.embed(tools.map(toolText));
    return new HybridToolSearch(
      bm25,
      new Map(tools.map((t) => [t.name, t])),
      tools.map((tool, i) => ({ tool, unit: unit(vectors[i]!) })),
      embedder,
    );
  }

  get embedderName(): string {
    return this.embedder.name;
  }

  async search(query: string, options: { domain?: Domain; limit: number; signal?: AbortSignal }): Promise<HybridHit[]> {
    const depth = Math.max(options.limit * 3, 20);
    const lexical = this.bm25.search(query, { ...(options.domain ? { domain: options.domain } : {}), limit: depth });
    const [vector] = await this.embedder.embed([query], options.signal ? { signal: options.signal } : {});
    const target = unit(vector!);
    const semantic = this.vectors
      .filter((entry) => !options.domain || entry.tool.domain === options.domain)
      .map((entry) => {
        let dot = 0;
        for (let i = 0; i < target.length; i++) dot += target[i]! * (entry.unit[i] ?? 0);
        return { id: entry.tool.name, score: dot };
      })
      .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
      .slice(0, depth);
    const fused = new Map<string, HybridHit>();
    lexical.forEach((hit, rank) =>
      fused.set(hit.tool.name, { ...hit, score: 1 / (rrfK + rank + 1), bm25Rank: rank + 1 }),
    );
    // A vector hit counts only when it is at least somewhat similar; otherwise every query would
    // return the whole catalogue in vector order.
    semantic
      .filter((hit) => hit.score > 0.05)
      .forEach((hit, rank) => {
        const tool = this.tools.get(hit.id);
        if (!tool) return;
        const existing = fused.get(hit.id);
        const add = 1 / (rrfK + rank + 1);
        const vector = { vectorRank: rank + 1, vectorScore: Number(hit.score.toFixed(4)) };
        if (existing) fused.set(hit.id, { ...existing, score: existing.score + add, ...vector });
        else fused.set(hit.id, { tool, score: add, matched: [], ...vector });
      });
    return (
      [...fused.values()]
        .map((hit) => ({ ...hit, score: Number((hit.score * rrfK).toFixed(4)) }))
        // Ties (a rank pair mirrored) go to the better keyword rank, then to the better vector rank.
        .sort(
          (a, b) =>
            b.score - a.score ||
            (a.bm25Rank ?? Infinity) - (b.bm25Rank ?? Infinity) ||
            (a.vectorRank ?? Infinity) - (b.vectorRank ?? Infinity) ||
            a.tool.name.localeCompare(b.tool.name),
        )
        .slice(0, options.limit)
    );
  }
}
