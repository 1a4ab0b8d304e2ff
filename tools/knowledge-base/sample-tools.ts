// The sample knowledge base: load it into an empty graph (first start does this by itself), and
// say what the graph holds (the sample, with its recordings and dates, or a published build).
import { z } from 'zod';
import { graphSource, type GraphSource } from '../../knowledge/snapshot/publish.js';
import { loadSample, type LoadSampleResult } from '../../knowledge/snapshot/sample/load-sample.js';
import type { KnowledgeStore } from '../../knowledge/knowledge-store.js';
import type { ToolContext } from '../context.js';
import { defineTool } from '../define-tool.js';
import { ToolError } from '../errors.js';
import { knowledge } from './common.js';

export const graphSourceSchema = z
  .object({
    kind: z.enum(['sample', 'snapshot']).describe('sample: the bundled sample knowledge base, not live data'),
    snapshot: z.string(),
    createdAt: z.string(),
    publishedAt: z.string(),
    window: z.object({ startYear: z.number(), endYear: z.number() }),
    label: z.string().optional(),
    recordings: z
      .array(
        z.object({
          provider: z.string(),
          stat: z.string(),
          countries: z.array(z.string()),
          recordedAt: z.string(),
          source: z.string(),
        }),
      )
      .optional(),
    imports: z
      .array(z.object({ file: z.string(), at: z.string() }))
      .optional()
      .describe('graph files imported on top of it since'),
    sha256: z.string().optional().describe("the snapshot tarball's sha256"),
    replicaOf: z.string().optional().describe('set when it was loaded as a replica: the shared location'),
  })
  .describe("where the financial graph's data came from");

export type GraphSourceView = z.output<typeof graphSourceSchema>;

export function sourceView(source: GraphSource): GraphSourceView {
  const { file: _file, ...view } = source;
  return view;
}

/** What the graph holds, or undefined when nothing was published into it or it cannot be read. */
export async function currentSource(context: ToolContext): Promise<GraphSourceView | undefined> {
  try {
    const source = await graphSource(await context.knowledge.graph());
    return source ? sourceView(source) : undefined;
  } catch {
    return undefined;
  }
}

/** One line for a result's text: loud when the graph holds the sample. */
export function sourceLine(source: GraphSourceView | undefined): string | undefined {
  if (!source) return undefined;
  if (source.kind === 'snapshot')
    return `Source: snapshot ${source.snapshot}, built ${source.createdAt}${source.sha256 ? `, sha256 ${source.sha256.slice(0, 12)}…` : ''}; loaded ${source.publishedAt} ${source.replicaOf ? `as a replica of ${source.replicaOf}` : 'from a local build'}.`;
  const recorded = (source.recordings ?? []).map(
    (r) => `${r.provider} ${r.stat} ${r.countries.join('/')} recorded ${r.recordedAt.slice(0, 10)}`,
  );
  const imported = source.imports?.length
    ? ` with ${source.imports.length} graph file(s) imported on top (last ${source.imports.at(-1)!.file})`
    : '';
  return `Source: the SAMPLE knowledge base (structure from the catalogue${recorded.length ? `; values: ${recorded.join(', ')}` : ''})${imported}, not live data; run "caelum kb build --publish" to replace it.`;
}

/** A first-start load in progress per store, so a query that arrives meanwhile waits for it. */
const loading = new WeakMap<KnowledgeStore, Promise<unknown>>();

/** Stores whose first query has made sure the sample is there (loaded now, earlier, or not needed). */
const ensured = new WeakSet<KnowledgeStore>();

/**
 * Waits (at most `timeoutMs`) for a first-start sample load that is still running. On a path that
 * started none (a one-shot `caelum call`, an in-process stdio session), the first query loads the
 * sample itself when the graph is empty, so every path answers from it.
 */
export async function settledSample(context: ToolContext, timeoutMs = 30_000): Promise<void> {
  let pending = loading.get(context.knowledge);
  if (
    !pending &&
    !ensured.has(context.knowledge) &&
    context.environment.knowledgeBase?.sampleDirectory &&
    !context.environment.knowledgeBase.replica
  ) {
    ensured.add(context.knowledge);
    pending = loadSampleKnowledge(context, { onlyIfEmpty: true });
  }
  if (!pending) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    pending.catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]).finally(() => clearTimeout(timer));
}

export function loadSampleKnowledge(
  context: ToolContext,
  options: { onlyIfEmpty?: boolean } = {},
): Promise<LoadSampleResult> {
  ensured.add(context.knowledge);
  const work = loadSampleOnce(context, options);
  loading.set(context.knowledge, work);
  void work.then(
    () => loading.get(context.knowledge) === work && loading.delete(context.knowledge),
    () => loading.get(context.knowledge) === work && loading.delete(context.knowledge),
  );
  return work;
}

async function loadSampleOnce(context: ToolContext, options: { onlyIfEmpty?: boolean }): Promise<LoadSampleResult> {
  // A replica's financial graph comes only from the snapshots published to its location: a sample
  // loaded meanwhile would race the first of them and then be served as if it were the shared one.
  const replica = context.environment.knowledgeBase?.replica?.();
  if (replica) {
    const reason = `this instance is a replica of ${replica.location}: its graph is loaded from the snapshots published there, not from the sample`;
    if (options.onlyIfEmpty) return { loaded: false, reason };
    throw new ToolError('UNAVAILABLE', reason);
  }
  const directory = context.environment.knowledgeBase?.sampleDirectory;
  if (!directory)
    throw new ToolError('UNAVAILABLE', 'this installation ships no sample recordings (data/kb-sample is missing)');
  const graph = await knowledge('graph', () => context.knowledge.graph());
  const { access, reason } = context.knowledge.mode();
  // Another process holds the graph: the sample is that process's to load.
  if (access !== 'read-write')
    return { loaded: false, reason: `the graph is ${access} here${reason ? ` (${reason})` : ''}` };
  return knowledge('graph', async () =>
    loadSample(graph, {
      recordingsDirectory: directory,
      dataDir: context.environment.dataDir,
      codeVersion: context.environment.codeVersion ?? 'unknown',
      onlyIfEmpty: options.onlyIfEmpty === true,
      signal: context.signal,
    }),
  );
}

export const loadSampleTool = defineTool({
  name: 'knowledge_base_load_sample',
  domain: 'knowledge-base',
  tags: ['sample', 'knowledge base', 'first start', 'offline', 'snapshot', 'graph', 'demo'],
  requests: [
    'the knowledge graph is empty after install, give me something to query',
    'fill an empty graph with the example data that ships with caelum',
    'try graph queries offline before any snapshot build exists',
    'reset the financial graph to the built-in demo data',
  ],
  title: 'Load the sample knowledge base',
  description:
    'Loads the bundled sample knowledge base into an empty graph: the catalogue (20 countries, their statistics, trade corridors, contagion channels) and the real provider answers shipped with Caelum, built offline by the snapshot pipeline and labelled as a sample. It replaces an earlier sample and never a published build. Use it when the graph is empty and no build from the live providers has run. Example: {}',
  kind: { effect: 'action', idempotent: true },
  input: z.object({}),
  output: z.object({
    loaded: z.boolean(),
    reason: z.string().optional().describe('why nothing was loaded'),
    rows: z.number().optional(),
    observations: z.number().optional(),
    regimes: z.number().optional(),
    elapsedMs: z.number().optional(),
    source: graphSourceSchema.optional(),
  }),
  examples: [{}],
  async handler(_input, context) {
    const result = await loadSampleKnowledge(context);
    return result.loaded
      ? { ...result, source: sourceView(result.source) }
      : { loaded: false, reason: result.reason, ...(result.source ? { source: sourceView(result.source) } : {}) };
  },
  summarize: (o) =>
    o.loaded
      ? `Loaded the sample knowledge base in ${o.elapsedMs} ms: ${o.rows} rows, ${o.observations} observations, ${o.regimes} fitted regime(s). ${sourceLine(o.source) ?? ''}`
      : `Sample not loaded: ${o.reason}`,
});

export const knowledgeSourceTool = defineTool({
  name: 'knowledge_base_get_source',
  domain: 'knowledge-base',
  tags: ['sample', 'source', 'provenance', 'snapshot', 'published', 'live'],
  requests: [
    'is the knowledge graph serving the sample or a published snapshot',
    'which snapshot backs the live graph and what date was it built',
    'is this real data or demo data in the knowledge graph',
    'where did the values in the financial graph come from',
  ],
  title: 'What the knowledge graph holds',
  description:
    'Says where the financial graph came from: the bundled sample (with the recordings its values come from and their dates) or the snapshot last published, with its build date. Example: {}',
  kind: { effect: 'readOnly' },
  input: z.object({}),
  output: z.object({ source: graphSourceSchema.nullable() }),
  examples: [{}],
  async handler(_input, context) {
    await settledSample(context);
    const source = await knowledge('graph', async () => graphSource(await context.knowledge.graph()));
    return { source: source ? sourceView(source) : null };
  },
  summarize: (o) =>
    sourceLine(o.source ?? undefined) ??
    'Nothing has been published into the graph: no sample, no snapshot. Load the sample with knowledge_base_load_sample or build one.',
});
