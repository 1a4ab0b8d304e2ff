// Vector tools: semantic search with graph expansion, document indexing, collection listing and
// statistics, rebuild and verify, drop, and the PostgreSQL concept import.
import { z } from 'zod';
import { expandRefs } from '../../knowledge/financial.js';
import { defaultCollection } from '../../knowledge/knowledge-store.js';
import { importConcepts } from '../../knowledge/pg-import.js';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { checkAgentConnectionString, defaultConnectTimeoutMs } from '../connection-string.js';
import { knowledge } from './common.js';
import { embeddingUsage, usageCollector } from './memory-tools.js';

const collection = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, "_", "." and "-"');

const hit = z.object({
  id: z.string(),
  score: z.number().describe('similarity, higher is closer'),
  namespace: z.string(),
  type: z.string(),
  text: z.string().optional(),
  ref: z.string().optional().describe('the graph node the hit is about'),
  related: z
    .array(z.object({ label: z.string(), name: z.unknown() }))
    .optional()
    .describe('graph neighbours of ref within the requested hops'),
});

export const searchVectors = defineTool({
  name: 'knowledge_base_search_vectors',
  domain: 'knowledge-base',
  tags: ['search', 'semantic', 'vector', 'hnsw', 'similarity', 'embedding', 'documents'],
  requests: [
    'semantic search',
    'vector similarity search over documents',
    'find passages related to a question',
    'find documents by meaning',
    'search documents by similarity',
    'nearest neighbours of a text in the vector index',
  ],
  title: 'Semantic search',
  description:
    'Searches a vector collection (HNSW) with a text query (embedded by the configured embedder) or a raw vector, optionally filtered by namespace or type, and expands each hit 1–2 hops through the graph. The default collection holds memory and indexed documents. Example: {"query": "central bank rate hikes", "k": 5, "expandHops": 1}',
  kind: { effect: 'readOnly' },
  input: z.object({
    query: z.string().trim().min(1).max(8_000).optional().describe('Text to search for.'),
    vector: z
      .array(z.number())
      .min(1)
      .max(4_096)
      .optional()
      .describe("A query vector instead of text; it must come from the collection's embedder."),
    vectorEmbedder: z
      .string()
      .max(200)
      .optional()
      .describe('The embedder that produced `vector` (checked against the collection).'),
    collection: collection.default(defaultCollection).describe(`Collection name; default "${defaultCollection}".`),
    k: z.number().int().min(1).max(1_000).default(10).describe('Number of hits; default 10.'),
    namespace: z.string().max(200).optional().describe('Only items in this namespace (e.g. "memory").'),
    type: z.string().max(200).optional().describe('Only items of this type.'),
    expandHops: z
      .union([z.literal(0), z.literal(1), z.literal(2)])
      .default(0)
      .describe('Graph neighbours of each hit to include: 0, 1 or 2 hops.'),
    ef: z.number().int().min(1).max(4_096).optional().describe('HNSW search breadth; higher is slower and more exact.'),
  }),
  output: z.object({
    collection: z.string(),
    embedder: z.string(),
    hits: z.array(hit),
    embedding: embeddingUsage.optional(),
  }),
  examples: [{ query: 'who maintains the GPU pool', k: 3 }],
  async handler(input, context) {
    if (!input.query && !input.vector)
      throw new InputError('query', 'give a text query, or a vector with vectorEmbedder');
    const usage = usageCollector();
    const found = await knowledge(input.vector ? 'vector' : 'query', () =>
      context.knowledge.search({
        ...(input.query ? { query: input.query } : {}),
        ...(input.vector
          ? { vector: input.vector, ...(input.vectorEmbedder ? { vectorEmbedder: input.vectorEmbedder } : {}) }
          : {}),
        k: input.k,
        collection: input.collection,
        filter: {
          ...(input.namespace ? { namespace: input.namespace } : {}),
          ...(input.type ? { type: input.type } : {}),
        },
        ...(input.ef ? { ef: input.ef } : {}),
        signal: context.signal,
        onUsage: usage.onUsage,
      }),
    );
    let hits = found.hits.map((h) => ({ ...h, score: Number(h.score.toFixed(5)) }));
    if (input.expandHops > 0) {
      const graph = await context.knowledge.graph();
      const related = await expandRefs(
        graph,
        hits.flatMap((h) => (h.ref ? [h.ref] : [])),
        input.expandHops as 1 | 2,
        10,
      );
      hits = hits.map((h) =>
        h.ref ? { ...h, related: (related.get(h.ref) ?? []) as { label: string; name: unknown }[] } : h,
      );
    }
    return { collection: found.collection, embedder: found.embedder, hits, ...usage.result() };
  },
  summarize: (o) =>
    [
      `${o.hits.length} hits in ${o.collection} (${o.embedder})`,
      ...o.hits.map((h) => `  ${h.score.toFixed(3)} ${h.id}${h.text ? `: ${h.text.slice(0, 160)}` : ''}`),
    ].join('\n'),
});

export const indexDocuments = defineTool({
  name: 'knowledge_base_index_documents',
  domain: 'knowledge-base',
  tags: ['index', 'documents', 'embed', 'add', 'vector', 'text'],
  requests: [
    'index documents for search',
    'add text to the vector index',
    'embed documents into the knowledge base',
    'store documents in the vector index',
    'make notes searchable by meaning',
    'add a batch of documents to semantic search',
  ],
  title: 'Index documents',
  description:
    'Adds or replaces text documents in the default collection: each is embedded, stored in the graph and added to the HNSW index, so searchKnowledge finds it. Example: {"documents": [{"id": "adr-7", "text": "We route LLM work Ollama-first.", "namespace": "docs", "type": "adr"}]}',
  kind: { effect: 'action', idempotent: true },
  input: z.object({
    documents: z
      .array(
        z.object({
          id: z.string().min(1).max(300).describe('Unique id; an existing id is replaced.'),
          text: z.string().min(1).max(32_000).describe('The text to embed.'),
          namespace: z.string().min(1).max(100).default('docs').describe('Namespace for filtering.'),
          type: z.string().min(1).max(100).default('document').describe('Type for filtering.'),
          ref: z.string().max(300).optional().describe('Graph node it is about, e.g. "Country:USA".'),
        }),
      )
      .min(1)
      .max(5_000)
      .describe('Documents to index.'),
  }),
  output: z.object({ indexed: z.number().int(), collection: z.string(), embedding: embeddingUsage.optional() }),
  examples: [{ documents: [{ id: 'note-1', text: 'The pool escalates below confidence 0.75.' }] }],
  async handler(input, context) {
    const usage = usageCollector();
    const indexed = await knowledge('documents', () =>
      context.knowledge.indexDocuments(
        input.documents.map((d) => ({ ...d, id: `doc:${d.id}` })),
        { signal: context.signal, onUsage: usage.onUsage },
      ),
    );
    return { indexed, collection: defaultCollection, ...usage.result() };
  },
});

const collectionRow = z.object({
  name: z.string(),
  embedder: z.string(),
  dimension: z.number().int(),
  space: z.string(),
  count: z.number().int(),
  loaded: z.boolean(),
  bytesOnDisk: z.number().int(),
});

export const listCollections = defineTool({
  name: 'knowledge_base_list_collections',
  domain: 'knowledge-base',
  tags: ['collections', 'vector', 'index', 'list', 'embedder'],
  requests: [
    'list vector collections',
    'embedder per collection',
    'collections and their sizes',
    'vector collections and their embedders',
    'how many items in each collection',
    'which embedder is configured',
    'what is in the vector store',
  ],
  title: 'List vector collections',
  description:
    'Lists the vector collections with their embedder, dimension, space, item count and size on disk, and the embedder configured for text. Example: {}',
  kind: { effect: 'readOnly' },
  input: z.object({}),
  output: z.object({
    embedder: z.object({ name: z.string(), dimension: z.number().int(), semantic: z.boolean() }),
    collections: z.array(collectionRow),
  }),
  examples: [{}],
  async handler(_input, context) {
    const embedder = await knowledge('', () => context.knowledge.embedder());
    return {
      embedder: { name: embedder.name, dimension: embedder.dimension, semantic: embedder.semantic },
      collections: await knowledge('', () => context.knowledge.collections()),
    };
  },
});

export const getIndexStats = defineTool({
  name: 'knowledge_base_get_index_stats',
  domain: 'knowledge-base',
  tags: ['index', 'stats', 'hnsw', 'vector', 'capacity', 'parameters'],
  requests: [
    'HNSW parameters of a collection',
    'vector index statistics',
    'index capacity and deleted slots',
    'how full is the vector index',
    'current HNSW settings of a collection',
    'M and efConstruction of an index',
  ],
  title: 'Vector index statistics',
  description:
    'Reports one collection\'s HNSW parameters (M, efConstruction, ef, space), item count, capacity, deleted slots awaiting reuse, and embedder. Example: {"collection": "knowledge"}',
  kind: { effect: 'readOnly' },
  input: z.object({ collection: collection.default(defaultCollection).describe('Collection name.') }),
  output: z.object({
    collection: z.string(),
    embedder: z.string(),
    space: z.string(),
    dimension: z.number().int(),
    count: z.number().int(),
    capacity: z.number().int(),
    deletedSlots: z.number().int(),
    m: z.number().int(),
    efConstruction: z.number().int(),
    ef: z.number().int(),
  }),
  examples: [{}],
  async handler(input, context) {
    const index = await knowledge('collection', () => context.knowledge.collection(input.collection));
    if (!index)
      throw new InputError(
        'collection',
        `no collection named "${input.collection}"; see knowledge_base_list_collections`,
      );
    const s = index.stats();
    return {
      collection: input.collection,
      embedder: s.embedder,
      space: s.space,
      dimension: s.dimension,
      count: s.count,
      capacity: s.capacity,
      deletedSlots: s.deletedSlots,
      m: s.m,
      efConstruction: s.efConstruction,
      ef: s.ef,
    };
  },
});

export const rebuildIndex = defineTool({
  name: 'knowledge_base_rebuild_index',
  domain: 'knowledge-base',
  tags: ['rebuild', 'index', 'hnsw', 'reembed', 'compact', 'worker'],
  requests: [
    'rebuild a vector index',
    're-embed documents with the new embedder',
    'apply new HNSW settings to a collection',
    're-index a collection',
    'compact a vector index',
  ],
  title: 'Rebuild a vector index',
  description:
    'Rebuilds a collection in a worker thread (the server keeps serving), reporting progress: compacts deleted slots, applies new M/efConstruction, or with reembed: true re-embeds the documents with the configured embedder (after switching embedders). Example: {"collection": "knowledge", "reembed": true}',
  kind: { effect: 'action', idempotent: true },
  input: z.object({
    collection: collection.default(defaultCollection).describe('Collection name.'),
    reembed: z.boolean().default(false).describe('Re-embed the documents with the configured embedder.'),
    m: z.number().int().min(4).max(96).optional().describe('HNSW M (links per node).'),
    efConstruction: z.number().int().min(10).max(2_000).optional().describe('HNSW build breadth.'),
  }),
  output: z.object({ collection: z.string(), count: z.number().int(), reembedded: z.boolean(), elapsedMs: z.number() }),
  examples: [{ collection: 'knowledge' }],
  async handler(input, context) {
    const result = await knowledge('collection', () =>
      context.knowledge.rebuild(input.collection, {
        reembed: input.reembed,
        ...(input.m ? { m: input.m } : {}),
        ...(input.efConstruction ? { efConstruction: input.efConstruction } : {}),
        signal: context.signal,
        onProgress: (done, total) => context.progress(done, total, `indexed ${done} of ${total}`),
      }),
    );
    return { collection: input.collection, ...result };
  },
});

export const verifyIndex = defineTool({
  name: 'knowledge_base_verify_index',
  domain: 'knowledge-base',
  tags: ['verify', 'checksum', 'integrity', 'index', 'consistency'],
  requests: [
    'verify a vector index',
    'check index checksums',
    'graph documents without an embedding',
    'is the vector index consistent',
    'documents missing from the vector index',
    'check the HNSW files are intact',
  ],
  title: 'Verify a vector index',
  description:
    'Verifies a collection: saves pending changes, re-reads the files against their SHA-256 checksums, and checks every document in the graph has a vector. Example: {"collection": "knowledge"}',
  kind: { effect: 'readOnly' },
  input: z.object({ collection: collection.default(defaultCollection).describe('Collection name.') }),
  output: z.object({
    collection: z.string(),
    ok: z.boolean(),
    problems: z.array(z.string()),
    count: z.number().int(),
    documents: z.number().int(),
  }),
  examples: [{}],
  handler: async (input, context) => ({
    collection: input.collection,
    ...(await knowledge('collection', () => context.knowledge.verify(input.collection))),
  }),
});

export const dropCollection = defineTool({
  name: 'knowledge_base_drop_collection',
  domain: 'knowledge-base',
  tags: ['drop', 'delete', 'collection', 'index', 'vector'],
  requests: [
    'drop a vector collection',
    'delete a collection',
    "remove an index's files",
    'remove a collection completely',
    "delete a vector collection's files",
    'get rid of an unused collection',
  ],
  title: 'Drop a vector collection',
  description:
    'Deletes a vector collection\'s files (not the default collection). Destructive: needs confirm: true through runTool. Example: {"collection": "cpe_entry"}',
  kind: { effect: 'destructive', idempotent: true },
  input: z.object({ collection: collection.describe('Collection name.') }),
  output: z.object({ collection: z.string(), dropped: z.boolean() }),
  examples: [{ collection: 'scratch' }],
  handler: async (input, context) => ({
    collection: input.collection,
    dropped: await knowledge('collection', () => context.knowledge.dropCollection(input.collection)),
  }),
});

export const importPostgres = defineTool({
  name: 'knowledge_base_import_postgres',
  domain: 'knowledge-base',
  tags: ['import', 'postgres', 'pg', 'pgvector', 'concepts', 'vectors', 'cursor'],
  requests: [
    'import vectors from PostgreSQL',
    'load a pgvector table',
    'bring embeddings from a database table into a collection',
    'load vectors from a SQL database',
    'migrate embeddings from Postgres',
    'import a concepts table with vectors',
  ],
  title: 'Import vectors from PostgreSQL',
  description:
    'Imports a PostgreSQL table of concepts (id, text, vector as real[] or a pgvector text literal, metadata) into a vector collection: streams it with a cursor in batches, skips and counts bad rows (NULL, non-numeric, wrong dimension, duplicate id), then builds the HNSW index in a worker with progress. Uses DATABASE_URL unless connectionString is given. Example: {"table": "cpe_entry", "idColumn": "cpe_id", "textColumn": "concept_text", "vectorColumn": "concept_vec", "metadataColumns": ["tmd_code", "dataset_source"]}',
  kind: { effect: 'action', openWorld: true, idempotent: true },
  input: z.object({
    table: z.string().min(1).max(128).describe('Table, optionally schema.table.'),
    idColumn: z.string().min(1).max(63).describe('Unique id column.'),
    vectorColumn: z.string().min(1).max(63).describe('real[] / float8[] / vector column.'),
    textColumn: z.string().min(1).max(63).optional().describe('Text shown with hits.'),
    metadataColumns: z
      .array(z.string().min(1).max(63))
      .max(20)
      .default([])
      .describe('Columns appended to the text as "name: value".'),
    namespaceColumn: z.string().min(1).max(63).optional().describe('Column used as the namespace filter.'),
    typeColumn: z.string().min(1).max(63).optional().describe('Column used as the type filter.'),
    where: z.string().max(1_000).optional().describe('SQL boolean expression to select rows.'),
    collection: collection.optional().describe('Target collection; default the table name.'),
    embedder: z
      .string()
      .max(200)
      .optional()
      .describe(
        'Name of the model that made the vectors, e.g. "gtr-t5-base"; queries from another embedder are refused.',
      ),
    space: z.enum(['cosine', 'ip', 'l2']).default('cosine').describe('Distance space.'),
    efConstruction: z
      .number()
      .int()
      .min(10)
      .max(1_000)
      .default(64)
      .describe('HNSW build breadth; default 64 (faster builds).'),
    batchSize: z.number().int().min(10).max(50_000).default(2_000).describe('Rows per cursor fetch.'),
    confirm: z
      .boolean()
      .default(false)
      .describe('Must be true when the target collection already exists: the import replaces it.'),
    connectionString: z
      .string()
      .max(2_000)
      .optional()
      .describe(
        'postgres://user:password@host:5432/db ; default DATABASE_URL. Local files (sslcert, sslkey, sslrootcert, passfile…) and socket paths are refused.',
      ),
  }),
  output: z.object({
    collection: z.string(),
    embedder: z.string(),
    rowsRead: z.number().int(),
    imported: z.number().int(),
    skipped: z.object({
      nullVector: z.number().int(),
      nonNumeric: z.number().int(),
      wrongDimension: z.number().int(),
      duplicateId: z.number().int(),
      nullId: z.number().int(),
    }),
    examples: z.array(z.object({ id: z.string(), reason: z.string() })),
    dimension: z.number().int(),
    batches: z.number().int(),
    readMs: z.number(),
    documentsMs: z.number(),
    buildMs: z.number(),
    totalMs: z.number(),
  }),
  examples: [{ table: 'cpe_entry', idColumn: 'cpe_id', textColumn: 'concept_text', vectorColumn: 'concept_vec' }],
  async handler(input, context) {
    const configured = context.environment.services.databaseUrl;
    const connectionString =
      input.connectionString === undefined
        ? configured
        : checkAgentConnectionString(input.connectionString, 'connectionString', configured);
    if (!connectionString)
      throw new InputError('connectionString', 'no PostgreSQL configured: pass connectionString or set DATABASE_URL');
    const target = input.collection ?? input.table.replace(/^.*\./, '');
    if (target === defaultCollection)
      throw new InputError(
        'collection',
        `"${defaultCollection}" is reserved for memory and documents; pick another collection name`,
      );
    const existing = await knowledge('', () => context.knowledge.collections());
    if (!input.confirm && existing.some((c) => c.name === target))
      throw new InputError(
        'confirm',
        `collection "${target}" exists and the import replaces it; pass confirm: true, or another collection name`,
      );
    const agentSupplied = connectionString !== configured;
    const imported = knowledge('table', () =>
      importConcepts(
        context.knowledge,
        {
          connectionString,
          table: input.table,
          idColumn: input.idColumn,
          vectorColumn: input.vectorColumn,
          ...(input.textColumn ? { textColumn: input.textColumn } : {}),
          metadataColumns: input.metadataColumns,
          ...(input.namespaceColumn ? { namespaceColumn: input.namespaceColumn } : {}),
          ...(input.typeColumn ? { typeColumn: input.typeColumn } : {}),
          ...(input.where ? { where: input.where } : {}),
          batchSize: input.batchSize,
          connectTimeoutMs: defaultConnectTimeoutMs,
          agentSupplied,
        },
        {
          collection: target,
          ...(input.embedder ? { embedder: input.embedder } : {}),
          space: input.space,
          efConstruction: input.efConstruction,
          signal: context.signal,
          onProgress: (phase, done, total) =>
            context.progress(done, total, `${phase}: ${done}${total ? ` of ${total}` : ''}`),
        },
      ),
    );
    // A server the agent named that does not answer is reported against connectionString.
    return imported.catch((error: unknown) => {
      if (agentSupplied && error instanceof InputError && error.message.startsWith('table: cannot connect'))
        throw new InputError('connectionString', error.message.slice('table: '.length));
      throw error;
    });
  },
  summarize: (o) =>
    `imported ${o.imported} of ${o.rowsRead} rows into ${o.collection} (${o.dimension}-d, ${o.embedder}); skipped ${JSON.stringify(o.skipped)}; read ${(o.readMs / 1000).toFixed(1)} s, build ${(o.buildMs / 1000).toFixed(1)} s`,
});
