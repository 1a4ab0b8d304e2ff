// findTools and runTool: the agent's way into the internal catalogue without listing hundreds of
// tools. findTools ranks by keywords; runTool calls any internal tool with validated arguments.
import { z } from 'zod';
import { domains } from '../tools/define-tool.js';
import { InputError } from '../tools/errors.js';
import { jsonSchema } from '../tools/json-schema.js';
import { HybridToolSearch } from '../tools/hybrid-search.js';
import type { ToolSearchIndex } from '../tools/search.js';
import type { SupervisorCall } from './high-level-tool.js';

/** One hybrid index per BM25 index (rebuilt when the catalogue changes) and embedder. */
const hybrids = new WeakMap<ToolSearchIndex, Map<string, Promise<HybridToolSearch>>>();

async function hybridFor(call: SupervisorCall): Promise<HybridToolSearch> {
  const bm25 = call.search();
  const embedder = await call.context.knowledge.embedder();
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
import { defineHighLevelTool } from './high-level-tool.js';

const hit = z.object({
  name: z.string(),
  domain: z.string(),
  title: z.string(),
  effect: z.enum(['readOnly', 'action', 'destructive']),
  score: z.number().describe('fused rank score (reciprocal rank fusion of keyword and vector ranks)'),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()).describe("JSON Schema of the tool's arguments, for runTool"),
  example: z.unknown().describe('a valid arguments object'),
});

export const findTools = defineHighLevelTool({
  name: 'findTools',
  owner: 'suite',
  title: 'Find internal tools',
  description:
    'Finds internal tools by keywords, ranked, each with its argument schema and an example for runTool. Example: {"query": "cyclomatic complexity", "limit": 5}',
  kind: { effect: 'readOnly' },
  liveDescription(registry) {
    const counts = domains.map((domain) => `${domain} ${registry.byDomain(domain).length}`).join(', ');
    return `Catalogue: ${registry.size} tools (${counts}).`;
  },
  input: z.object({
    query: z
      .string()
      .max(500)
      .optional()
      .describe('What you want to do, e.g. "project structure languages"; omit to list `domain`.'),
    domain: z.enum(domains).optional().describe('Only search this domain.'),
    limit: z.number().int().min(1).max(50).default(10).describe('Most results.'),
  }),
  output: z.object({
    query: z.string().optional(),
    domain: z.string().optional(),
    total: z.number().int().describe('internal tools searched'),
    retrieval: z.string().describe('how the ranking was made'),
    results: z.array(hit),
  }),
  examples: [{ query: 'complexity', limit: 3 }, { domain: 'infrastructure' }],
  async handler(input, call) {
    if (!input.query?.trim() && !input.domain)
      throw new InputError('query', 'give keywords to search for, or a domain to list');
    const pool = input.domain ? call.registry.byDomain(input.domain) : call.registry.all();
    let retrieval = 'listing';
    let hits: { tool: (typeof pool)[number]; score: number }[];
    if (input.query?.trim()) {
      try {
        const hybrid = await hybridFor(call);
        hits = await hybrid.search(input.query, {
          ...(input.domain ? { domain: input.domain } : {}),
          limit: input.limit,
          signal: call.context.signal,
        });
        retrieval = `hybrid: BM25 + vectors (${hybrid.embedderName}), reciprocal rank fusion`;
      } catch (error) {
        hits = call
          .search()
          .search(input.query, { ...(input.domain ? { domain: input.domain } : {}), limit: input.limit });
        retrieval = `BM25 only: the vector side failed (${(error as Error).message})`;
      }
    } else {
      hits = pool.slice(0, input.limit).map((tool) => ({ tool, score: 0 }));
    }
    const results = hits.map(({ tool, score }) => ({
      name: tool.name,
      domain: tool.domain,
      title: tool.title,
      effect: tool.kind.effect,
      score,
      description: tool.description,
      inputSchema: jsonSchema(tool.input, 'input'),
      example: tool.examples[0],
    }));
    const lines = results.map(
      (r, i) =>
        `${i + 1}. ${r.name} [${r.domain}, ${r.effect}] ${r.title}: example runTool {"name":"${r.name}","arguments":${JSON.stringify(r.example)}}`,
    );
    const text =
      results.length > 0
        ? lines.join('\n')
        : `No internal tool matches "${input.query ?? ''}". Try broader keywords, or list a domain with {"domain": "development"}.`;
    return { result: { query: input.query, domain: input.domain, total: pool.length, retrieval, results }, text };
  },
});

export const runTool = defineHighLevelTool({
  name: 'runTool',
  owner: 'suite',
  title: 'Run an internal tool',
  description:
    'Runs an internal tool found with findTools, arguments checked against its schema; destructive ones need confirm: true. Example: {"name": "development_get_project_structure", "arguments": {"path": "."}}',
  // It can run any internal tool, including ones that reach the network.
  kind: { effect: 'action', openWorld: true },
  input: z.object({
    name: z.string().min(1).max(64).describe('Internal tool name from findTools.'),
    arguments: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("The tool's arguments (its inputSchema in findTools)."),
    confirm: z.boolean().default(false).describe('Must be true to run a destructive tool.'),
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
