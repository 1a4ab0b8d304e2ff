// The peers for bench/find-tools.ts, frozen as they were before issue 15 so the bench can measure
// them in the same run: the keyword ranking alone (field-weighted BM25 with a plural fold and prefix
// matching, tools/search.ts at a754fd4) and the findTools default that fused it with the lexical
// hash embedder by reciprocal rank fusion (tools/hybrid-search.ts at a754fd4). Only the imports and
// the class names differ from the originals.
import type { Embedder } from '../knowledge/vector/embedder.js';
import { VectorIndex } from '../knowledge/vector/vector-index.js';
import type { AnyTool, Domain } from '../tools/define-tool.js';
const fieldWeights = { name: 3, tags: 2.5, title: 2, description: 1 } as const;
const stopWords = new Set([
  'a',
  'an',
  'the',
  'of',
  'to',
  'for',
  'and',
  'or',
  'in',
  'on',
  'with',
  'is',
  'it',
  'me',
  'my',
  'how',
  'what',
  'i',
  'do',
  'can',
  'this',
  'that',
]);

function tokenize(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((token) => token.length > 1 && !stopWords.has(token))
    .map(stem);
}

function stem(token: string): string {
  if (token.length > 4 && token.endsWith('ies')) return `${token.slice(0, -3)}y`;
  if (token.length > 3 && token.endsWith('s') && !token.endsWith('ss')) return token.slice(0, -1);
  return token;
}

interface IndexedTool {
  tool: AnyTool;
  weights: Map<string, number>;
  length: number;
}

interface SearchHit {
  tool: AnyTool;
  score: number;
  matched: string[];
}

export class PeerKeywordIndex {
  private readonly docs: IndexedTool[];
  private readonly documentFrequency = new Map<string, number>();
  private readonly averageLength: number;

  constructor(tools: readonly AnyTool[]) {
    this.docs = tools.map((tool) => {
      const weights = new Map<string, number>();
      const fields: [keyof typeof fieldWeights, string][] = [
        ['name', tool.name],
        ['tags', `${tool.tags.join(' ')} ${tool.domain}`],
        ['title', tool.title],
        ['description', tool.description],
      ];
      let length = 0;
      for (const [field, text] of fields) {
        for (const token of tokenize(text)) {
          weights.set(token, (weights.get(token) ?? 0) + fieldWeights[field]);
          length += fieldWeights[field];
        }
      }
      for (const token of weights.keys())
        this.documentFrequency.set(token, (this.documentFrequency.get(token) ?? 0) + 1);
      return { tool, weights, length };
    });
    this.averageLength = this.docs.reduce((sum, doc) => sum + doc.length, 0) / Math.max(1, this.docs.length);
  }

  search(query: string, options: { domain?: Domain; limit: number }): SearchHit[] {
    const terms = [...new Set(tokenize(query))];
    const n = this.docs.length;
    const hits: SearchHit[] = [];
    for (const doc of this.docs) {
      if (options.domain && doc.tool.domain !== options.domain) continue;
      let score = 0;
      const matched: string[] = [];
      for (const term of terms) {
        const { frequency, token } = this.match(doc, term);
        if (frequency === 0) continue;
        const df = this.documentFrequency.get(token) ?? 1;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        const k1 = 1.2;
        const b = 0.75;
        score += (idf * frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * doc.length) / this.averageLength));
        matched.push(term);
      }
      if (score > 0) hits.push({ tool: doc.tool, score: Number(score.toFixed(4)), matched });
    }
    return hits.sort((a, b) => b.score - a.score || a.tool.name.localeCompare(b.tool.name)).slice(0, options.limit);
  }

  private match(doc: IndexedTool, term: string): { frequency: number; token: string } {
    const exact = doc.weights.get(term);
    if (exact) return { frequency: exact, token: term };
    if (term.length < 3) return { frequency: 0, token: term };
    // Prefix match in either direction, discounted: "complex" ~ "complexity", "structures" ~ "structure".
    let best = 0;
    let bestToken = term;
    for (const [token, weight] of doc.weights) {
      if (
        (token.startsWith(term) || term.startsWith(token)) &&
        Math.min(token.length, term.length) >= 3 &&
        weight * 0.6 > best
      ) {
        best = weight * 0.6;
        bestToken = token;
      }
    }
    return { frequency: best, token: bestToken };
  }
}

export interface HybridHit extends SearchHit {
  bm25Rank?: number;
  vectorRank?: number;
}

const rrfK = 60;

function toolText(tool: AnyTool): string {
  return `${tool.name.replaceAll('_', ' ')}. ${tool.title}. ${tool.tags.join(', ')}. ${tool.description}`;
}

export class PeerLexicalHybrid {
  private constructor(
    private readonly bm25: PeerKeywordIndex,
    private readonly tools: Map<string, AnyTool>,
    private readonly index: VectorIndex,
    private readonly embedder: Embedder,
  ) {}

  static async build(
    bm25: PeerKeywordIndex,
    tools: readonly AnyTool[],
    embedder: Embedder,
  ): Promise<PeerLexicalHybrid> {
    const index = VectorIndex.create({
      space: 'cosine',
      dimension: embedder.dimension,
      embedder: embedder.name,
      capacity: Math.max(64, tools.length),
    });
    const vectors = await embedder.embed(tools.map(toolText));
    tools.forEach((tool, i) =>
      index.upsert(tool.name, vectors[i]!, { namespace: tool.domain, type: tool.kind.effect }),
    );
    return new PeerLexicalHybrid(bm25, new Map(tools.map((t) => [t.name, t])), index, embedder);
  }

  get embedderName(): string {
    return this.embedder.name;
  }

  async search(query: string, options: { domain?: Domain; limit: number; signal?: AbortSignal }): Promise<HybridHit[]> {
    const depth = Math.max(options.limit * 3, 20);
    const lexical = this.bm25.search(query, { ...(options.domain ? { domain: options.domain } : {}), limit: depth });
    const [vector] = await this.embedder.embed([query], options.signal ? { signal: options.signal } : {});
    const semantic = this.index.search(vector!, Math.min(depth, this.index.count), {
      embedder: this.embedder.name,
      ...(options.domain ? { filter: { namespace: options.domain } } : {}),
    });
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
        if (existing) fused.set(hit.id, { ...existing, score: existing.score + add, vectorRank: rank + 1 });
        else fused.set(hit.id, { tool, score: add, matched: [], vectorRank: rank + 1 });
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
