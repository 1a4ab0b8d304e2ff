// ml_training_list_datasets and ml_training_verify_dataset: what ml_training_prepare_dataset left in
// <dataDir>/ml-training/datasets (rows, dimension, splits, source, size, from each manifest.json), and
// a dataset's files hashed again against the sha256 and size its manifest records. Every read goes
// through the confined layer; the hashing has a byte budget and stops when the call is cancelled.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import {
  ConfinedError,
  Confinement,
  readConfinedDirectory,
  readConfinedText,
  withConfinedReader,
} from '../../confined-fs.js';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { dataDirDatasets, resolveDataset } from './dataset-ref.js';

const splitCounts = z.object({ train: z.number().int(), validation: z.number().int(), test: z.number().int() });

interface ManifestMember {
  sha256?: unknown;
  bytes?: unknown;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

const count = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? value : undefined);

/** The facts of a manifest worth listing; undefined fields are left out. */
function summary(manifest: Record<string, unknown>) {
  const source = record(manifest.source);
  const members = record(manifest.members) ?? {};
  const splits = record(manifest.splits);
  const bytes = Object.values(members).reduce<number>((sum, member) => sum + (count(record(member)?.bytes) ?? 0), 0);
  const origin = typeof source?.table === 'string' ? source.table : source?.collection;
  return {
    ...(count(manifest.rows) !== undefined ? { rows: count(manifest.rows) } : {}),
    ...(count(manifest.dimension) !== undefined ? { dimension: count(manifest.dimension) } : {}),
    ...(count(manifest.context) !== undefined ? { context: count(manifest.context) } : {}),
    ...(splits &&
    count(splits.train) !== undefined &&
    count(splits.validation) !== undefined &&
    count(splits.test) !== undefined
      ? { splits: { train: count(splits.train)!, validation: count(splits.validation)!, test: count(splits.test)! } }
      : {}),
    ...(typeof source?.kind === 'string' ? { source: source.kind } : {}),
    ...(typeof origin === 'string' ? { from: origin } : {}),
    ...(typeof manifest.createdAt === 'string' ? { createdAt: manifest.createdAt } : {}),
    files: Object.keys(members).length,
    bytes,
  };
}

export const listDatasets = defineTool({
  name: 'ml_training_list_datasets',
  domain: 'ml-training',
  tags: ['dataset', 'datasets', 'list', 'npz', 'manifest', 'rows', 'splits', 'data dir'],
  requests: [
    'which datasets have I prepared',
    'list the datasets and their sizes',
    'how many rows does each dataset have',
  ],
  title: 'List the prepared datasets',
  description:
    "Lists the datasets available in the data dir (<dataDir>/ml-training/datasets), as ml_training_prepare_dataset exported them: for each its name, rows, vector dimension, sequence context, split sizes, where it came from (a PostgreSQL table or a collection), when it was made, and its files' total size, all from its manifest.json. A directory whose manifest is missing or unreadable is listed with the problem. Datasets written to an outputDir inside the roots are not listed (pass their path to ml_training_verify_dataset). Example: {}",
  kind: { effect: 'readOnly' },
  input: z.object({
    limit: z.number().int().min(1).max(1000).default(100).describe('At most this many datasets, by name.'),
  }),
  output: z.object({
    directory: z.string().describe('the data-dir datasets directory'),
    datasets: z.array(
      z.object({
        name: z.string(),
        directory: z.string(),
        rows: z.number().int().optional(),
        dimension: z.number().int().optional(),
        context: z.number().int().optional(),
        splits: splitCounts.optional(),
        source: z.string().optional().describe('postgres or collection'),
        from: z.string().optional().describe('the table or collection it was read from'),
        createdAt: z.string().optional(),
        files: z.number().int().optional(),
        bytes: z.number().int().optional(),
        problem: z.string().optional(),
      }),
    ),
    total: z.number().int(),
  }),
  examples: [{}],
  async handler(input, context) {
    const directory = dataDirDatasets(context.environment.dataDir);
    const confinement = await Confinement.of([directory], 'the data-dir datasets');
    // The directory does not exist until the first dataset is prepared.
    if (confinement.directories.length === 0) return { directory, datasets: [], total: 0 };
    const names = (await readConfinedDirectory(directory, confinement))
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
    const datasets = [];
    for (const name of names.slice(0, input.limit)) {
      context.signal.throwIfAborted();
      const dataset = path.join(directory, name);
      try {
        const manifest = record(
          JSON.parse(
            await readConfinedText(path.join(dataset, 'manifest.json'), confinement, { maxBytes: 16 * 1024 * 1024 }),
          ),
        );
        if (!manifest) throw new Error('manifest.json is not an object');
        datasets.push({ name, directory: dataset, ...summary(manifest) });
      } catch (error) {
        datasets.push({
          name,
          directory: dataset,
          problem: `no readable manifest.json (${(error as Error).message.slice(0, 200)}); prepare it again or remove it`,
        });
      }
    }
    return { directory, datasets, total: names.length };
  },
  summarize: (o) =>
    o.datasets.length === 0
      ? `no datasets in ${o.directory}; make one with ml_training_prepare_dataset`
      : [
          `${o.datasets.length} of ${o.total} datasets in ${o.directory}`,
          ...o.datasets.map((d) =>
            d.problem
              ? `  ${d.name}: ${d.problem}`
              : `  ${d.name}: ${d.rows ?? '?'} rows × ${d.dimension ?? '?'}${d.splits ? `, split ${d.splits.train}/${d.splits.validation}/${d.splits.test}` : ''}${d.from ? `, from ${d.source} ${d.from}` : ''}, ${d.files} files ${d.bytes} bytes${d.createdAt ? `, made ${d.createdAt}` : ''}`,
          ),
        ].join('\n'),
});

const hashChunk = 8 * 1024 * 1024;
const plainFileName = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const fileCheck = z.object({
  file: z.string(),
  status: z.enum(['ok', 'sha256_mismatch', 'size_mismatch', 'missing', 'unchecked', 'refused']),
  expectedSha256: z.string().optional(),
  actualSha256: z.string().optional(),
  expectedBytes: z.number().int().optional(),
  bytes: z.number().int().optional(),
  detail: z.string().optional(),
});
type FileCheck = z.input<typeof fileCheck>;

export const verifyDataset = defineTool({
  name: 'ml_training_verify_dataset',
  domain: 'ml-training',
  tags: ['dataset', 'verify', 'integrity', 'sha256', 'checksum', 'manifest', 'corruption', 'hash'],
  requests: [
    'check that the dataset files are not corrupted',
    'verify the checksums of my dataset files',
    'has anything in the concepts dataset changed since it was prepared',
  ],
  title: "Verify a dataset's files against its manifest",
  description:
    'Hashes every file a dataset\'s manifest.json lists (dataset.npz, the split .npy files, sequences.npz) and compares its sha256 and size with what the manifest recorded when ml_training_prepare_dataset wrote it: reports each file as ok, sha256_mismatch, size_mismatch or missing, and files in the directory the manifest does not list. The dataset is a name prepared into the data dir or a directory inside the allowed roots. Reads at most maxBytes (files past it are reported unchecked). Changes nothing; to rebuild, prepare it again with overwrite. Example: {"dataset": "concepts"}',
  kind: { effect: 'readOnly', idempotent: true },
  input: z.object({
    dataset: z
      .string()
      .min(1)
      .max(4096)
      .describe('A dataset name from ml_training_list_datasets, or a dataset directory inside the allowed roots.'),
    maxBytes: z
      .number()
      .int()
      .min(1)
      .max(1024 ** 4)
      .default(16 * 1024 ** 3)
      .describe('Hash at most this many bytes in all (default 16 GiB); larger files are reported unchecked.'),
  }),
  output: z.object({
    dataset: z.string(),
    directory: z.string(),
    ok: z.boolean().describe('every listed file present and matching, nothing left unchecked'),
    files: z.array(fileCheck),
    extraFiles: z.array(z.string()).describe('files in the directory that the manifest does not list'),
    bytesHashed: z.number().int(),
    durationMs: z.number(),
  }),
  examples: [{ dataset: 'example-vectors' }],
  async handler(input, context) {
    const started = Date.now();
    const ref = await resolveDataset(input.dataset, context.environment);
    const members = record(ref.manifest.members);
    if (!members || Object.keys(members).length === 0)
      throw new InputError(
        'dataset',
        `${input.dataset}/manifest.json lists no members with sha256, so there is nothing to verify; prepare it again with ml_training_prepare_dataset`,
      );
    const confinement = await Confinement.of([ref.directory], 'the dataset directory');
    const total = Object.values(members).reduce<number>((sum, m) => sum + (count(record(m)?.bytes) ?? 0), 0);
    let hashed = 0;
    const files: FileCheck[] = [];
    for (const [file, raw] of Object.entries(members)) {
      const member = (record(raw) ?? {}) as ManifestMember;
      const expectedSha256 = typeof member.sha256 === 'string' ? member.sha256 : undefined;
      const expectedBytes = count(member.bytes);
      const expected = {
        ...(expectedSha256 ? { expectedSha256 } : {}),
        ...(expectedBytes !== undefined ? { expectedBytes } : {}),
      };
      if (!plainFileName.test(file) || file === '..') {
        files.push({ file, status: 'refused', ...expected, detail: 'not a plain file name in the dataset directory' });
        continue;
      }
      try {
        const result = await withConfinedReader(path.join(ref.directory, file), confinement, async (reader) => {
          if (hashed + reader.size > input.maxBytes) return { bytes: reader.size, sha256: undefined };
          const hash = createHash('sha256');
          for (let offset = 0; offset < reader.size; offset += hashChunk) {
            context.signal.throwIfAborted();
            const chunk = await reader.read(offset, hashChunk);
            hash.update(chunk);
            hashed += chunk.length;
            context.progress(hashed, total, `hashing ${file}`);
          }
          return { bytes: reader.size, sha256: hash.digest('hex') };
        });
        if (result.sha256 === undefined) {
          files.push({
            file,
            status: 'unchecked',
            ...expected,
            bytes: result.bytes,
            detail: `past the maxBytes budget of ${input.maxBytes}; raise maxBytes to hash it`,
          });
          continue;
        }
        const status =
          expectedBytes !== undefined && expectedBytes !== result.bytes
            ? 'size_mismatch'
            : expectedSha256 !== undefined && expectedSha256 !== result.sha256
              ? 'sha256_mismatch'
              : 'ok';
        files.push({ file, status, ...expected, actualSha256: result.sha256, bytes: result.bytes });
      } catch (error) {
        if (!(error instanceof ConfinedError)) throw error;
        files.push({
          file,
          status: error.reason === 'missing' ? 'missing' : 'refused',
          ...expected,
          detail: `${file} ${error.detail}`.slice(0, 300),
        });
      }
    }
    const listed = new Set([...Object.keys(members), 'manifest.json']);
    const extraFiles = (await readConfinedDirectory(ref.directory, confinement))
      .filter((entry) => !listed.has(entry.name))
      .map((entry) => entry.name)
      .sort()
      .slice(0, 100);
    return {
      dataset: input.dataset,
      directory: ref.directory,
      ok: files.every((f) => f.status === 'ok'),
      files,
      extraFiles,
      bytesHashed: hashed,
      durationMs: Date.now() - started,
    };
  },
  summarize: (o) =>
    [
      `${o.dataset} (${o.directory}): ${o.ok ? 'every file matches its manifest' : 'NOT intact'}; hashed ${o.bytesHashed} bytes in ${Math.round(o.durationMs)} ms`,
      ...o.files.map(
        (f) =>
          `  ${f.file}: ${f.status}${f.status === 'sha256_mismatch' ? ` (manifest ${f.expectedSha256?.slice(0, 12)}…, now ${f.actualSha256?.slice(0, 12)}…)` : ''}${f.status === 'size_mismatch' ? ` (manifest ${f.expectedBytes} bytes, now ${f.bytes})` : ''}${f.detail ? `: ${f.detail}` : ''}`,
      ),
      ...(o.extraFiles.length ? [`  not in the manifest: ${o.extraFiles.join(', ')}`] : []),
    ].join('\n'),
});

export const datasetCatalogTools = [listDatasets, verifyDataset];
