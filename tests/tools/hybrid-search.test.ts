// findTools' retrieval: BM25F fused with vectors only when the embedder is semantic. A query that
// shares no word with a tool's text reaches it through a semantic embedder, where BM25F alone finds
// nothing; the lexical default is never fused, and findTools says which ranking it used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HybridToolSearch } from '../../tools/hybrid-search.js';
import { ToolSearchIndex } from '../../tools/search.js';
import { toolsByDomain } from '../../tools/catalogue.js';
import { LexicalEmbedder } from '../../knowledge/vector/lexical-embedder.js';
import type { Embedder } from '../../knowledge/vector/embedder.js';
import { testSuite } from '../helpers.js';
import { OllamaPeer } from '../peers/ollama-peer.js';

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

test('hybrid: the lexical hash embedder is refused, so it cannot dilute the keyword ranking', async () => {
  const bm25 = new ToolSearchIndex(tools);
  await assert.rejects(
    HybridToolSearch.build(bm25, tools, new LexicalEmbedder(384)),
    /lexical-hash-v2\/384 is lexical, not semantic/,
  );
});

test('findTools with the default embedder ranks by keywords alone and says why', async (t) => {
  const suite = await testSuite(t);
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('findTools', { query: 'shock propagation through contagion', limit: 3 });
  const out = result.structuredContent as {
    ranking: string;
    retrieval: string;
    match: string;
    results: { name: string }[];
  };
  assert.equal(out.ranking, 'keyword');
  assert.equal(out.match, 'good');
  assert.match(out.retrieval, /^keyword: BM25F .* vectors not fused: the embedder lexical-hash-v2\/384 is lexical/);
  assert.equal(out.results[0]!.name, 'knowledge_base_propagate_shock');
});

test('findTools answers "no good match" for an off-topic request, with no hits and domain suggestions', async (t) => {
  const suite = await testSuite(t);
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('findTools', { query: 'play some relaxing music' });
  const out = result.structuredContent as {
    match: string;
    results: unknown[];
    suggestions: { domain: string; tools: number; topics: string[] }[];
  };
  assert.notEqual(result.isError, true);
  assert.equal(out.match, 'none');
  assert.deepEqual(out.results, []);
  const listed = out.suggestions.map((s) => s.domain).sort();
  assert.deepEqual(listed, ['development', 'infrastructure', 'knowledge-base', 'ml-training', 'monitoring', 'trading']);
  assert.ok(out.suggestions.every((s) => s.tools > 0 && s.topics.length > 0));
  const text = result.text;
  assert.match(text, /^No good match for "play some relaxing music"/);
  assert.match(text, /List one with \{"domain": "/);
  const onTopic = await suite.dispatcher.call('findTools', { query: 'play some music', domain: 'trading' });
  assert.equal(
    (onTopic.structuredContent as { match: string }).match,
    'none',
    'the domain filter does not lower the bar',
  );
});

test('findTools with a semantic (Ollama) embedder fuses vectors and reports the hybrid ranking', async (t) => {
  const peer = new OllamaPeer({
    models: [{ name: 'nomic-embed-text:latest', sizeBytes: 274_302_450, parameterSize: '137M', family: 'nomic-bert' }],
  });
  await peer.start();
  t.after(() => peer.stop());
  const suite = await testSuite(t, { env: { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}`, CAELUM_EMBEDDER: 'ollama' } });
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('findTools', { query: 'cyclomatic complexity', limit: 3 });
  const out = result.structuredContent as { ranking: string; retrieval: string; results: { name: string }[] };
  assert.equal(out.ranking, 'hybrid');
  assert.match(out.retrieval, /^hybrid: BM25F \+ vectors \(ollama\/nomic-embed-text/);
  assert.equal(out.results[0]!.name, 'development_analyze_complexity');
  // Every query has some nearest vector; a weak one does not make an off-topic request a match.
  const off = await suite.dispatcher.call('findTools', { query: 'bake a chocolate cake' });
  const none = off.structuredContent as { ranking: string; match: string; results: unknown[] };
  assert.equal(none.ranking, 'hybrid');
  assert.equal(none.match, 'none');
  assert.deepEqual(none.results, []);
});
