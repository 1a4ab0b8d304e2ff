// Graph tools: guarded agent Cypher, its plan check, the schema, table counts, node lookup, and
// the import of a financial graph from a JSON file under an allowed root.
import { z } from 'zod';
import { runAgentCypher } from '../../knowledge/graph/agent-query.js';
import { guardCypher, lexicalProblem } from '../../knowledge/graph/cypher-guard.js';
import { describeSchema } from '../../knowledge/graph/schema-text.js';
import { findNodes, graphCounts, ingestFinancial, type FinancialGraphData } from '../../knowledge/financial.js';
import { importNote } from '../../knowledge/snapshot/publish.js';
import { defineTool } from '../define-tool.js';
import { InputError, ToolError } from '../errors.js';
import { resolveInsideRoots } from '../roots.js';
import { agentQueryOptions, knowledge, schemaText } from './common.js';
import { asInputError, Confinement, fileCaps, parseJsonFile, readConfinedText } from '../confined-fs.js';

const row = z.record(z.string(), z.unknown());

export const queryResultSchema = z.object({
  cypher: z.string().describe('the Cypher that ran'),
  columns: z.array(z.string()),
  rows: z.array(row),
  totalRows: z.number().int().describe('rows the query produced before any cut'),
  truncated: z.boolean(),
  truncatedBy: z.enum(['rows', 'bytes', 'tokens']).optional().describe('which limit cut the rows'),
  tokens: z.number().int(),
  elapsedMs: z.number(),
});

/** An agent query's own time budget; without it the configured graph.queryTimeoutMs applies. */
export const queryTimeoutField = z
  .number()
  .int()
  .min(10)
  .max(60_000)
  .optional()
  .describe("Query timeout in milliseconds; default the server's graph.queryTimeoutMs (5000).");

export const cypherInput = {
  cypher: z
    .string()
    .min(1)
    .max(10_000)
    .describe(
      'One read-only Cypher statement (Kuzu dialect). Writes, DDL, COPY/LOAD/EXPORT, transactions and most CALLs are rejected.',
    ),
  params: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('Query parameters, referenced as $name; always prefer them to literals.'),
  maxRows: z.number().int().min(1).max(10_000).default(200).describe('Row cap; default 200.'),
  maxTokens: z
    .number()
    .int()
    .min(100)
    .max(100_000)
    .default(4_000)
    .describe('Token budget for the returned rows; default 4000.'),
  timeoutMs: queryTimeoutField,
};

export const runCypher = defineTool({
  name: 'knowledge_base_run_cypher',
  domain: 'knowledge-base',
  tags: ['cypher', 'graph', 'query', 'kuzu', 'read-only', 'sandbox'],
  requests: [
    'run a Cypher query',
    'read-only query on the Kuzu graph',
    'execute MATCH ... RETURN',
    'cypher query results as rows',
    'query the graph with Cypher',
    'MATCH query returning rows from Kuzu',
  ],
  title: 'Run read-only Cypher',
  description:
    'Runs one read-only Cypher query on the knowledge graph (Kuzu) after the guard: a keyword check, an EXPLAIN plan allow-list, then a read-only transaction with a timeout, a row cap and a token budget. Returns columns, rows and an explicit truncation flag. Example: {"cypher": "MATCH (c:Country)-[e:TRADE_DEPENDS]->(d) WHERE c.iso3 = $c RETURN d.iso3, e.weight", "params": {"c": "USA"}}',
  kind: { effect: 'readOnly' },
  input: z.object(cypherInput),
  output: queryResultSchema,
  examples: [{ cypher: 'MATCH (c:Country) RETURN c.iso3 AS iso3, c.name AS name ORDER BY iso3 LIMIT 5' }],
  handler: (input, context) =>
    knowledge('cypher', async () =>
      runAgentCypher(await context.knowledge.graph(), input.cypher, agentQueryOptions(context.knowledge, input)),
    ),
  summarize: (o) =>
    `${o.rows.length} of ${o.totalRows} rows${o.truncated ? ` (truncated by ${o.truncatedBy})` : ''} in ${o.elapsedMs.toFixed(1)} ms\n${JSON.stringify(o.rows.slice(0, 20))}`,
});

export const explainCypher = defineTool({
  name: 'knowledge_base_explain_cypher',
  domain: 'knowledge-base',
  tags: ['cypher', 'plan', 'explain', 'validate', 'guard'],
  requests: [
    'check a Cypher query without running it',
    'explain plan for Cypher',
    'is this query allowed by the read-only guard',
    'validate generated cypher',
    'validate a Cypher query before running it',
    'physical plan of a Cypher query',
  ],
  title: 'Check Cypher without running it',
  description:
    'Checks a Cypher query against the read-only guard and returns its physical plan operators, without running it. Use it to validate generated Cypher before queryKnowledgeGraph. Example: {"cypher": "MATCH (s:Statistic) RETURN count(*)"}',
  kind: { effect: 'readOnly' },
  input: z.object({ cypher: cypherInput.cypher }),
  output: z.object({
    allowed: z.boolean(),
    reason: z.string().optional(),
    operators: z.array(z.string()),
    functions: z.array(z.string()),
  }),
  examples: [{ cypher: 'MATCH (c:Country) RETURN count(*)' }],
  async handler(input, context) {
    const problem = lexicalProblem(input.cypher);
    if (problem) return { allowed: false, reason: problem, operators: [], functions: [] };
    const graph = await knowledge('cypher', () => context.knowledge.graph());
    try {
      await guardCypher(graph, input.cypher);
    } catch (error) {
      return { allowed: false, reason: (error as Error).message, operators: [], functions: [] };
    }
    const plan = await knowledge('cypher', () => graph.explain(input.cypher));
    return { allowed: true, ...plan };
  },
});

export const getSchema = defineTool({
  name: 'knowledge_base_get_schema',
  domain: 'knowledge-base',
  tags: ['schema', 'graph', 'tables', 'properties', 'relationships'],
  requests: [
    'graph schema',
    'list node and relationship tables',
    'property types of the graph tables',
    'tables and columns in the graph',
    'data model of the graph',
    'which node types and relationship types exist',
  ],
  title: 'Knowledge graph schema',
  description:
    'Returns the knowledge graph schema as compact text: node tables with keys and property types, relationship tables with their endpoints, and row counts. Optionally limited to some tables. Example: {"tables": ["Country", "TRADE_DEPENDS"]}',
  kind: { effect: 'readOnly' },
  input: z.object({
    tables: z.array(z.string().min(1)).max(50).optional().describe('Only these tables; default all.'),
    counts: z.boolean().default(true).describe('Include row counts; default true.'),
  }),
  output: z.object({
    schemaVersion: z.number().int(),
    engine: z.string(),
    text: z.string(),
    tables: z.array(z.string()),
  }),
  examples: [{}, { tables: ['Country', 'TRADE_DEPENDS'] }],
  async handler(input, context) {
    const graph = await knowledge('tables', () => context.knowledge.graph());
    const tables = await graph.tables();
    const names = tables.map((t) => t.name).filter((n) => !n.startsWith('_'));
    const unknown = input.tables?.filter((t) => !names.includes(t)) ?? [];
    if (unknown.length)
      throw new InputError('tables', `unknown tables ${unknown.join(', ')}; the graph has ${names.join(', ')}`);
    const text =
      !input.counts && !input.tables
        ? await schemaText(graph)
        : describeSchema(tables, {
            engine: graph.engine,
            version: graph.schemaVersion,
            ...(input.counts ? { counts: await graphCounts(graph) } : {}),
            ...(input.tables ? { only: input.tables } : {}),
          });
    return { schemaVersion: graph.schemaVersion, engine: graph.engine, text, tables: input.tables ?? names };
  },
  summarize: (o) => o.text,
});

export const getGraphStats = defineTool({
  name: 'knowledge_base_get_graph_stats',
  domain: 'knowledge-base',
  tags: ['graph', 'stats', 'counts', 'status', 'size'],
  requests: [
    'graph size and row counts',
    'how many countries and statistics are loaded',
    'graph database statistics',
    'number of nodes and relationships',
    'row counts of every graph table',
    'how many nodes are in the graph',
  ],
  title: 'Graph statistics',
  description:
    'Counts the rows of every node and relationship table in the knowledge graph, with the engine, schema version and file location. Example: {}',
  kind: { effect: 'readOnly' },
  input: z.object({}),
  output: z.object({
    engine: z.string(),
    location: z.string(),
    schemaVersion: z.number().int(),
    nodes: z.number().int(),
    relationships: z.number().int(),
    tables: z.record(z.string(), z.number().int()),
  }),
  examples: [{}],
  async handler(_input, context) {
    const graph = await knowledge('', () => context.knowledge.graph());
    const tables = await graph.tables();
    const counts = await graphCounts(graph);
    const sum = (kind: 'node' | 'rel') =>
      tables.filter((t) => t.kind === kind && !t.name.startsWith('_')).reduce((n, t) => n + (counts[t.name] ?? 0), 0);
    return {
      engine: graph.engine,
      location: graph.location,
      schemaVersion: graph.schemaVersion,
      nodes: sum('node'),
      relationships: sum('rel'),
      tables: counts,
    };
  },
});

export const findGraphNodes = defineTool({
  name: 'knowledge_base_find_nodes',
  domain: 'knowledge-base',
  tags: ['graph', 'lookup', 'find', 'country', 'statistic', 'entity', 'name'],
  requests: [
    'find a country by name',
    'get the id of a statistic',
    'look up graph nodes matching some text',
    'exact id of a node from part of its name',
    'key of a country node',
    'search graph nodes by partial name',
  ],
  title: 'Find nodes by name',
  description:
    'Finds countries (by name or ISO code), statistics (by id or name) and memory entities whose names contain the text. Use it to get the exact keys other tools need. Example: {"text": "policy_rate"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    text: z.string().min(1).max(200).describe('Text to look for, case-insensitive.'),
    limit: z.number().int().min(1).max(200).default(20).describe('Most results; default 20.'),
  }),
  output: z.object({ nodes: z.array(z.object({ label: z.string(), key: z.string(), name: z.string().nullable() })) }),
  examples: [{ text: 'usa' }],
  handler: async (input, context) => ({
    nodes: (await knowledge('text', async () =>
      findNodes(await context.knowledge.graph(), input.text, input.limit),
    )) as { label: string; key: string; name: string | null }[],
  }),
});

const graphFile = z.object({
  countries: z
    .array(
      z.object({
        iso3: z.string().length(3),
        iso2: z.string().optional(),
        name: z.string(),
        region: z.string().optional(),
        gdpRank: z.number().int().optional(),
        regime: z.string().optional(),
      }),
    )
    .optional(),
  statistics: z
    .array(
      z.object({
        id: z.string(),
        country: z.string(),
        name: z.string(),
        category: z.string().optional(),
        unit: z.string().optional(),
        value: z.number().nullable().optional(),
        period: z.string().nullable().optional(),
        sourceType: z.string().optional(),
        provider: z.string().optional(),
      }),
    )
    .optional(),
  points: z
    .array(z.object({ statistic: z.string(), period: z.string(), value: z.number(), source: z.string().optional() }))
    .optional(),
  corridors: z
    .array(
      z.object({
        from: z.string(),
        to: z.string(),
        weight: z.number(),
        mechanism: z.string().optional(),
        lagMonths: z.number().int().optional(),
        confidence: z.number().optional(),
        provenance: z.string().optional(),
      }),
    )
    .optional(),
  contagion: z
    .array(
      z.object({
        from: z.string(),
        to: z.string(),
        weight: z.number(),
        mechanism: z.string().optional(),
        lagMonths: z.number().int().optional(),
        confidence: z.number().optional(),
        provenance: z.string().optional(),
      }),
    )
    .optional(),
  regimes: z
    .array(
      z.object({
        country: z.string(),
        state: z.string(),
        probability: z.number(),
        asOf: z.string(),
        model: z.string().optional(),
      }),
    )
    .optional(),
});

export const importGraph = defineTool({
  name: 'knowledge_base_import_graph',
  domain: 'knowledge-base',
  tags: ['import', 'ingest', 'graph', 'json', 'financial', 'bulk'],
  requests: [
    'import a JSON graph file',
    'load countries, statistics and corridors from a file',
    'ingest a financial knowledge graph',
    'bulk load a graph from a JSON file',
    'merge a JSON export into the graph',
    'bulk import nodes and edges',
  ],
  title: 'Import a financial graph file',
  description:
    'Loads a JSON file (under an allowed root) of countries, statistics, series points, trade corridors, contagion edges and regimes into the knowledge graph in one transaction, merging nodes by key and replacing edges. It overwrites the shared live graph as knowledge_base_restore_snapshot does, so it is destructive: needs confirm: true. Example: {"path": "kb/financial_kg.json"}',
  kind: { effect: 'destructive', idempotent: true },
  input: z.object({
    path: z
      .string()
      .min(1)
      .describe(
        'JSON file with countries, statistics, points, corridors, contagion, regimes arrays; relative to the first allowed root.',
      ),
  }),
  output: z.object({ file: z.string(), rows: z.number().int(), elapsedMs: z.number(), rowsPerSecond: z.number() }),
  examples: [{ path: 'kb/financial_kg.json' }],
  async handler(input, context) {
    // A replica's financial graph is what the publisher shared: a file imported here would diverge
    // from every other instance, silently, until the next snapshot overwrote part of it.
    const replica = context.environment.knowledgeBase?.replica?.();
    if (replica)
      throw new ToolError(
        'UNAVAILABLE',
        `this instance is a replica of ${replica.location}: its financial graph changes only through the snapshots published there; import on the publishing instance and publish a snapshot`,
      );
    const file = (await resolveInsideRoots(input.path, context.environment.allowedRoots, 'path')).absolute;
    let parsed: unknown;
    try {
      const text = await readConfinedText(file, await Confinement.of(context.environment.allowedRoots), {
        maxBytes: fileCaps.large,
      });
      parsed = parseJsonFile(text, input.path);
    } catch (error) {
      throw asInputError(error, 'path', input.path);
    }
    const data = graphFile.safeParse(parsed);
    if (!data.success)
      throw new InputError(
        'path',
        `${input.path} does not have the graph file shape: ${data.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      );
    const result = await knowledge('path', async () => {
      const graph = await context.knowledge.graph();
      const note = await importNote(graph, file, new Date().toISOString());
      return ingestFinancial(graph, data.data as FinancialGraphData, note);
    });
    return {
      file,
      rows: result.rows,
      elapsedMs: result.elapsedMs,
      rowsPerSecond: Math.round(result.rows / Math.max(0.001, result.elapsedMs / 1000)),
    };
  },
});
