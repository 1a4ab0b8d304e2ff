// A content-hash cache of per-file analyses, kept in memory for the life of the server and on disk
// under the data dir (one JSON file per project root, written temp-then-rename) so that a restart
// keeps it. A file is re-analysed only when its SHA-1 changes or the analysis version does.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { analysisVersion, type FileAnalysis } from './file-analysis.js';

interface CacheFile {
  version: number;
  root: string;
  entries: Record<string, { hash: string; analysis: FileAnalysis }>;
}

const memory = new Map<string, CacheFile>();
const pendingWrites = new Map<string, Promise<void>>();

export function contentHash(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function cachePath(dataDir: string, root: string): string {
  return path.join(dataDir, 'analysis-cache', `${contentHash(root).slice(0, 16)}.json`);
}

export class AnalysisCache {
  private dirty = false;
  hits = 0;
  misses = 0;

  private constructor(
    private readonly file: string,
    private readonly data: CacheFile,
  ) {}

  static async open(dataDir: string, root: string): Promise<AnalysisCache> {
    const file = cachePath(dataDir, root);
    await pendingWrites.get(file);
    let data = memory.get(file);
    if (!data) {
      try {
        const parsed = JSON.parse(await readFile(file, 'utf8')) as CacheFile;
        if (parsed.version === analysisVersion && parsed.root === root) data = parsed;
      } catch {
        // Missing or unreadable: start empty (a torn file cannot exist: writes are renamed into place).
      }
      data ??= { version: analysisVersion, root, entries: {} };
      memory.set(file, data);
    }
    return new AnalysisCache(file, data);
  }

  get(relative: string, hash: string): FileAnalysis | undefined {
    const entry = this.data.entries[relative];
    if (entry && entry.hash === hash) {
      this.hits++;
      return entry.analysis;
    }
    this.misses++;
    return undefined;
  }

  set(relative: string, hash: string, analysis: FileAnalysis): void {
    this.data.entries[relative] = { hash, analysis };
    this.dirty = true;
  }

  /** Drops entries for files that no longer exist (only after a full, unfiltered walk). */
  retainOnly(present: ReadonlySet<string>): void {
    for (const key of Object.keys(this.data.entries)) {
      if (!present.has(key)) {
        delete this.data.entries[key];
        this.dirty = true;
      }
    }
  }

  /** Writes the cache (serialised per file: the next open of the same root waits for it). */
  persist(): Promise<void> {
    if (!this.dirty) return Promise.resolve();
    this.dirty = false;
    const previous = pendingWrites.get(this.file) ?? Promise.resolve();
    const write = previous
      .then(async () => {
        await mkdir(path.dirname(this.file), { recursive: true });
        const temporary = `${this.file}.${process.pid}.tmp`;
        await writeFile(temporary, JSON.stringify(this.data));
        await rename(temporary, this.file);
      })
      .catch(() => {
        // The cache is an optimisation: a failed write costs a re-analysis, never a wrong result.
      });
    pendingWrites.set(this.file, write);
    return write;
  }
}

/** Forgets the in-memory copies (tests use this to exercise the disk path). */
export function clearMemoryCache(): void {
  memory.clear();
}
