// findTools' hybrid retrieval: BM25 fused with vectors. A query that shares no word with a tool's
// text reaches it through a semantic embedder, where BM25 alone finds nothing; with the lexical
// default the two signals reinforce each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridToolSearch } from '../../tools/hybrid-search.js';
import { ToolSearchIndex } from '../../tools/search.js';
import { toolsByDomain } from '../../tools/catalogue.js';
import { LexicalEmbedder } from '../../knowledge/vector/lexical-embedder.js';
import type { Embedder } from '../../knowledge/vector/embedder.js';
import { testSuite } from '../helpers.js';

const tools = Object.values(toolsByDomain).flat();

/** A tiny concept embedder: words map onto shared concept axes, as a sentence model's would. */
class ConceptEmbedder implements Embedder {
  readonly name = 'test/concepts';
  readonly dimension = 8;
  readonly semantic = true;
  private readonly concepts: Record<string, number> = {
    contagion: 0,
    spillover: 0,
    domino: 0,
    knock: 0,
    cascade: 0,
    memory: 1,
    remember: 1,
    recollect: 1,
    jot: 1,
    gpu: 2,
    vram: 2,
    accelerator: 2,
  };
  async embed(texts: readonly string[]): Promise<number[][]> {
    return texts.map((text) => {
      const v = new Array<number>(this.dimension).fill(0);
      for (const word of text.toLowerCase().match(/[a-z]+/g) ?? [])
        if (this.concepts[word] !== undefined) v[this.concepts[word]!]! += 1;
      v[7] = 0.01;
      return v;
    });
  }
}

test('hybrid: a query with no shared word finds the tool through a semantic embedder; BM25 alone does not', async () => {
  const bm25 = new ToolSearchIndex(tools);
  assert.deepEqual(bm25.search('domino knock', { limit: 5 }), []);
  const hybrid = await HybridToolSearch.build(bm25, tools, new ConceptEmbedder());
  const hits = await hybrid.search('domino knock', { limit: 3 });
  assert.ok(
    ['knowledge_base_trace_contagion', 'knowledge_base_propagate_shock'].includes(hits[0]!.tool.name),
    hits.map((h) => h.tool.name).join(),
  );
  assert.equal(hits[0]!.bm25Rank, undefined);
  assert.equal(hits[0]!.vectorRank, 1);
  const jot = await hybrid.search('jot this down', { limit: 3, domain: 'knowledge-base' });
  assert.ok(jot.some((h) => h.tool.name === 'knowledge_base_remember_facts'));
});

test('hybrid: with the lexical default both signals agree on the obvious match and add up', async () => {
  const bm25 = new ToolSearchIndex(tools);
  const hybrid = await HybridToolSearch.build(bm25, tools, new LexicalEmbedder(384));
  const both = await hybrid.search('cyclomatic complexity', { limit: 3 });
  assert.equal(both[0]!.tool.name, 'development_analyze_complexity');
  assert.equal(both[0]!.bm25Rank, 1);
  assert.equal(both[0]!.vectorRank, 1);
  const shock = await hybrid.search('shock propagation through contagion', { limit: 3 });
  assert.deepEqual(
    shock.slice(0, 2).map((h) => h.tool.name),
    ['knowledge_base_propagate_shock', 'knowledge_base_trace_contagion'],
  );
  assert.ok(shock[0]!.score > 1.9, 'keyword and vector ranks both contribute');
});

test('findTools reports its retrieval mode and finds knowledge tools', async (t) => {
  const suite = await testSuite(t);
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('findTools', { query: 'shock propagation through contagion', limit: 3 });
  const out = result.structuredContent as { retrieval: string; results: { name: string }[] };
  assert.match(out.retrieval, /^hybrid: BM25 \+ vectors \(lexical-hash-v2\/384\)/);
  assert.equal(out.results[0]!.name, 'knowledge_base_propagate_shock');
});
