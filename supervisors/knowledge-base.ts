// The knowledge-base supervisor: graph queries (Cypher or a question), semantic search with graph
// expansion, and agent memory. Each routes to internal tools, so the execution block shows them.
import { z } from 'zod';
import { askGraph } from '../tools/knowledge-base/ask-graph.js';
import { runCypher } from '../tools/knowledge-base/graph-tools.js';
import { recallFacts as recallTool, rememberFacts as rememberTool } from '../tools/knowledge-base/memory-tools.js';
import { searchVectors } from '../tools/knowledge-base/vector-tools.js';
import { buildSnapshotTool, snapshotStatusTool } from '../tools/knowledge-base/snapshot-tools.js';
import { currentSource, graphSourceSchema, settledSample, sourceLine } from '../tools/knowledge-base/sample-tools.js';
import { InputError } from '../tools/errors.js';
import { defineHighLevelTool, type Supervisor } from './high-level-tool.js';

const row = z.record(z.string(), z.unknown());

const queryKnowledgeGraph = defineHighLevelTool({
  name: 'queryKnowledgeGraph',
  owner: 'knowledge-base',
  title: 'Query the knowledge graph',
  description:
    'Reads the knowledge graph (countries, stats, regimes, trade and contagion edges, memory) by read-only Cypher or a question. Schema: caelum://kb/schema. Example: {"question":"Who depends most on China?"}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    cypher: z.string().min(1).max(10_000).optional().describe('Read-only Cypher (Kuzu).'),
    question: z.string().min(3).max(2_000).optional().describe('Instead of cypher.'),
    params: z.record(z.string(), z.unknown()).default({}).describe('Cypher $parameters.'),
    maxRows: z.number().int().min(1).max(10_000).default(200).describe('Row cap.'),
  }),
  output: z.object({
    cypher: z.string(),
    columns: z.array(z.string()),
    rows: z.array(row),
    totalRows: z.number().int(),
    truncated: z.boolean(),
    truncatedBy: z.enum(['rows', 'bytes', 'tokens']).optional(),
    translatedBy: z.object({ backend: z.string(), model: z.string(), confidence: z.number() }).optional(),
    source: graphSourceSchema
      .optional()
      .describe('what the financial graph holds: kind "sample" is the bundled sample, not live data'),
  }),
  examples: [{ cypher: 'MATCH (c:Country) RETURN count(c) AS countries' }],
  async handler(input, call) {
    if (!input.cypher === !input.question)
      throw new InputError(input.cypher ? 'question' : 'cypher', 'give exactly one of cypher or question');
    // On first start the sample may still be loading (about a second): answer from it, not before it.
    await settledSample(call.context);
    const outcome = input.cypher
      ? await call.runOrFail(runCypher.name, { cypher: input.cypher, params: input.params, maxRows: input.maxRows })
      : await call.runOrFail(askGraph.name, { question: input.question, maxRows: input.maxRows });
    const o = outcome.output as {
      cypher: string;
      columns: string[];
      rows: Record<string, unknown>[];
      totalRows: number;
      truncated: boolean;
      truncatedBy?: 'rows' | 'bytes' | 'tokens';
      translatedBy?: { backend: string; model: string; confidence: number };
    };
    const source = await currentSource(call.context);
    const result = {
      cypher: o.cypher,
      columns: o.columns,
      rows: o.rows,
      totalRows: o.totalRows,
      truncated: o.truncated,
      ...(o.truncatedBy ? { truncatedBy: o.truncatedBy } : {}),
      ...(o.translatedBy
        ? {
            translatedBy: {
              backend: o.translatedBy.backend,
              model: o.translatedBy.model,
              confidence: o.translatedBy.confidence,
            },
          }
        : {}),
      ...(source ? { source } : {}),
    };
    const note = sourceLine(source);
    // A question's Cypher came from a model: say which, and warn when it was not confident, e.g. a
    // reply that ignored the requested JSON and was run as Cypher as it stood.
    const threshold = call.context.pool.costSettings().defaultThreshold;
    const translated = o.translatedBy
      ? `Translated by ${o.translatedBy.model} (${o.translatedBy.backend}), confidence ${o.translatedBy.confidence}${o.translatedBy.confidence < threshold ? ': LOW, the answer did not meet the confidence threshold; check the Cypher before trusting these rows' : ''}\n`
      : '';
    return {
      result,
      text: `${note ? `${note}\n` : ''}${translated}Cypher: ${o.cypher}\n${o.rows.length} of ${o.totalRows} rows${o.truncated ? ` (truncated by ${o.truncatedBy})` : ''}\n${JSON.stringify(o.rows.slice(0, 50))}`,
    };
  },
});

const searchKnowledge = defineHighLevelTool({
  name: 'searchKnowledge',
  owner: 'knowledge-base',
  title: 'Search the knowledge base',
  description:
    'Semantic search over memory, documents and collections, with optional graph hops. Example: {"query":"oil supply shock","expandHops":1}',
  kind: { effect: 'readOnly' },
  input: z.object({
    query: z.string().min(1).max(8_000).describe('What to look for.'),
    k: z.number().int().min(1).max(100).default(10).describe('Hits.'),
    collection: z.string().max(64).optional().describe('Default: knowledge.'),
    namespace: z.string().max(200).optional().describe('e.g. memory'),
    expandHops: z
      .union([z.literal(0), z.literal(1), z.literal(2)])
      .default(0)
      .describe('Graph hops around hits.'),
  }),
  output: z.object({ collection: z.string(), embedder: z.string(), hits: z.array(row) }),
  examples: [{ query: 'GPU pool maintainer', k: 3 }],
  async handler(input, call) {
    const outcome = await call.runOrFail(searchVectors.name, {
      query: input.query,
      k: input.k,
      expandHops: input.expandHops,
      ...(input.collection ? { collection: input.collection } : {}),
      ...(input.namespace ? { namespace: input.namespace } : {}),
    });
    const o = outcome.output as { collection: string; embedder: string; hits: Record<string, unknown>[] };
    return { result: { collection: o.collection, embedder: o.embedder, hits: o.hits }, text: outcome.text };
  },
});

const rememberFacts = defineHighLevelTool({
  name: 'rememberFacts',
  owner: 'knowledge-base',
  title: 'Remember facts',
  description:
    'Stores entities, observations and relations in agent memory. Example: {"entities":[{"name":"Ada","observations":["owns the GPU pool"]}]}',
  kind: { effect: 'action', idempotent: true },
  input: rememberTool.input,
  output: rememberTool.output,
  examples: rememberTool.examples,
  async handler(input, call) {
    const outcome = await call.runOrFail(rememberTool.name, input);
    const o = outcome.output as z.output<typeof rememberTool.output>;
    return {
      result: o,
      text: `remembered ${o.entities} entities, ${o.observations} observations, ${o.relations} relations`,
    };
  },
});

const recallFacts = defineHighLevelTool({
  name: 'recallFacts',
  owner: 'knowledge-base',
  title: 'Recall facts',
  description:
    'Recalls agent memory (entities, observations, relations) by question or names. Example: {"query":"who owns the GPU pool?"}',
  kind: { effect: 'readOnly' },
  input: recallTool.input,
  output: recallTool.output,
  examples: recallTool.examples,
  async handler(input, call) {
    const outcome = await call.runOrFail(recallTool.name, input);
    const o = outcome.output as z.output<typeof recallTool.output>;
    const lines = o.entities.map(
      (e) =>
        `${e.name} (${e.entityType}): ${e.observations.join('; ')}${e.relations.length ? ` | ${e.relations.map((r) => (r.direction === 'out' ? `${r.relationType} → ${r.other}` : `${r.other} ${r.relationType} →`)).join(', ')}` : ''}`,
    );
    const text = lines.length ? lines.join('\n') : 'nothing recalled';
    return { result: o, text: o.sharedLog ? `${text}\n(${o.sharedLog})` : text };
  },
});

const buildKnowledgeSnapshot = defineHighLevelTool({
  name: 'buildKnowledgeSnapshot',
  owner: 'knowledge-base',
  title: 'Build a knowledge snapshot',
  description:
    'Builds the macro-financial snapshot (20 countries, LLM-inferred stats and contagion, regimes). Example: {"background":true}',
  kind: { effect: 'action', openWorld: true },
  input: buildSnapshotTool.input,
  // The full build summary schema is knowledge_base_build_snapshot's (findTools shows it); tools/list stays small.
  output: z.object({ status: z.enum(['done', 'running']), jobId: z.string().optional(), build: row.optional() }),
  examples: [{ offline: true, skipLlm: true }],
  async handler(input, call) {
    const outcome = await call.runOrFail(buildSnapshotTool.name, input);
    return {
      result: outcome.output as { status: 'done' | 'running'; jobId?: string; build?: Record<string, unknown> },
      text: outcome.text,
    };
  },
});

const getSnapshotStatus = defineHighLevelTool({
  name: 'getSnapshotStatus',
  owner: 'knowledge-base',
  title: 'Snapshot build status',
  description: 'Snapshot build jobs (progress, result) and builds on disk, resumable ones marked. Example: {}',
  kind: { effect: 'readOnly' },
  input: snapshotStatusTool.input,
  output: z.object({ jobs: z.array(row), builds: z.array(row) }),
  examples: [{}],
  async handler(input, call) {
    const outcome = await call.runOrFail(snapshotStatusTool.name, input);
    const o = outcome.output as z.output<typeof snapshotStatusTool.output>;
    const lines = [
      ...o.jobs.map(
        (j) =>
          `job ${j.jobId}: ${j.status}${j.progress ? ` — ${j.progress.phase} (${j.progress.phaseIndex}/${j.progress.phases}) ${j.progress.done}/${j.progress.total} ${j.progress.message}` : ''}${j.build ? ` → ${j.build.snapshot}` : ''}${j.error ? ` (${j.error})` : ''}`,
      ),
      ...o.builds.map(
        (b) =>
          `build ${b.buildId}: ${b.status}${b.resumable ? ' (resumable)' : ''}; done: ${b.phasesDone.join(', ') || 'nothing yet'}${b.snapshot ? `; snapshot ${b.snapshot}` : ''}${b.error ? `; ${b.error}` : ''}`,
      ),
    ];
    return { result: o, text: lines.length ? lines.join('\n') : 'No snapshot build has run yet.' };
  },
});

export const knowledgeBaseSupervisor: Supervisor = {
  name: 'knowledge-base',
  description:
    'The knowledge graph (Kuzu), vector search (HNSW), agent memory, and the macro-financial snapshot builds.',
  tools: [queryKnowledgeGraph, searchKnowledge, rememberFacts, recallFacts, buildKnowledgeSnapshot, getSnapshotStatus],
};
