// An HNSW vector index (hnswlib-node) with string ids, namespace/type metadata, updates and deletes,
// filtered search, and persistence as an index file plus a manifest (embedder, dimension, space,
// count, checksum). A filter that leaves at most `exactScanLimit` candidates is answered by an
// exact scan over a Float32Array copy of the vectors: the JS filter callback inside hnswlib runs at
// about 50 QPS at 1% selectivity, the scan at thousands, with recall 1.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import { KnowledgeError } from '../knowledge-error.js';

export type Space = 'cosine' | 'ip' | 'l2';

export interface ItemMeta {
  namespace: string;
  type: string;
}

export interface SearchHit extends ItemMeta {
  id: string;
  /** Similarity: 1 − cosine distance, the inner product, or −L2², so higher is always better. */
  score: number;
}

export interface SearchOptions {
  embedder: string;
  filter?: Partial<ItemMeta>;
  ef?: number;
}

export interface IndexSettings {
  space: Space;
  dimension: number;
  embedder: string;
  capacity?: number;
  m?: number;
  efConstruction?: number;
  ef?: number;
}

interface Manifest {
  format: 'caelum-vector-index';
  formatVersion: 1 | 2;
  embedder: string;
  dimension: number;
  space: Space;
  count: number;
  capacity: number;
  m: number;
  efConstruction: number;
  ef: number;
  checksum: string;
  vectorsChecksum: string;
  /** File sizes, checked on every load; the checksums are checked by verify (and load with verify). */
  indexBytes?: number;
  vectorsBytes?: number;
  /** v1 kept the items here; v2 keeps them in <name>.items.json, read in parallel with the rest. */
  items?: [id: string, label: number, namespace: string, type: string][];
  itemsBytes?: number;
  savedAt: string;
}

export const exactScanLimit = 20_000;

interface ItemColumns {
  ids: string[];
  labels: number[];
  namespaces: string[];
  namespaceCodes: number[];
  types: string[];
  typeCodes: number[];
}

export class VectorIndex {
  private index: hnswlib.HierarchicalNSW;
  private labels = new Map<string, number>();
  private items: ({ id: string } & ItemMeta)[] = [];
  private vectors: Float32Array;
  private capacity: number;
  private readonly free: number[] = [];
  /** Labels by namespace and by type, so a filter finds its candidates without a full pass. */
  private readonly byNamespace = new Map<string, Set<number>>();
  private readonly byType = new Map<string, Set<number>>();
  private live = 0;

  private constructor(
    readonly settings: Required<IndexSettings>,
    index?: hnswlib.HierarchicalNSW,
    vectors?: Float32Array,
  ) {
    this.capacity = settings.capacity;
    this.vectors =
      vectors && vectors.length >= this.capacity * settings.dimension
        ? vectors
        : new Float32Array(this.capacity * settings.dimension);
    if (vectors && vectors !== this.vectors) this.vectors.set(vectors);
    this.index = index ?? new hnswlib.HierarchicalNSW(settings.space, settings.dimension);
    // Freed labels are reused in place (addPoint on a deleted label unmarks and updates it), so
    // hnswlib's own replace-deleted mode, which relabels arbitrary slots, stays off.
    if (!index) this.index.initIndex(this.capacity, settings.m, settings.efConstruction, 100, false);
    this.index.setEf(settings.ef);
  }

  static create(settings: IndexSettings): VectorIndex {
    return new VectorIndex({ capacity: 1024, m: 16, efConstruction: 200, ef: 64, ...settings });
  }

  get count(): number {
    return this.live;
  }

  get embedder(): string {
    return this.settings.embedder;
  }

  private check(vector: readonly number[], what: string): void {
    if (vector.length !== this.settings.dimension)
      throw new KnowledgeError(
        'DIMENSION_MISMATCH',
        `${what} has ${vector.length} dimensions; this index holds ${this.settings.dimension}`,
      );
  }

  private normalise(vector: readonly number[]): number[] {
    if (this.settings.space !== 'cosine') return vector as number[];
    let norm = 0;
    for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
    // Embedders mostly return unit vectors already: no copy then.
    if (Math.abs(norm - 1) < 1e-6) return vector as number[];
    norm = Math.sqrt(norm) || 1;
    return vector.map((v) => v / norm);
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.index.resizeIndex(capacity);
    const vectors = new Float32Array(capacity * this.settings.dimension);
    vectors.set(this.vectors);
    this.vectors = vectors;
    this.capacity = capacity;
  }

  /** Adds or replaces an item. */
  upsert(id: string, vector: readonly number[], meta: ItemMeta): void {
    this.check(vector, `vector for ${id}`);
    const stored = this.normalise(vector);
    const existing = this.labels.get(id);
    let label: number;
    if (existing !== undefined) {
      label = existing;
    } else {
      label = this.free.pop() ?? this.items.length;
      if (label >= this.capacity) this.grow();
      this.labels.set(id, label);
      this.live++;
    }
    this.index.addPoint(stored, label);
    const previous = this.items[label];
    if (previous && previous.id === id) this.unindex(label, previous);
    this.items[label] = { id, ...meta };
    this.reindex(label, meta);
    this.vectors.set(stored, label * this.settings.dimension);
  }

  remove(id: string): boolean {
    const label = this.labels.get(id);
    if (label === undefined) return false;
    this.index.markDelete(label);
    this.unindex(label, this.items[label]!);
    this.labels.delete(id);
    this.free.push(label);
    this.live--;
    return true;
  }

  private reindex(label: number, meta: ItemMeta): void {
    let ns = this.byNamespace.get(meta.namespace);
    if (!ns) this.byNamespace.set(meta.namespace, (ns = new Set()));
    ns.add(label);
    let ty = this.byType.get(meta.type);
    if (!ty) this.byType.set(meta.type, (ty = new Set()));
    ty.add(label);
  }

  private unindex(label: number, meta: ItemMeta): void {
    this.byNamespace.get(meta.namespace)?.delete(label);
    this.byType.get(meta.type)?.delete(label);
  }

  has(id: string): boolean {
    return this.labels.has(id);
  }

  /** The stored (normalised) vector of an item. */
  vectorOf(id: string): number[] | undefined {
    const label = this.labels.get(id);
    if (label === undefined) return undefined;
    const d = this.settings.dimension;
    return Array.from(this.vectors.subarray(label * d, (label + 1) * d));
  }

  metaOf(id: string): ItemMeta | undefined {
    const label = this.labels.get(id);
    if (label === undefined) return undefined;
    const item = this.items[label]!;
    return { namespace: item.namespace, type: item.type };
  }

  ids(): string[] {
    return [...this.labels.keys()];
  }

  /** Live items packed densely (deleted slots dropped), into shared memory when asked. */
  pack(shared = false): PackedItems {
    const d = this.settings.dimension;
    const n = this.labels.size;
    const buffer = shared ? new SharedArrayBuffer(n * d * 4) : new ArrayBuffer(n * d * 4);
    const vectors = new Float32Array(buffer);
    const ids: string[] = [];
    const namespaces: string[] = [];
    const types: string[] = [];
    let row = 0;
    for (const [id, label] of this.labels) {
      const item = this.items[label]!;
      ids.push(id);
      namespaces.push(item.namespace);
      types.push(item.type);
      vectors.set(this.vectors.subarray(label * d, (label + 1) * d), row * d);
      row++;
    }
    return { ids, namespaces, types, vectors };
  }

  /** Index statistics for status tools. */
  stats() {
    return { ...this.settings, count: this.live, capacity: this.capacity, deletedSlots: this.free.length };
  }

  private score(distance: number): number {
    return this.settings.space === 'l2' ? -distance : 1 - distance;
  }

  search(query: readonly number[], k: number, options: SearchOptions): SearchHit[] {
    if (options.embedder !== this.settings.embedder) {
      throw new KnowledgeError(
        'EMBEDDER_MISMATCH',
        `this index was built with the embedder "${this.settings.embedder}"; the query was embedded with "${options.embedder}". Re-embed the query with "${this.settings.embedder}" or rebuild the index`,
      );
    }
    this.check(query, 'the query');
    if (this.live === 0) return [];
    const q = this.normalise(query);
    const filter = options.filter;
    const wanted = filter && (filter.namespace !== undefined || filter.type !== undefined) ? filter : undefined;
    if (wanted) {
      const empty = new Set<number>();
      const sets = [
        wanted.namespace !== undefined ? (this.byNamespace.get(wanted.namespace) ?? empty) : undefined,
        wanted.type !== undefined ? (this.byType.get(wanted.type) ?? empty) : undefined,
      ]
        .filter((set): set is Set<number> => set !== undefined)
        .sort((a, b) => a.size - b.size);
      const [smallest, ...others] = sets as [Set<number>, ...Set<number>[]];
      if (smallest.size <= exactScanLimit) {
        if (others.length === 0) return this.exact(q, k, smallest);
        const candidates: number[] = [];
        for (const label of smallest) if (others.every((set) => set.has(label))) candidates.push(label);
        return this.exact(q, k, candidates);
      }
      const accept = (label: number) => sets.every((set) => set.has(label));
      return this.hnsw(q, k, Math.max(options.ef ?? this.settings.ef, k * 8), accept);
    }
    return this.hnsw(q, k, Math.max(options.ef ?? this.settings.ef, k));
  }

  private currentEf = -1;

  private hnsw(q: number[], k: number, ef: number, accept?: (label: number) => boolean): SearchHit[] {
    if (ef !== this.currentEf) {
      this.index.setEf(ef);
      this.currentEf = ef;
    }
    const found = this.index.searchKnn(q, Math.min(k, this.live), accept);
    return found.neighbors.map((label, i) => {
      const item = this.items[label]!;
      return { id: item.id, namespace: item.namespace, type: item.type, score: this.score(found.distances[i]!) };
    });
  }

  /** Exact top-k over candidate labels: unrolled dot products and a k-slot insertion list, no sort. */
  private exact(q: number[], k: number, labels: Iterable<number>): SearchHit[] {
    const d = this.settings.dimension;
    const vectors = this.vectors;
    const query = Float64Array.from(q);
    const l2 = this.settings.space === 'l2';
    const topLabels = new Int32Array(k).fill(-1);
    const topScores = new Float64Array(k).fill(-Infinity);
    let filled = 0;
    for (const label of labels) {
      const o = label * d;
      let score = 0;
      let i = 0;
      if (l2) {
        for (; i < d; i++) {
          const diff = vectors[o + i]! - query[i]!;
          score -= diff * diff;
        }
      } else {
        for (; i + 3 < d; i += 4)
          score +=
            vectors[o + i]! * query[i]! +
            vectors[o + i + 1]! * query[i + 1]! +
            vectors[o + i + 2]! * query[i + 2]! +
            vectors[o + i + 3]! * query[i + 3]!;
        for (; i < d; i++) score += vectors[o + i]! * query[i]!;
      }
      if (filled < k || score > topScores[k - 1]!) {
        let at = Math.min(filled, k - 1);
        while (at > 0 && topScores[at - 1]! < score) {
          topScores[at] = topScores[at - 1]!;
          topLabels[at] = topLabels[at - 1]!;
          at--;
        }
        topScores[at] = score;
        topLabels[at] = label;
        if (filled < k) filled++;
      }
    }
    const hits: SearchHit[] = [];
    for (let r = 0; r < filled; r++) {
      const item = this.items[topLabels[r]!]!;
      hits.push({ id: item.id, namespace: item.namespace, type: item.type, score: topScores[r]! });
    }
    return hits;
  }

  private columns(): ItemColumns {
    const namespaces: string[] = [];
    const types: string[] = [];
    const code = (dict: string[], value: string) => {
      let at = dict.indexOf(value);
      if (at < 0) at = dict.push(value) - 1;
      return at;
    };
    const columns: ItemColumns = { ids: [], labels: [], namespaces, namespaceCodes: [], types, typeCodes: [] };
    for (const [id, label] of this.labels) {
      const item = this.items[label]!;
      columns.ids.push(id);
      columns.labels.push(label);
      columns.namespaceCodes.push(code(namespaces, item.namespace));
      columns.typeCodes.push(code(types, item.type));
    }
    return columns;
  }

  /** Writes the index, the vectors and the manifest, each through a temp file and a rename. */
  async save(directory: string, name: string): Promise<void> {
    await mkdir(directory, { recursive: true });
    const indexFile = path.join(directory, `${name}.hnsw`);
    const vectorsFile = path.join(directory, `${name}.vectors`);
    await this.index.writeIndex(`${indexFile}.tmp`);
    const indexBytes = await readFile(`${indexFile}.tmp`);
    const vectorBytes = Buffer.from(
      this.vectors.buffer,
      this.vectors.byteOffset,
      this.items.length * this.settings.dimension * 4,
    );
    await writeFile(`${vectorsFile}.tmp`, vectorBytes);
    // Items column by column, namespaces and types dictionary-coded: parses several times faster.
    const itemsFile = path.join(directory, `${name}.items.json`);
    const itemsText = JSON.stringify(this.columns());
    await writeFile(`${itemsFile}.tmp`, itemsText);
    const manifest: Manifest = {
      format: 'caelum-vector-index',
      formatVersion: 2,
      embedder: this.settings.embedder,
      dimension: this.settings.dimension,
      space: this.settings.space,
      count: this.live,
      capacity: this.capacity,
      m: this.settings.m,
      efConstruction: this.settings.efConstruction,
      ef: this.settings.ef,
      checksum: createHash('sha256').update(indexBytes).digest('hex'),
      vectorsChecksum: createHash('sha256').update(vectorBytes).digest('hex'),
      indexBytes: indexBytes.byteLength,
      vectorsBytes: vectorBytes.byteLength,
      itemsBytes: Buffer.byteLength(itemsText),
      savedAt: new Date().toISOString(),
    };
    await rename(`${indexFile}.tmp`, indexFile);
    await rename(`${itemsFile}.tmp`, itemsFile);
    await rename(`${vectorsFile}.tmp`, vectorsFile);
    const manifestFile = path.join(directory, `${name}.manifest.json`);
    await writeFile(`${manifestFile}.tmp`, JSON.stringify(manifest));
    await rename(`${manifestFile}.tmp`, manifestFile); // the manifest last: it names a complete pair
  }

  /**
   * Adopts an index a worker has just built and saved, without blocking the event loop for long:
   * hnswlib reads its file on the libuv pool, the vectors are the worker's shared memory (already
   * normalised, row i = label i), and the id map is filled in slices that yield between them.
   */
  static async adoptBuild(
    directory: string,
    name: string,
    settings: IndexSettings,
    items: PackedItems,
  ): Promise<VectorIndex> {
    const full = { capacity: 1024, m: 16, efConstruction: 200, ef: 64, ...settings };
    const index = new hnswlib.HierarchicalNSW(full.space, full.dimension);
    await index.readIndex(path.join(directory, `${name}.hnsw`), false);
    const adopted = new VectorIndex({ ...full, capacity: index.getMaxElements() }, index, items.vectors);
    const slice = 4_000; // about 7 ms of work between yields at 100k items
    for (let start = 0; start < items.ids.length; start += slice) {
      const end = Math.min(items.ids.length, start + slice);
      for (let label = start; label < end; label++) {
        adopted.labels.set(items.ids[label]!, label);
        adopted.items[label] = {
          id: items.ids[label]!,
          namespace: items.namespaces[label]!,
          type: items.types[label]!,
        };
        adopted.reindex(label, adopted.items[label]!);
      }
      if (end < items.ids.length) await new Promise((resolve) => setImmediate(resolve));
    }
    adopted.live = items.ids.length;
    return adopted;
  }

  /**
   * Loads an index. File sizes are always checked against the manifest (the files are written to
   * temp names and renamed, so a torn write cannot look complete); `verify` also checks the SHA-256
   * checksums, which costs about a second per 300 MB and is what knowledge_base_verify_index does.
   */
  static async load(directory: string, name: string, options: { verify?: boolean } = {}): Promise<VectorIndex> {
    const manifestFile = path.join(directory, `${name}.manifest.json`);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
    } catch (error) {
      throw new KnowledgeError('NOT_FOUND', `no readable index manifest at ${manifestFile}`, { cause: error });
    }
    if (manifest.format !== 'caelum-vector-index')
      throw new KnowledgeError('INDEX_CORRUPT', `${manifestFile} is not a Caelum vector index manifest`);
    const indexFile = path.join(directory, `${name}.hnsw`);
    const vectorsFile = path.join(directory, `${name}.vectors`);
    const [indexSize, vectorsSize] = await Promise.all([
      stat(indexFile).then(
        (s) => s.size,
        () => -1,
      ),
      stat(vectorsFile).then(
        (s) => s.size,
        () => -1,
      ),
    ]);
    if (indexSize < 0 || vectorsSize < 0)
      throw new KnowledgeError(
        'INDEX_CORRUPT',
        `${name}: the manifest names files that are missing; rebuild the index`,
      );
    if (
      (manifest.indexBytes !== undefined && manifest.indexBytes !== indexSize) ||
      (manifest.vectorsBytes !== undefined && manifest.vectorsBytes !== vectorsSize)
    ) {
      throw new KnowledgeError(
        'INDEX_CORRUPT',
        `${name}: the index files do not have the sizes its manifest records; rebuild the index`,
      );
    }
    if (options.verify || manifest.indexBytes === undefined) {
      const indexBytes = await readFile(indexFile);
      if (createHash('sha256').update(indexBytes).digest('hex') !== manifest.checksum)
        throw new KnowledgeError(
          'INDEX_CORRUPT',
          `${indexFile} does not match its manifest's checksum; rebuild the index`,
        );
      const vectorBytes = await readFile(vectorsFile);
      if (createHash('sha256').update(vectorBytes).digest('hex') !== manifest.vectorsChecksum)
        throw new KnowledgeError(
          'INDEX_CORRUPT',
          `${name}.vectors does not match its manifest's checksum; rebuild the index`,
        );
    }
    // The graph file, the vectors and the items load in parallel: hnswlib reads on the libuv pool,
    // the vectors go straight into the index's own array, the items parse meanwhile.
    const capacity = manifest.capacity;
    const vectors = new Float32Array(Math.max(capacity * manifest.dimension, vectorsSize / 4));
    const index = new hnswlib.HierarchicalNSW(manifest.space, manifest.dimension);
    const itemsFile = path.join(directory, `${name}.items.json`);
    const reads = Promise.all([
      index.readIndex(indexFile, false),
      (async () => {
        const handle = await open(vectorsFile, 'r');
        try {
          await handle.read(new Uint8Array(vectors.buffer, 0, vectorsSize), 0, vectorsSize, 0);
        } finally {
          await handle.close();
        }
      })(),
    ]);
    reads.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    // Meanwhile, on this thread: the items and their lookup structures.
    let columns: ItemColumns | undefined;
    if (!manifest.items) {
      let text: string;
      try {
        text = await readFile(itemsFile, 'utf8');
      } catch (error) {
        throw new KnowledgeError('INDEX_CORRUPT', `${name}.items.json is missing or unreadable; rebuild the index`, {
          cause: error,
        });
      }
      if (manifest.itemsBytes !== undefined && Buffer.byteLength(text) !== manifest.itemsBytes)
        throw new KnowledgeError(
          'INDEX_CORRUPT',
          `${name}.items.json does not have the size its manifest records; rebuild the index`,
        );
      columns = JSON.parse(text) as ItemColumns;
    }
    const labels = new Map<string, number>();
    const items: ({ id: string } & ItemMeta)[] = [];
    const byNamespace = new Map<string, Set<number>>();
    const byType = new Map<string, Set<number>>();
    let highest = -1;
    const add = (id: string, label: number, namespace: string, type: string) => {
      labels.set(id, label);
      items[label] = { id, namespace, type };
      let ns = byNamespace.get(namespace);
      if (!ns) byNamespace.set(namespace, (ns = new Set()));
      ns.add(label);
      let ty = byType.get(type);
      if (!ty) byType.set(type, (ty = new Set()));
      ty.add(label);
      if (label > highest) highest = label;
    };
    if (manifest.items) for (const [id, label, namespace, type] of manifest.items) add(id, label, namespace, type);
    else
      for (let i = 0; i < columns!.ids.length; i++)
        add(
          columns!.ids[i]!,
          columns!.labels[i]!,
          columns!.namespaces[columns!.namespaceCodes[i]!]!,
          columns!.types[columns!.typeCodes[i]!]!,
        );
    await reads;
    const loaded = new VectorIndex(
      {
        space: manifest.space,
        dimension: manifest.dimension,
        embedder: manifest.embedder,
        capacity: Math.max(capacity, index.getMaxElements()),
        m: manifest.m,
        efConstruction: manifest.efConstruction,
        ef: manifest.ef,
      },
      index,
      vectors,
    );
    loaded.labels = labels;
    loaded.items = items;
    for (const [k, v] of byNamespace) loaded.byNamespace.set(k, v);
    for (const [k, v] of byType) loaded.byType.set(k, v);
    loaded.live = labels.size;
    for (let label = 0; label <= highest; label++) if (!loaded.items[label]) loaded.free.push(label);
    loaded.items.length = highest + 1;
    return loaded;
  }
}

/** Every live item of an index, packed for a rebuild (in a worker) or an export. */
export interface PackedItems {
  ids: string[];
  namespaces: string[];
  types: string[];
  /** ids.length × dimension floats, row-major. */
  vectors: Float32Array;
}
