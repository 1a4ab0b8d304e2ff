// findTools and runTool: the agent's way into the internal catalogue without listing hundreds of
// tools. findTools ranks by BM25F over each tool's fields and example requests, fused with vectors
// only when the embedder is semantic; below a calibrated confidence it answers "no good match" and
// suggests domains. runTool calls any internal tool with validated arguments.
import { z } from 'zod';
import type { AnyTool, Domain } from '../tools/define-tool.js';
import { domains } from '../tools/define-tool.js';
import { InputError } from '../tools/errors.js';
import { toolInputSchema } from '../tools/json-schema.js';
import { HybridToolSearch } from '../tools/hybrid-search.js';
import type { SearchHit, ToolSearchIndex } from '../tools/search.js';
import type { SupervisorCall } from './high-level-tool.js';
import type { ToolRegistry } from '../tools/registry.js';
import { defineHighLevelTool } from './high-level-tool.js';
import { rerankHits } from './tool-rerank.js';

/** One hybrid index per BM25 index (rebuilt when the catalogue changes) and semantic embedder. */
const hybrids = new WeakMap<ToolSearchIndex, Map<string, Promise<HybridToolSearch>>>();

/**
 * A vector hit at least this similar counts as a good match when the keywords are not. Not
 * calibrated against a real sentence model here (none runs in the tests); it keeps clearly
 * unrelated requests out while a paraphrase with no shared word still gets through.
 */
const semanticMatchFloor = 0.5;

function hybridFor(
  call: SupervisorCall,
  embedder: Awaited<ReturnType<SupervisorCall['context']['knowledge']['embedder']>>,
) {
  const bm25 = call.search();
  let byEmbedder = hybrids.get(bm25);
  if (!byEmbedder) hybrids.set(bm25, (byEmbedder = new Map()));
  let hybrid = byEmbedder.get(embedder.name);
  if (!hybrid) {
    hybrid = HybridToolSearch.build(bm25, call.registry.all(), embedder);
    hybrid.catch(() => byEmbedder!.delete(embedder.name));
    byEmbedder.set(embedder.name, hybrid);
  }
  return hybrid;
}

interface Ranked {
  hits: (SearchHit & { vectorScore?: number })[];
  ranking: 'keyword' | 'hybrid';
  retrieval: string;
}

async function rank(call: SupervisorCall, query: string, domain: Domain | undefined, limit: number): Promise<Ranked> {
  const bm25 = call.search();
  const scope = { ...(domain ? { domain } : {}), limit };
  const keyword = (why: string): Ranked => ({
    hits: bm25.search(query, scope),
    ranking: 'keyword',
    retrieval: `keyword: BM25F over name, title, tags, example requests and description, with stemming and synonyms; ${why}`,
  });
  let embedder;
  try {
    embedder = await call.context.knowledge.embedder();
  } catch (error) {
    return keyword(`vectors not fused: the embedder is unavailable (${(error as Error).message})`);
  }
  if (!embedder.semantic) return keyword(`vectors not fused: the embedder ${embedder.name} is lexical, not semantic`);
  try {
    const hybrid = await hybridFor(call, embedder);
    const hits = await hybrid.search(query, {
      ...scope,
      ...(call.context.signal ? { signal: call.context.signal } : {}),
    });
    return {
      hits,
      ranking: 'hybrid',
      retrieval: `hybrid: BM25F + vectors (${hybrid.embedderName}), reciprocal rank fusion`,
    };
  } catch (error) {
    return keyword(`the vector side failed (${(error as Error).message})`);
  }
}

/** Domains with tools, the likeliest first (by the weak hits' scores), each with its common tags. */
function suggestDomains(registry: ToolRegistry, weak: readonly { tool: AnyTool; score: number }[]) {
  const weight = new Map<string, number>();
  for (const hit of weak) weight.set(hit.tool.domain, (weight.get(hit.tool.domain) ?? 0) + hit.score);
  return domains
    .map((domain) => {
      const tools = registry.byDomain(domain);
      const counts = new Map<string, number>();
      for (const tool of tools) for (const tag of tool.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
      const topics = [...counts]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, 6)
        .map(([tag]) => tag);
      return { domain, tools: tools.length, topics, weight: weight.get(domain) ?? 0 };
    })
    .filter((entry) => entry.tools > 0)
    .sort((a, b) => b.weight - a.weight)
    .map(({ domain, tools, topics }) => ({ domain, tools, topics }));
}

const hit = z.object({
  name: z.string(),
  domain: z.string(),
  title: z.string(),
  effect: z.enum(['readOnly', 'action', 'destructive']),
  score: z.number().describe('keyword ranking: the BM25F score; hybrid ranking: the reciprocal rank fusion score'),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()).describe("JSON Schema of the tool's arguments, for runTool"),
  example: z.unknown().describe('a valid arguments object'),
});

export const findTools = defineHighLevelTool({
  name: 'findTools',
  owner: 'suite',
  title: 'Find internal tools',
  description:
    'Finds internal tools for a plain-words request, with argument schemas and runTool examples. Example: {"query":"find complex functions"}',
  kind: { effect: 'readOnly' },
  liveDescription(registry) {
    return `Catalogue: ${domains.map((domain) => `${domain} ${registry.byDomain(domain).length}`).join(', ')}.`;
  },
  input: z.object({
    query: z.string().max(500).optional().describe('What to do; omit to list domain.'),
    domain: z.enum(domains).optional().describe('Only this domain.'),
    limit: z.number().int().min(1).max(50).default(10).describe('Most results.'),
    rerank: z.boolean().default(false).describe('An LLM reorders the top 5.'),
  }),
  output: z.object({
    query: z.string().optional(),
    domain: z.string().optional(),
    total: z.number().int().describe('internal tools searched'),
    ranking: z
      .enum(['keyword', 'hybrid', 'listing'])
      .describe('keyword: BM25F alone; hybrid: BM25F fused with a semantic embedder; listing: no query'),
    retrieval: z.string().describe('how the ranking was made, and why vectors were or were not fused'),
    match: z.enum(['good', 'none', 'listing']).describe('none: no tool fits the query well; results is empty'),
    rerank: z.string().optional().describe('with rerank: true, what the model did, or why it did not'),
    confidence: z.number().optional().describe("the best keyword hit's score over what the query could score, 0..1"),
    suggestions: z
      .array(z.object({ domain: z.string(), tools: z.number().int(), topics: z.array(z.string()) }))
      .optional()
      .describe('with match none: the domains to list instead, likeliest first'),
    results: z.array(hit),
  }),
  examples: [{ query: 'complexity', limit: 3 }, { domain: 'infrastructure' }],
  async handler(input, call) {
    if (!input.query?.trim() && !input.domain)
      throw new InputError('query', 'give keywords to search for, or a domain to list');
    const pool = input.domain ? call.registry.byDomain(input.domain) : call.registry.all();
    const query = input.query?.trim();
    let ranked: Ranked = {
      hits: pool.slice(0, input.limit).map((tool) => ({ tool, score: 0, matched: [] })),
      ranking: 'keyword',
      retrieval: 'listing',
    };
    let match: 'good' | 'none' | 'listing' = 'listing';
    let confidence: number | undefined;
    let suggestions: ReturnType<typeof suggestDomains> | undefined;
    let rerankNote: string | undefined;
    if (query) {
      ranked = await rank(call, query, input.domain, input.limit);
      const bm25 = call.search();
      // In keyword mode the best hit is the first one; in hybrid mode it is the best keyword hit.
      const best =
        ranked.ranking === 'keyword'
          ? (ranked.hits[0] as SearchHit | undefined)
          : bm25.search(query, { ...(input.domain ? { domain: input.domain } : {}), limit: 1 })[0];
      const assessment = bm25.assess(query, best);
      confidence = assessment.confidence;
      const semanticMatch = ranked.hits.some((h) => (h.vectorScore ?? 0) >= semanticMatchFloor);
      match = assessment.confident || semanticMatch ? 'good' : 'none';
      if (match === 'none') {
        suggestions = suggestDomains(call.registry, ranked.hits);
        ranked = { ...ranked, hits: [] };
      } else if (input.rerank) {
        const reranked = await rerankHits(call.context, query, ranked.hits);
        ranked = { ...ranked, hits: reranked.hits };
        rerankNote = reranked.note;
      }
    }
    const results = ranked.hits.map(({ tool, score }) => ({
      name: tool.name,
      domain: tool.domain,
      title: tool.title,
      effect: tool.kind.effect,
      score,
      description: tool.description,
      inputSchema: toolInputSchema(tool),
      example: tool.examples[0],
    }));
    const lines = results.map(
      (r, i) =>
        `${i + 1}. ${r.name} [${r.domain}, ${r.effect}] ${r.title}: example runTool {"name":"${r.name}","arguments":${JSON.stringify(r.example)}}`,
    );
    let text = lines.join('\n');
    if (suggestions) {
      const domainsText = suggestions.map((s) => `${s.domain} (${s.tools} tools: ${s.topics.join(', ')})`).join('; ');
      text = `No good match for "${query}": no internal tool fits it well (confidence ${confidence}). Domains: ${domainsText}. List one with {"domain": "${suggestions[0]?.domain ?? 'development'}"}, or rephrase.`;
    } else if (results.length === 0) {
      text = `No internal tool matches "${input.query ?? ''}". Try broader keywords, or list a domain with {"domain": "development"}.`;
    }
    return {
      result: {
        query: input.query,
        domain: input.domain,
        total: pool.length,
        ranking: query ? ranked.ranking : ('listing' as const),
        retrieval: ranked.retrieval,
        match,
        ...(rerankNote ? { rerank: rerankNote } : {}),
        ...(confidence !== undefined ? { confidence } : {}),
        ...(suggestions ? { suggestions } : {}),
        results,
      },
      text,
    };
  },
});

export const runTool = defineHighLevelTool({
  name: 'runTool',
  owner: 'suite',
  title: 'Run an internal tool',
  description:
    'Runs an internal tool found with findTools. Example: {"name":"development_get_project_structure","arguments":{"path":"."}}',
  // It can run any internal tool, including ones that reach the network.
  kind: { effect: 'action', openWorld: true },
  input: z.object({
    name: z.string().min(1).max(64).describe('Internal tool name.'),
    arguments: z.record(z.string(), z.unknown()).default({}).describe('Per its findTools inputSchema.'),
    confirm: z.boolean().default(false).describe('true for a destructive tool.'),
  }),
  output: z.object({ tool: z.string(), domain: z.string(), result: z.record(z.string(), z.unknown()) }),
  examples: [{ name: 'infrastructure_get_host_resources', arguments: {} }],
  async handler(input, call) {
    const outcome = await call.runOrFail(input.name, input.arguments, {
      fieldPrefix: 'arguments',
      confirm: input.confirm,
    });
    const tool = call.registry.get(outcome.tool)!;
    return { result: { tool: outcome.tool, domain: tool.domain, result: outcome.output }, text: outcome.text };
  },
});
