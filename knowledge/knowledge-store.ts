// The knowledge layer as the rest of Caelum sees it: the graph (Kuzu behind GraphStore), named
// vector collections (HNSW), the configured embedder, and documents that tie the two together.
// Everything opens lazily on first use, so a server that never touches the knowledge base pays
// nothing at start-up. The graph is the source of truth: documents live in it, and the default
// collection's vectors are derived data, saved in the background and reconciled with the graph
// when opened (a crash between a write and a save loses no document).
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { KnowledgeError } from './knowledge-error.js';
import {
  checkGraphQuota,
  checkVectorQuota,
  defaultStoreQuotas,
  graphBytesPerDocument,
  type StoreQuotas,
} from './store-quota.js';
import type { GraphStore, Statement } from './graph/graph-store.js';
import { openKuzuStore } from './graph/kuzu-store.js';
import type { EmbedUsage, Embedder } from './vector/embedder.js';
import { LexicalEmbedder } from './vector/lexical-embedder.js';
import {
  VectorIndex,
  type IndexSettings,
  type PackedItems,
  type SearchHit,
  type Space,
} from './vector/vector-index.js';
import { buildIndexInWorker } from './vector/worker-build.js';

export interface KnowledgeStatus {
  graph: { available: boolean; detail: string };
  vectors: { available: boolean; detail: string };
}

export interface KnowledgeDocument {
  id: string;
  namespace: string;
  type: string;
  text: string;
  /** What the document is about in the graph, e.g. "Entity:Ada" or "Country:USA". */
  ref?: string;
}

export interface CollectionInfo {
  name: string;
  embedder: string;
  dimension: number;
  space: Space;
  count: number;
  loaded: boolean;
  bytesOnDisk: number;
}

export interface KnowledgeSearchRequest {
  query?: string;
  vector?: number[];
  /** The embedder name a given vector came from; required with `vector`. */
  vectorEmbedder?: string;
  k: number;
  collection?: string;
  filter?: { namespace?: string; type?: string };
  ef?: number;
  signal?: AbortSignal;
  onUsage?: (usage: EmbedUsage) => void;
}

export interface KnowledgeHit extends SearchHit {
  text?: string;
  ref?: string;
}

/** How this process holds the graph. */
export interface GraphMode {
  /**
   * read-write: this process holds it. read-only: another process holds it read-only, so this one
   * reads and refuses writes. unavailable: another process holds it read-write (Kuzu then refuses
   * even a read-only open) or it failed to open. unopened: not used yet (it opens on first use).
   */
  access: 'read-write' | 'read-only' | 'unavailable' | 'unopened';
  reason?: string;
}

/** The budgets every agent query runs under (servers/config.ts `graph`). */
export interface QueryLimits {
  timeoutMs: number;
  /** Rows are read one at a time and reading stops past this many bytes of JSON. */
  maxBytes: number;
  /** Agent queries are refused while the process's resident memory is above this. */
  memoryCapBytes: number;
}

export interface KnowledgeStore {
  status(): KnowledgeStatus;
  mode(): GraphMode;
  queryLimits(): QueryLimits;
  graph(): Promise<GraphStore>;
  embedder(): Promise<Embedder>;
  collection(name?: string): Promise<VectorIndex | undefined>;
  collections(): Promise<CollectionInfo[]>;
  /**
   * Embeds documents, writes them to the graph (with `statements`, in the same transaction) and
   * adds their vectors to the collection.
   */
  indexDocuments(documents: readonly KnowledgeDocument[], options?: IndexDocumentsOptions): Promise<number>;
  removeDocuments(ids: readonly string[], collection?: string): Promise<number>;
  search(request: KnowledgeSearchRequest): Promise<{ hits: KnowledgeHit[]; embedder: string; collection: string }>;
  /** Replaces a collection with one built (in a worker) from packed items. */
  replaceCollection(
    name: string,
    settings: IndexSettings,
    items: PackedItems,
    options?: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal },
  ): Promise<VectorIndex>;
  /** Rebuilds a collection: re-embeds its documents when they are text, or repacks its vectors. */
  rebuild(
    name: string,
    options?: {
      reembed?: boolean;
      m?: number;
      efConstruction?: number;
      onProgress?: (done: number, total: number) => void;
      signal?: AbortSignal;
    },
  ): Promise<{ count: number; reembedded: boolean; elapsedMs: number }>;
  verify(name: string): Promise<{ ok: boolean; problems: string[]; count: number; documents: number }>;
  dropCollection(name: string): Promise<boolean>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface IndexDocumentsOptions {
  collection?: string;
  signal?: AbortSignal;
  onUsage?: (usage: EmbedUsage) => void;
  /** Graph writes committed in the same transaction as the documents. */
  statements?: Statement[];
}

export interface KnowledgeStoreOptions {
  dataDir: string;
  /** The embedder for text; default the zero-download lexical one. */
  embedder?: Embedder | (() => Promise<Embedder>);
  readConnections?: number;
  /** Budgets of the graph and of agent queries; defaults in `defaultGraphLimits`. */
  graph?: Partial<GraphLimits>;
  /** Disk quotas of the graph and of the vector collections; defaults in `defaultStoreQuotas`. */
  quotas?: Partial<StoreQuotas>;
  /** Background save delay for changed collections. Default 1,000 ms. */
  saveDelayMs?: number;
  onWarning?: (event: string, fields: Record<string, unknown>) => void;
}

export interface GraphLimits {
  queryTimeoutMs: number;
  /** Kuzu's buffer pool: the memory budget of every query. */
  bufferPoolBytes: number;
  maxResultBytes: number;
  memoryCapBytes: number;
}

export const defaultGraphLimits: GraphLimits = {
  queryTimeoutMs: 5_000,
  bufferPoolBytes: 512 * 2 ** 20,
  maxResultBytes: 2 ** 20,
  memoryCapBytes: 2 * 2 ** 30,
};

export const defaultCollection = 'knowledge';
const collectionName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function checkName(name: string): void {
  if (!collectionName.test(name))
    throw new KnowledgeError(
      'BAD_INPUT',
      `"${name}" is not a valid collection name: use letters, digits, "_", "." and "-", up to 64 characters`,
    );
}

/** A per-collection lock: hnswlib must not be written while it saves on another thread. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(work: () => Promise<T> | T): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class KnowledgeBase implements KnowledgeStore {
  private graphPromise: Promise<GraphStore> | undefined;
  private embedderPromise: Promise<Embedder> | undefined;
  private readonly loaded = new Map<string, Promise<VectorIndex | undefined>>();
  private readonly locks = new Map<string, Lock>();
  private readonly dirty = new Set<string>();
  private saveTimer: NodeJS.Timeout | undefined;
  private graphState: KnowledgeStatus['graph'];
  private graphMode: GraphMode = { access: 'unopened' };
  private readonly limits: GraphLimits;
  private closed = false;
  /** Bytes of facts and documents in the graph, for its quota; undefined until counted. */
  private graphBytesUsed: number | undefined;
  readonly vectorDir: string;
  readonly graphLocation: string;

  constructor(private readonly options: KnowledgeStoreOptions) {
    this.vectorDir = path.join(options.dataDir, 'knowledge', 'vectors');
    this.graphLocation = path.join(options.dataDir, 'knowledge', 'graph.kz');
    this.graphState = { available: true, detail: `Kuzu graph at ${this.graphLocation} (opens on first use)` };
    this.limits = { ...defaultGraphLimits, ...options.graph };
  }

  mode(): GraphMode {
    return this.graphMode;
  }

  queryLimits(): QueryLimits {
    return {
      timeoutMs: this.limits.queryTimeoutMs,
      maxBytes: this.limits.maxResultBytes,
      memoryCapBytes: this.limits.memoryCapBytes,
    };
  }

  status(): KnowledgeStatus {
    const loaded = [...this.loaded.keys()];
    return {
      graph: this.graphState,
      vectors: {
        available: true,
        detail: `HNSW collections in ${this.vectorDir}${loaded.length ? `; loaded: ${loaded.join(', ')}` : ' (load on first use)'}`,
      },
    };
  }

  graph(): Promise<GraphStore> {
    if (this.closed) return Promise.reject(new KnowledgeError('UNAVAILABLE', 'the knowledge store is closed'));
    this.graphPromise ??= openKuzuStore({
      location: this.graphLocation,
      readConnections: this.options.readConnections ?? 4,
      bufferPoolBytes: this.limits.bufferPoolBytes,
      defaultTimeoutMs: this.limits.queryTimeoutMs,
      maxResultBytes: this.limits.maxResultBytes,
    }).then(
      (store) => {
        this.graphState = {
          available: true,
          detail: `${store.engine} graph at ${this.graphLocation}, schema v${store.schemaVersion}, ${store.access}`,
        };
        this.graphMode = {
          access: store.access,
          ...(store.accessReason ? { reason: store.accessReason } : {}),
        };
        return store;
      },
      (error: KnowledgeError) => {
        this.graphPromise = undefined;
        this.graphState = { available: false, detail: error.message };
        this.graphMode = { access: 'unavailable', reason: error.message };
        throw error;
      },
    );
    return this.graphPromise;
  }

  embedder(): Promise<Embedder> {
    const configured = this.options.embedder;
    this.embedderPromise ??= (
      typeof configured === 'function' ? configured() : Promise.resolve(configured ?? new LexicalEmbedder(384))
    ).catch((error) => {
      this.embedderPromise = undefined;
      throw error;
    });
    return this.embedderPromise;
  }

  private lock(name: string): Lock {
    let lock = this.locks.get(name);
    if (!lock) this.locks.set(name, (lock = new Lock()));
    return lock;
  }

  private async exists(name: string): Promise<boolean> {
    try {
      await stat(path.join(this.vectorDir, `${name}.manifest.json`));
      return true;
    } catch {
      return false;
    }
  }

  collection(name = defaultCollection): Promise<VectorIndex | undefined> {
    checkName(name);
    let promise = this.loaded.get(name);
    if (!promise) {
      promise = this.open(name).catch((error) => {
        this.loaded.delete(name);
        throw error;
      });
      this.loaded.set(name, promise);
    }
    return promise;
  }

  private async open(name: string): Promise<VectorIndex | undefined> {
    let index: VectorIndex | undefined;
    if (await this.exists(name)) {
      try {
        index = await VectorIndex.load(this.vectorDir, name);
      } catch (error) {
        // The default collection is derived from the graph's documents: rebuild it rather than fail.
        if (name !== defaultCollection || !(error instanceof KnowledgeError) || error.code !== 'INDEX_CORRUPT')
          throw error;
        this.options.onWarning?.('vector_index_corrupt', { collection: name, error: error.message });
      }
    }
    if (name === defaultCollection) {
      const embedder = await this.embedder();
      index ??= VectorIndex.create({ space: 'cosine', dimension: embedder.dimension, embedder: embedder.name });
      if (index.embedder === embedder.name) await this.reconcile(name, index, embedder);
    }
    return index;
  }

  /** Documents the graph has and the index lacks (a crash before a save) are embedded again. */
  private async reconcile(name: string, index: VectorIndex, embedder: Embedder): Promise<void> {
    const graph = await this.graph();
    const { rows } = await graph.read(
      'MATCH (d:Document) WHERE d.collection = $c RETURN d.id AS id, d.namespace AS namespace, d.type AS type, d.text AS text',
      { c: name },
      { maxRows: 10_000_000, timeoutMs: 600_000 },
    );
    const missing = rows.filter((row) => !index.has(String(row.id)));
    const known = new Set(rows.map((row) => String(row.id)));
    const orphans = index.ids().filter((id) => !known.has(id));
    for (const id of orphans) index.remove(id);
    for (let i = 0; i < missing.length; i += 256) {
      const slice = missing.slice(i, i + 256);
      const vectors = await embedder.embed(slice.map((row) => String(row.text)));
      slice.forEach((row, j) =>
        index.upsert(String(row.id), vectors[j]!, { namespace: String(row.namespace), type: String(row.type) }),
      );
    }
    if (missing.length || orphans.length) {
      this.options.onWarning?.('vector_index_reconciled', {
        collection: name,
        added: missing.length,
        removed: orphans.length,
      });
      this.markDirty(name);
    }
  }

  private markDirty(name: string): void {
    this.dirty.add(name);
    if (!this.saveTimer && !this.closed) {
      this.saveTimer = setTimeout(() => {
        this.saveTimer = undefined;
        this.flush().catch((error: Error) => this.options.onWarning?.('vector_save_failed', { error: error.message }));
      }, this.options.saveDelayMs ?? 1_000);
      this.saveTimer.unref();
    }
  }

  async flush(): Promise<void> {
    const names = [...this.dirty];
    this.dirty.clear();
    await mkdir(this.vectorDir, { recursive: true });
    for (const name of names) {
      const index = await this.loaded.get(name);
      if (index) await this.lock(name).run(() => index.save(this.vectorDir, name));
    }
  }

  async collections(): Promise<CollectionInfo[]> {
    let files: string[] = [];
    try {
      files = await readdir(this.vectorDir);
    } catch {
      files = [];
    }
    const names = new Set([
      ...files.filter((f) => f.endsWith('.manifest.json')).map((f) => f.slice(0, -'.manifest.json'.length)),
      ...this.loaded.keys(),
    ]);
    const out: CollectionInfo[] = [];
    for (const name of [...names].sort()) {
      const index = await this.collection(name);
      if (!index) continue;
      let bytes = 0;
      for (const suffix of ['.hnsw', '.vectors', '.items.json', '.manifest.json'])
        bytes += await stat(path.join(this.vectorDir, name + suffix)).then(
          (s) => s.size,
          () => 0,
        );
      out.push({
        name,
        embedder: index.embedder,
        dimension: index.settings.dimension,
        space: index.settings.space,
        count: index.count,
        loaded: true,
        bytesOnDisk: bytes,
      });
    }
    return out;
  }

  async indexDocuments(documents: readonly KnowledgeDocument[], options: IndexDocumentsOptions = {}): Promise<number> {
    if (documents.length === 0) {
      if (options.statements?.length) await (await this.graph()).write(options.statements);
      return 0;
    }
    const name = options.collection ?? defaultCollection;
    const embedder = await this.embedder();
    const index = await this.collection(name);
    if (!index) throw new KnowledgeError('NOT_FOUND', `no collection named "${name}"`);
    if (index.embedder !== embedder.name) {
      throw new KnowledgeError(
        'EMBEDDER_MISMATCH',
        `collection "${name}" was built with "${index.embedder}", but the configured embedder is "${embedder.name}"; rebuild it (knowledge-base_rebuild_index with reembed: true) before adding documents`,
      );
    }
    const booked = await this.checkQuotas(name, documents, options.statements, index.settings.dimension);
    const vectors = await embedder.embed(
      documents.map((d) => d.text),
      {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onUsage ? { onUsage: options.onUsage } : {}),
      },
    );
    const now = new Date().toISOString();
    // The graph first: it is the source of truth the index is reconciled against.
    const graph = await this.graph();
    await graph.write([
      ...(options.statements ?? []),
      {
        cypher:
          'UNWIND $rows AS r MERGE (d:Document {id: r.id}) SET d.collection = r.collection, d.namespace = r.namespace, d.type = r.type, d.text = r.text, d.ref = r.ref, d.updatedAt = r.at',
        params: {
          rows: documents.map((d) => ({
            id: d.id,
            collection: name,
            namespace: d.namespace,
            type: d.type,
            text: d.text,
            ref: d.ref ?? '',
            at: now,
          })),
        },
      },
    ]);
    if (this.graphBytesUsed !== undefined) this.graphBytesUsed += booked;
    await this.lock(name).run(() =>
      documents.forEach((d, i) => index.upsert(d.id, vectors[i]!, { namespace: d.namespace, type: d.type })),
    );
    this.markDirty(name);
    return documents.length;
  }

  /**
   * Refuses a write that would take the graph or the vectors past their quota; returns the graph
   * bytes it adds, booked once the write is done.
   */
  private async checkQuotas(
    collection: string,
    documents: readonly KnowledgeDocument[],
    statements: readonly Statement[] | undefined,
    dimension: number,
  ): Promise<number> {
    const quotas = { ...defaultStoreQuotas, ...this.options.quotas };
    await checkVectorQuota(this.vectorDir, quotas.vectorBytes, documents.length * (dimension * 4 + 64));
    // The graph quota is the memory's: facts and documents of the default collection. Other
    // collections (imports) are bounded by the vector quota.
    if (collection !== defaultCollection) return 0;
    let adding = 0;
    for (const d of documents) adding += graphBytesPerDocument(Buffer.byteLength(d.text));
    for (const statement of statements ?? []) adding += Math.round(JSON.stringify(statement.params ?? {}).length / 4);
    const used = await this.graphUsage(false);
    // The running total only grows between counts (a re-remembered fact is booked again), so it is
    // counted afresh before anything is refused.
    if (used + adding > quotas.graphBytes) checkGraphQuota(await this.graphUsage(true), quotas.graphBytes, adding);
    return adding;
  }

  /** Bytes of facts and documents in the graph: counted once, then kept up to date by the writes. */
  private async graphUsage(fresh: boolean): Promise<number> {
    if (fresh || this.graphBytesUsed === undefined) {
      const graph = await this.graph();
      const { rows } = await graph.read(
        'MATCH (d:Document) WHERE d.collection = $c RETURN sum(size(d.text)) AS text, count(d) AS documents',
        { c: defaultCollection },
        { maxRows: 1, timeoutMs: 60_000 },
      );
      const documents = Number(rows[0]?.documents ?? 0);
      const text = Number(rows[0]?.text ?? 0);
      this.graphBytesUsed =
        graphBytesPerDocument(text) - graphBytesPerDocument(0) + documents * graphBytesPerDocument(0);
    }
    return this.graphBytesUsed;
  }

  async removeDocuments(ids: readonly string[], collection = defaultCollection): Promise<number> {
    if (ids.length === 0) return 0;
    const graph = await this.graph();
    await graph.write([
      { cypher: 'UNWIND $ids AS id MATCH (d:Document {id: id}) DELETE d', params: { ids: [...ids] } },
    ]);
    this.graphBytesUsed = undefined; // counted afresh on the next write
    const index = await this.collection(collection);
    if (!index) return 0;
    const removed = await this.lock(collection).run(() => ids.filter((id) => index.remove(id)).length);
    if (removed) this.markDirty(collection);
    return removed;
  }

  async search(
    request: KnowledgeSearchRequest,
  ): Promise<{ hits: KnowledgeHit[]; embedder: string; collection: string }> {
    const name = request.collection ?? defaultCollection;
    const index = await this.collection(name);
    if (!index)
      throw new KnowledgeError(
        'NOT_FOUND',
        `no collection named "${name}"; list them with knowledge-base_list_collections`,
      );
    let vector: number[];
    let embedderName: string;
    if (request.vector) {
      vector = request.vector;
      embedderName = request.vectorEmbedder ?? index.embedder;
    } else {
      const embedder = await this.embedder();
      embedderName = embedder.name;
      if (embedderName !== index.embedder) {
        throw new KnowledgeError(
          'EMBEDDER_MISMATCH',
          `collection "${name}" was built with the embedder "${index.embedder}"; the configured embedder is "${embedderName}". Configure "${index.embedder}" again, search with a vector from it, or rebuild the collection with reembed: true`,
        );
      }
      [vector] = (await embedder.embed([request.query ?? ''], {
        ...(request.signal ? { signal: request.signal } : {}),
        ...(request.onUsage ? { onUsage: request.onUsage } : {}),
      })) as [number[]];
    }
    const hits = index.search(vector, request.k, {
      embedder: embedderName,
      ...(request.filter ? { filter: request.filter } : {}),
      ...(request.ef ? { ef: request.ef } : {}),
    });
    if (hits.length === 0) return { hits: [], embedder: embedderName, collection: name };
    const graph = await this.graph();
    const docs = await graph.read(
      'UNWIND $ids AS id MATCH (d:Document {id: id}) RETURN d.id AS id, d.text AS text, d.ref AS ref',
      { ids: hits.map((h) => h.id) },
      { maxRows: hits.length },
    );
    const byId = new Map(docs.rows.map((row) => [String(row.id), row]));
    return {
      hits: hits.map((hit) => {
        const doc = byId.get(hit.id);
        return {
          ...hit,
          ...(doc?.text ? { text: String(doc.text) } : {}),
          ...(doc?.ref ? { ref: String(doc.ref) } : {}),
        };
      }),
      embedder: embedderName,
      collection: name,
    };
  }

  async replaceCollection(
    name: string,
    settings: IndexSettings,
    items: PackedItems,
    options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
  ): Promise<VectorIndex> {
    checkName(name);
    await mkdir(this.vectorDir, { recursive: true });
    const quota = this.options.quotas?.vectorBytes ?? defaultStoreQuotas.vectorBytes;
    await checkVectorQuota(this.vectorDir, quota, items.vectors.byteLength + items.ids.length * 64);
    return this.lock(name).run(async () => {
      const index = await buildIndexInWorker({ settings, items, directory: this.vectorDir, name, ...options });
      this.loaded.set(name, Promise.resolve(index));
      this.dirty.delete(name);
      return index;
    });
  }

  async rebuild(
    name: string,
    options: {
      reembed?: boolean;
      m?: number;
      efConstruction?: number;
      onProgress?: (done: number, total: number) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<{ count: number; reembedded: boolean; elapsedMs: number }> {
    const started = performance.now();
    const index = await this.collection(name);
    const embedder = await this.embedder();
    let items: PackedItems;
    let settings: IndexSettings;
    const reembed = options.reembed === true || (name === defaultCollection && index?.embedder !== embedder.name);
    if (reembed) {
      const graph = await this.graph();
      const { rows } = await graph.read(
        'MATCH (d:Document) WHERE d.collection = $c RETURN d.id AS id, d.namespace AS namespace, d.type AS type, d.text AS text ORDER BY id',
        { c: name },
        { maxRows: 10_000_000, timeoutMs: 600_000 },
      );
      const vectors = new Float32Array(new SharedArrayBuffer(rows.length * embedder.dimension * 4));
      for (let i = 0; i < rows.length; i += 256) {
        options.signal?.throwIfAborted();
        const slice = rows.slice(i, i + 256);
        const embedded = await embedder.embed(
          slice.map((r) => String(r.text)),
          options.signal ? { signal: options.signal } : {},
        );
        embedded.forEach((v, j) => vectors.set(v, (i + j) * embedder.dimension));
        await new Promise((resolve) => setImmediate(resolve));
      }
      items = {
        ids: rows.map((r) => String(r.id)),
        namespaces: rows.map((r) => String(r.namespace)),
        types: rows.map((r) => String(r.type)),
        vectors,
      };
      settings = { space: 'cosine', dimension: embedder.dimension, embedder: embedder.name };
    } else {
      if (!index) throw new KnowledgeError('NOT_FOUND', `no collection named "${name}"`);
      items = await this.lock(name).run(() => index.pack(true));
      settings = {
        space: index.settings.space,
        dimension: index.settings.dimension,
        embedder: index.embedder,
        m: index.settings.m,
        efConstruction: index.settings.efConstruction,
        ef: index.settings.ef,
      };
    }
    if (options.m) settings.m = options.m;
    if (options.efConstruction) settings.efConstruction = options.efConstruction;
    const rebuilt = await this.replaceCollection(name, settings, items, options);
    return { count: rebuilt.count, reembedded: reembed, elapsedMs: performance.now() - started };
  }

  async verify(name: string): Promise<{ ok: boolean; problems: string[]; count: number; documents: number }> {
    const problems: string[] = [];
    await this.flush();
    let count = 0;
    if (await this.exists(name)) {
      try {
        count = (await VectorIndex.load(this.vectorDir, name, { verify: true })).count;
      } catch (error) {
        problems.push((error as Error).message);
      }
    } else {
      problems.push(`collection "${name}" has not been saved yet`);
    }
    const index = await this.collection(name).catch(() => undefined);
    let documents = 0;
    if (index) {
      const graph = await this.graph();
      const { rows } = await graph.read(
        'MATCH (d:Document) WHERE d.collection = $c RETURN d.id AS id',
        { c: name },
        { maxRows: 10_000_000, timeoutMs: 600_000 },
      );
      documents = rows.length;
      if (documents === 0 && name !== defaultCollection)
        return { ok: problems.length === 0, problems, count, documents };
      const missing = rows.filter((r) => !index.has(String(r.id))).length;
      if (missing) problems.push(`${missing} documents in the graph have no vector`);
      if (index.count !== documents) problems.push(`the index holds ${index.count} vectors for ${documents} documents`);
    }
    return { ok: problems.length === 0, problems, count, documents };
  }

  async dropCollection(name: string): Promise<boolean> {
    checkName(name);
    if (name === defaultCollection)
      throw new KnowledgeError(
        'BAD_INPUT',
        `"${defaultCollection}" holds the graph's documents and cannot be dropped; rebuild it instead`,
      );
    const { rm } = await import('node:fs/promises');
    const existed = await this.exists(name);
    await this.lock(name).run(async () => {
      this.loaded.delete(name);
      this.dirty.delete(name);
      // The manifest first: without it the pair is not a collection, whatever else remains.
      for (const suffix of ['.manifest.json', '.hnsw', '.vectors', '.items.json'])
        await rm(path.join(this.vectorDir, name + suffix), { force: true });
    });
    return existed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.flush().catch((error: Error) =>
      this.options.onWarning?.('vector_save_failed', { error: error.message }),
    );
    this.closed = true;
    const graph = await this.graphPromise?.catch(() => undefined);
    await graph?.close();
    const embedder = await this.embedderPromise?.catch(() => undefined);
    await (embedder as { close?: () => Promise<void> } | undefined)?.close?.();
  }
}

export function createKnowledgeStore(options: KnowledgeStoreOptions): KnowledgeStore {
  return new KnowledgeBase(options);
}
