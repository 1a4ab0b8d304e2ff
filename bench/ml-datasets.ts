// npm run bench:ml-datasets: ml_training_prepare_dataset on a cpe_entry-shaped PostgreSQL table of
// 100k × 768 real[] vectors (16-d real[] codes, a label), against a peer measured in the same run.
//  - ours: the tool's handler (pg-cursor batches of 1,000 rows streamed through spill files into
//    dataset.npz, the 80/10/10 .npy splits and sequences.npz with context 1);
//  - peer: the naive way: one SELECT of every row with node-postgres (its own real[] parsing), the
//    arrays built in memory, then the same files written from those buffers (yazl addBuffer).
// Each runs in a child process of its own, which reports its peak resident memory (VmHWM in
// /proc/self/status) and its wall time. The goal: 100k × 768 within 1 GiB. Both write the same
// vectors.npy bytes (the sha256 of that member is compared). The schema is dropped afterwards.
// Options: --rows N (default 100000), --dimension D (default 768). Heavy: run it on its own.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { round, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const url = process.env.CAELUM_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
function optionText(name: string): string {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) throw new Error(`--${name} is required`);
  return process.argv[at + 1]!;
}

async function peakRssMiB(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Child: our tool's handler, with only what it uses from a context. */
async function runOurs(table: string, out: string): Promise<Record<string, unknown>> {
  const { prepareDataset } = await import('../tools/ml-training/datasets/dataset-tool.js');
  const started = performance.now();
  const input = prepareDataset.input.parse({
    name: 'bench',
    table,
    idColumn: 'cpe_id',
    vectorColumn: 'concept_vec',
    codeColumn: 'tmd_code',
    labelColumn: 'dataset_source',
    textColumn: 'concept_text',
    batchSize: 1_000,
  });
  const noop = () => undefined;
  const logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  const context = {
    logger,
    clock: { now: () => performance.now() },
    signal: new AbortController().signal,
    progress: noop,
    environment: {
      dataDir: out,
      allowedRoots: [],
      services: { ollamaHosts: [], databaseUrl: url, claude: { keyConfigured: false, baseUrl: undefined, model: '' } },
      confidenceThreshold: 0.75,
      thresholds: { supervisors: {}, tools: {} },
      codeVersion: 'bench',
    },
  } as unknown as Parameters<typeof prepareDataset.handler>[1];
  const output = (await prepareDataset.handler(input, context)) as {
    rows: number;
    members: Record<string, { bytes: number; entries?: Record<string, { sha256: string }> }>;
  };
  const wallMs = performance.now() - started;
  return {
    wallMs,
    peakRssMiB: await peakRssMiB(),
    rows: output.rows,
    vectorsSha256: output.members['dataset.npz']!.entries!['vectors.npy']!.sha256,
    bytesWritten: Object.values(output.members).reduce((a, m) => a + m.bytes, 0),
  };
}

/** Child: the naive peer: everything in memory, then written. */
async function runPeer(table: string, out: string): Promise<Record<string, unknown>> {
  const pg = (await import('pg')).default;
  const yazl = (await import('yazl')).default;
  const { npyHeader } = await import('../tools/ml-training/datasets/npy-format.js');
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const result = await client.query<{
    cpe_id: string;
    concept_vec: number[];
    tmd_code: number[];
    dataset_source: string;
  }>(`SELECT cpe_id, concept_vec, tmd_code, dataset_source FROM ${table} ORDER BY cpe_id`);
  await client.end();
  const rows = result.rows.filter((r) => r.concept_vec && r.concept_vec.every(Number.isFinite));
  const n = rows.length;
  const d = rows[0]!.concept_vec.length;
  const k = rows[0]!.tmd_code.length;
  const vectors = new Float32Array(n * d);
  const codes = new Float32Array(n * k);
  rows.forEach((r, i) => {
    vectors.set(r.concept_vec, i * d);
    codes.set(r.tmd_code, i * k);
  });
  const width = Math.max(1, ...rows.map((r) => r.dataset_source.length));
  const labels = Buffer.alloc(n * width * 4);
  rows.forEach((r, i) => {
    [...r.dataset_source].forEach((ch, j) => labels.writeUInt32LE(ch.codePointAt(0)!, (i * width + j) * 4));
  });
  const idWidth = Math.max(1, ...rows.map((r) => r.cpe_id.length));
  const ids = Buffer.alloc(n * idWidth * 4);
  rows.forEach((r, i) => {
    [...r.cpe_id].forEach((ch, j) => ids.writeUInt32LE(ch.codePointAt(0)!, (i * idWidth + j) * 4));
  });
  const f32 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const npy = (dtype: Parameters<typeof npyHeader>[0], shape: number[], data: Buffer) =>
    Buffer.concat([npyHeader(dtype, shape), data]);
  const vectorsNpy = npy('<f4', [n, d], f32(vectors));
  const dir = path.join(out, 'peer');
  await mkdir(dir, { recursive: true });
  const zipTo = async (file: string, members: [string, Buffer][]) => {
    const zip = new yazl.ZipFile();
    for (const [name, data] of members) zip.addBuffer(data, `${name}.npy`, { compress: false });
    zip.end();
    await new Promise<void>((resolve, reject) => {
      zip.outputStream.pipe(createWriteStream(file)).on('close', resolve).on('error', reject);
    });
  };
  await zipTo(path.join(dir, 'dataset.npz'), [
    ['ids', npy(`<U${idWidth}`, [n], ids)],
    ['vectors', vectorsNpy],
    ['codes', npy('<f4', [n, k], f32(codes))],
    ['labels', npy(`<U${width}`, [n], labels)],
  ]);
  const train = Math.floor(n * 0.8);
  const validation = Math.floor(n * 0.1);
  const bounds: [string, string, number, number][] = [
    ['train', 'train', 0, train],
    ['validation', 'val', train, train + validation],
    ['test', 'test', train + validation, n],
  ];
  const sequences: [string, Buffer][] = [];
  for (const [split, suffix, first, end] of bounds) {
    const part = vectors.subarray(first * d, end * d);
    await writeFile(path.join(dir, `${split}.npy`), npy('<f4', [end - first, d], f32(part)));
    const m = Math.max(0, end - first - 1);
    sequences.push([`X_${suffix}`, npy('<f4', [m, 1, d], f32(vectors.slice(first * d, (first + m) * d)))]);
    sequences.push([`y_${suffix}`, npy('<f4', [m, d], f32(vectors.slice((first + 1) * d, end * d)))]);
  }
  await zipTo(path.join(dir, 'sequences.npz'), sequences);
  const wallMs = performance.now() - started;
  return {
    wallMs,
    peakRssMiB: await peakRssMiB(),
    rows: n,
    vectorsSha256: createHash('sha256').update(vectorsNpy).digest('hex'),
  };
}

async function fill(n: number, d: number): Promise<{ schema: string; fillMs: number }> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const schema = `caelum_bench_ds_${process.pid}`;
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    await client.query(
      `CREATE TABLE ${schema}.cpe_entry (cpe_id text PRIMARY KEY, concept_text text, concept_vec real[], tmd_code real[], dataset_source text)`,
    );
    const started = performance.now();
    for (let start = 0; start < n; start += 10_000) {
      await client.query(
        `INSERT INTO ${schema}.cpe_entry
           SELECT 'c' || lpad(i::text, 7, '0'), 'concept ' || i,
                  (SELECT array_agg(sin(i * 0.37 + j * ((i % 97) + 1) * 0.011)::real) FROM generate_series(1, $3::int) j),
                  (SELECT array_agg(cos(i * 0.13 + j)::real) FROM generate_series(1, 16) j),
                  CASE WHEN i % 3 = 0 THEN 'news' ELSE 'wiki' END
             FROM generate_series($1::int, $2::int) i`,
        [start + 1, Math.min(n, start + 10_000), d],
      );
    }
    return { schema, fillMs: performance.now() - started };
  } finally {
    await client.end();
  }
}

async function dropSchema(schema: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

function child(kind: 'ours' | 'peer', table: string, out: string): Record<string, unknown> {
  const text = execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'bench', 'ml-datasets.ts'), '--child', kind, '--table', table, '--out', out],
    { cwd: root, encoding: 'utf8', maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(text.trim().split('\n').pop()!) as Record<string, unknown>;
}

if (process.argv.includes('--child')) {
  const kind = optionText('child');
  const result = await (kind === 'ours' ? runOurs : runPeer)(optionText('table'), optionText('out'));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const n = option('rows', 100_000);
  const d = option('dimension', 768);
  let schema: string | undefined;
  const work = await mkdtemp(path.join(os.tmpdir(), 'caelum-bench-ds-'));
  try {
    process.stdout.write(`filling a cpe_entry table with ${n} × ${d} real[] rows…\n`);
    const filled = await fill(n, d);
    schema = filled.schema;
    const tableName = `${schema}.cpe_entry`;
    const ours = child('ours', tableName, path.join(work, 'ours'));
    const peer = child('peer', tableName, path.join(work, 'peer'));
    const limitMiB = 1024;
    const rows = [
      {
        approach: 'Caelum ml_training_prepare_dataset (pg-cursor 1,000-row batches, spill files, yazl streams)',
        rows: Number(ours.rows),
        seconds: round(Number(ours.wallMs) / 1000, 1),
        peakRssMiB: round(Number(ours.peakRssMiB), 0),
        within1GiB: Number(ours.peakRssMiB) <= limitMiB ? 'yes' : 'NO',
      },
      {
        approach: 'peer: one SELECT into memory (node-postgres array parsing), then write from buffers',
        rows: Number(peer.rows),
        seconds: round(Number(peer.wallMs) / 1000, 1),
        peakRssMiB: round(Number(peer.peakRssMiB), 0),
        within1GiB: Number(peer.peakRssMiB) <= limitMiB ? 'yes' : 'NO',
      },
    ];
    const same = ours.vectorsSha256 === peer.vectorsSha256;
    process.stdout.write(
      `\n${table(`dataset from PostgreSQL: ${n} × ${d} (table filled in ${round(filled.fillMs / 1000, 1)} s; ${os.cpus().length} CPUs, shared)`, rows)}` +
        `vectors.npy identical in both: ${same ? 'yes' : 'NO'} (sha256 ${String(ours.vectorsSha256).slice(0, 16)}…)\n`,
    );
    const out = path.join(root, 'bench', 'results');
    await mkdir(out, { recursive: true });
    await writeFile(
      path.join(out, 'ml-datasets.json'),
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          cpus: os.cpus().length,
          load: os.loadavg(),
          rows: n,
          dimension: d,
          fillMs: round(filled.fillMs),
          targetPeakRssMiB: limitMiB,
          ours: { ...ours, wallMs: round(Number(ours.wallMs)), peakRssMiB: round(Number(ours.peakRssMiB), 1) },
          peer: { ...peer, wallMs: round(Number(peer.wallMs)), peakRssMiB: round(Number(peer.peakRssMiB), 1) },
          vectorsIdentical: same,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    if (schema) await dropSchema(schema);
    await rm(work, { recursive: true, force: true });
  }
}
