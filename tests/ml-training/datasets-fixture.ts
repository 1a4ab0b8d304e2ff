// Shared pieces of the dataset tests: a suite that has ml_training_prepare_dataset and a configured
// PostgreSQL, exact float32 vectors, and numpy's own view of a written dataset (when numpy exists).
import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { prepareDataset } from '../../tools/ml-training/datasets/dataset-tool.js';
import type { AnyTool } from '../../tools/define-tool.js';
import { pgSchema, pgUrl, testSuite } from '../helpers.js';

export const toolName = 'ml_training_prepare_dataset';

/** A suite with the dataset tool registered (the lead wires it into the catalogue; tests need not wait). */
export async function datasetSuite(t: TestContext, options: { database?: boolean } = {}) {
  const suite = await testSuite(t, { env: options.database === false ? {} : { DATABASE_URL: pgUrl } });
  if (!suite.registry.get(toolName)) suite.registry.add(prepareDataset as unknown as AnyTool);
  return suite;
}

/** A fresh schema, or a skip with the reason when PostgreSQL is absent (CAELUM_REQUIRE_PG=1 fails instead). */
export async function schemaOrSkip(t: TestContext, prefix: string) {
  const pg = await pgSchema(t, prefix);
  if (!pg.ok) t.skip(pg.reason);
  return pg.ok ? pg : undefined;
}

/** Value j of row i: multiples of 1/1024, so float32 holds them exactly and every reader agrees. */
export function vectorOf(i: number, dimension: number, salt = 0): number[] {
  return Array.from({ length: dimension }, (_, j) => (((i * 31 + j * 17 + salt * 7) % 2001) - 1000) / 1024);
}

export function numpyMissing(): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'python3 with numpy is not available: the numpy read-back is not checked';
  }
}

const reader = `
import hashlib, json, sys, zipfile
import numpy as np
d, context = sys.argv[1], int(sys.argv[2])
def extra_ids(extra):
    ids, at = [], 0
    while at + 4 <= len(extra):
        ids.append(int.from_bytes(extra[at:at + 2], 'little'))
        at += 4 + int.from_bytes(extra[at + 2:at + 4], 'little')
    return ids
out = {'arrays': {}, 'inner': {}, 'files': {}}
ds = np.load(d + '/dataset.npz', allow_pickle=False)
seq = np.load(d + '/sequences.npz', allow_pickle=False)
for prefix, z in (('dataset.', ds), ('sequences.', seq)):
    for k in z.files:
        a = z[k]
        out['arrays'][prefix + k] = {'dtype': a.dtype.str, 'shape': list(a.shape)}
for split in ('train', 'validation', 'test'):
    a = np.load(d + '/' + split + '.npy', allow_pickle=False)
    out['arrays'][split] = {'dtype': a.dtype.str, 'shape': list(a.shape)}
V = ds['vectors']
out['ids'] = ds['ids'].tolist()
out['vectors'] = V.astype(np.float64).tolist()
out['codes'] = ds['codes'].astype(np.float64).tolist() if 'codes' in ds.files else None
out['labels'] = ds['labels'].tolist() if 'labels' in ds.files else None
out['texts'] = ds['texts'].tolist() if 'texts' in ds.files else None
parts = [np.load(d + '/' + s + '.npy') for s in ('train', 'validation', 'test')]
out['splitsConcatenate'] = bool(np.array_equal(np.concatenate(parts), V))
start, windowsOk = 0, True
for s, suffix in zip(parts, ('train', 'val', 'test')):
    X, y = seq['X_' + suffix], seq['y_' + suffix]
    for i in range(len(y)):
        windowsOk = windowsOk and np.array_equal(X[i], V[start + i:start + i + context]) and np.array_equal(y[i], V[start + i + context])
    windowsOk = windowsOk and len(y) == max(0, len(s) - context)
    start += len(s)
out['windowsOk'] = bool(windowsOk)
for f in ('dataset.npz', 'sequences.npz'):
    with zipfile.ZipFile(d + '/' + f) as z:
        out['inner'][f] = {i.filename: hashlib.sha256(z.read(i.filename)).hexdigest() for i in z.infolist()}
        out['stored'] = all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        out['zip64'] = all(1 in extra_ids(i.extra) for i in z.infolist())
for f in ('dataset.npz', 'sequences.npz', 'train.npy', 'validation.npy', 'test.npy'):
    out['files'][f] = hashlib.sha256(open(d + '/' + f, 'rb').read()).hexdigest()
print(json.dumps(out))
`;

export interface NumpyView {
  arrays: Record<string, { dtype: string; shape: number[] }>;
  inner: Record<string, Record<string, string>>;
  files: Record<string, string>;
  ids: (number | string)[];
  vectors: number[][];
  codes: number[][] | null;
  labels: string[] | null;
  texts: string[] | null;
  splitsConcatenate: boolean;
  windowsOk: boolean;
  stored: boolean;
  zip64: boolean;
}

export function readWithNumpy(directory: string, context: number): NumpyView {
  const text = execFileSync('python3', ['-c', reader, directory, String(context)], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  return JSON.parse(text) as NumpyView;
}

/**
 * The dataset the catalogue tools' examples name (example-vectors): a 40-item knowledge-store
 * collection of 4-d vectors prepared into the data dir by ml_training_prepare_dataset itself, so no
 * PostgreSQL is needed. Returns the tool's output (directory, splits, members).
 */
export async function seedDatasetExamples(suite: Awaited<ReturnType<typeof testSuite>>, name = 'example-vectors') {
  const ids = Array.from({ length: 40 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
  const vectors = new Float32Array(40 * 4);
  ids.forEach((_, i) => vectors.set(vectorOf(i, 4), i * 4));
  await suite.knowledge.replaceCollection(
    name,
    { space: 'l2', dimension: 4, embedder: 'fixture' },
    { ids, namespaces: ids.map(() => 'ns'), types: ids.map(() => 't'), vectors },
  );
  if (!suite.registry.get(toolName)) suite.registry.add(prepareDataset as unknown as AnyTool);
  const outcome = await suite.dispatcher.router.invoke(
    toolName,
    { collection: name, name, overwrite: true, context: 2 },
    suite.dispatcher.context({}),
  );
  if (!outcome.ok) throw new Error(`seeding ${name}: ${outcome.error.message}`);
  return outcome.output as {
    directory: string;
    rows: number;
    members: Record<string, { sha256: string; bytes: number }>;
  };
}
