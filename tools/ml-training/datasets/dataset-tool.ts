// ml_training_prepare_dataset: a PostgreSQL table (or a knowledge-store collection) of vectors to a
// dataset directory that numpy reads: dataset.npz, the in-order 80/10/10 split, next-vector sequences
// and a manifest with sha256 per member. Streamed end to end, so memory does not grow with the rows.
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { resolveInsideRoots } from '../../roots.js';
import type { ToolContext } from '../../context.js';
import { DatasetWriter, skipReasons, writeSteps, type WrittenDataset } from './dataset-writer.js';
import { readPostgresRows, whereOperators, type PostgresDatasetQuery } from './postgres-source.js';
import { readCollectionRows } from './collection-source.js';

const datasetName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const splitCounts = z.object({ train: z.number().int(), validation: z.number().int(), test: z.number().int() });
const fileEntry = z.object({
  sha256: z.string(),
  bytes: z.number().int(),
  shape: z.array(z.number().int()).optional(),
  dtype: z.string().optional(),
  entries: z
    .record(
      z.string(),
      z.object({ sha256: z.string(), bytes: z.number().int(), shape: z.array(z.number().int()), dtype: z.string() }),
    )
    .optional(),
});

/** Where the dataset goes: outputDir inside the allowed roots (its parent must exist), or the data dir. */
async function targetDirectory(
  input: { outputDir?: string | undefined; name: string },
  context: ToolContext,
): Promise<string> {
  if (input.outputDir === undefined)
    return path.join(context.environment.dataDir, 'ml-training', 'datasets', input.name);
  const roots = context.environment.allowedRoots;
  // Resolve first (so "a/b/.." is "a"), then split into the parent, checked inside the roots, and the name.
  const requested = path.resolve(roots[0] ?? '.', input.outputDir);
  const base = path.basename(requested);
  if (base === '' || roots.some((root) => path.resolve(root) === requested))
    throw new InputError('outputDir', 'name a new directory for the dataset, not a root itself');
  // The parent of the resolved path, written as given (relative to the first root, or absolute).
  const parentDir = path.isAbsolute(input.outputDir)
    ? path.dirname(requested)
    : path.relative(path.resolve(roots[0] ?? '.'), path.dirname(requested)) || '.';
  const parent = await resolveInsideRoots(parentDir, roots, 'outputDir');
  if (!parent.isDirectory) throw new InputError('outputDir', `${parentDir} is not a directory`);
  const target = path.join(parent.absolute, base);
  return target;
}

export const prepareDataset = defineTool({
  name: 'ml_training_prepare_dataset',
  domain: 'ml-training',
  tags: ['dataset', 'postgres', 'vectors', 'npz', 'numpy', 'export', 'sequences', 'split', 'cpe_entry', 'collection'],
  requests: [
    'export the concept vectors from postgres to numpy',
    'make a training set from the cpe_entry table',
    'build next-vector sequences for training',
    'dump a vector collection to an npz file',
    'prepare a dataset with an 80/10/10 split',
    'turn a table of embeddings into train validation and test files',
  ],
  title: 'Prepare a vector dataset from PostgreSQL or a collection',
  description:
    'Streams vectors from a PostgreSQL table (real[], double precision[], numeric[], pgvector or vector text such as "[0.1, 0.2]") or from a knowledge-store collection into a dataset directory: dataset.npz (ids, vectors float32, optional codes and labels), train/validation/test.npy split in row order 80/10/10, sequences.npz (windows of `context` vectors → the next vector, inside each split) and manifest.json (SQL and parameters, rows, skipped rows by reason, dimension, sha256 of every member). Rows with a NULL, unparseable, non-finite or wrong-dimension vector are counted and skipped. Give columns and a structured filter, never SQL. Use it before training; it does not train. Example: {"table": "public.cpe_entry", "idColumn": "cpe_id", "vectorColumn": "concept_vec", "where": [{"column": "dataset_source", "op": "=", "value": "wiki"}], "limit": 100000, "context": 4}',
  kind: { effect: 'action' },
  input: z.object({
    name: z
      .string()
      .regex(datasetName, 'letters, digits, "_", "." and "-", up to 64 characters')
      .optional()
      .describe(
        'Dataset name (the directory under <dataDir>/ml-training/datasets); default the table or collection name.',
      ),
    table: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('PostgreSQL table or view, optionally schema-qualified (public.cpe_entry); give this or collection.'),
    collection: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
      .optional()
      .describe('A knowledge-store vector collection to export instead of a table.'),
    idColumn: z.string().min(1).max(63).default('id').describe('Column with the row id; default "id".'),
    vectorColumn: z
      .string()
      .min(1)
      .max(63)
      .optional()
      .describe('Column with the vector: real[], double precision[], numeric[], pgvector, or text "[…]" / "{…}".'),
    codeColumn: z
      .string()
      .min(1)
      .max(63)
      .optional()
      .describe('Optional second vector column (e.g. a 16-d code), stored as codes [rows, k] float32.'),
    labelColumn: z.string().min(1).max(63).optional().describe('Optional label column, stored as labels (unicode).'),
    textColumn: z
      .string()
      .min(1)
      .max(63)
      .optional()
      .describe('Optional text column: its non-empty rows are counted; stored as texts only with keepTexts.'),
    keepTexts: z
      .boolean()
      .default(false)
      .describe('Store textColumn as a fixed-width unicode member "texts" (width = the longest text).'),
    where: z
      .array(
        z.object({
          column: z.string().min(1).max(63).describe('Column to filter on.'),
          op: z.enum(whereOperators).describe('Comparison; "in" takes a list, is_null/not_null take no value.'),
          value: z
            .union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()])).max(10_000)])
            .optional()
            .describe('Value, sent as a query parameter.'),
        }),
      )
      .max(20)
      .default([])
      .describe('Filter conditions, all of which must hold (AND); values are bound as parameters.'),
    orderBy: z
      .object({
        column: z.string().min(1).max(63).describe('Column to order by.'),
        direction: z.enum(['asc', 'desc']).default('asc').describe('asc or desc.'),
      })
      .optional()
      .describe('Row order (it decides the split and the sequences); default idColumn ascending.'),
    limit: z.number().int().min(1).max(100_000_000).optional().describe('At most this many rows are read.'),
    labelFrom: z
      .enum(['type', 'namespace'])
      .optional()
      .describe("For a collection: store each item's type or namespace as its label."),
    dimension: z
      .number()
      .int()
      .min(1)
      .max(65_536)
      .optional()
      .describe("Expected vector dimension; default the first good row's. Other rows are skipped as wrongDimension."),
    context: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe('Sequence context N: each window of N vectors predicts the next one; default 1.'),
    outputDir: z
      .string()
      .min(1)
      .optional()
      .describe('Directory to create inside the allowed roots (its parent must exist); default in the data dir.'),
    overwrite: z
      .boolean()
      .default(false)
      .describe('Replace an existing dataset directory this tool wrote (never any other directory); default false.'),
    batchSize: z.number().int().min(10).max(20_000).default(1_000).describe('Rows fetched per batch; default 1000.'),
    statementTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(60_000)
      .describe('PostgreSQL statement_timeout for each statement; default 60000.'),
  }),
  output: z.object({
    name: z.string(),
    directory: z.string(),
    source: z.enum(['postgres', 'collection']),
    query: z.string().optional().describe('the SQL text that ran'),
    parameters: z.array(z.unknown()).optional(),
    rowsRead: z.number().int(),
    rows: z.number().int(),
    skipped: z.object(
      Object.fromEntries(skipReasons.map((r) => [r, z.number().int()])) as Record<
        (typeof skipReasons)[number],
        z.ZodNumber
      >,
    ),
    skippedExamples: z.array(z.object({ id: z.string(), reason: z.string() })),
    dimension: z.number().int(),
    codeDimension: z.number().int().optional(),
    context: z.number().int(),
    splits: splitCounts,
    windows: splitCounts.describe('sequence windows per split'),
    members: z.record(z.string(), fileEntry),
    durationMs: z.number(),
  }),
  examples: [
    {
      name: 'concepts',
      table: 'cpe_entry',
      idColumn: 'cpe_id',
      vectorColumn: 'concept_vec',
      labelColumn: 'dataset_source',
      textColumn: 'concept_text',
      overwrite: true,
    },
  ],
  async handler(input, context) {
    const started = Date.now();
    if ((input.table === undefined) === (input.collection === undefined))
      throw new InputError(
        'table',
        'give either table (PostgreSQL) or collection (knowledge store), not both or neither',
      );
    const databaseUrl = context.environment.services.databaseUrl;
    if (input.table !== undefined) {
      if (!input.vectorColumn) throw new InputError('vectorColumn', 'name the column that holds the vectors');
      if (!databaseUrl)
        throw new InputError(
          'table',
          'PostgreSQL is not configured; set databaseUrl in the Caelum config (or DATABASE_URL in its environment)',
        );
    }
    const name =
      input.name ??
      (input.table ?? input.collection!)
        .split('.')
        .pop()!
        .replace(/[^A-Za-z0-9_.-]/g, '_');
    if (!datasetName.test(name)) throw new InputError('name', `"${name}" cannot name a dataset; pass name`);
    const target = await targetDirectory({ outputDir: input.outputDir, name }, context);
    const writer = await DatasetWriter.create({
      target,
      name,
      overwrite: input.overwrite,
      hasCode: input.table !== undefined && input.codeColumn !== undefined,
      hasLabel: input.table !== undefined ? input.labelColumn !== undefined : input.labelFrom !== undefined,
      hasText: input.table !== undefined && input.textColumn !== undefined,
      keepTexts: input.keepTexts,
      dimension: input.dimension,
      context: input.context,
      signal: context.signal,
      // After the read, one step per file: the total grows by the write steps so progress only increases.
      onWrite: (file, step) =>
        context.progress(writer.rowsRead + step, writer.rowsRead + writeSteps.length, `writing ${file}`),
    });
    const progress = (rows: number, total: number | undefined) =>
      context.progress(
        rows,
        total === undefined ? undefined : total + writeSteps.length,
        `${rows}${total !== undefined ? ` of ${total}` : ''} rows read`,
      );
    try {
      let source: Record<string, unknown>;
      let query: { text: string; parameters: unknown[] } | undefined;
      if (input.table !== undefined) {
        const spec: PostgresDatasetQuery = {
          table: input.table,
          idColumn: input.idColumn,
          vectorColumn: input.vectorColumn!,
          codeColumn: input.codeColumn,
          labelColumn: input.labelColumn,
          textColumn: input.textColumn,
          where: input.where,
          orderBy: input.orderBy,
          limit: input.limit,
        };
        query = await readPostgresRows(spec, writer, {
          databaseUrl: databaseUrl!,
          batchSize: input.batchSize,
          statementTimeoutMs: input.statementTimeoutMs,
          signal: context.signal,
          progress,
        });
        source = {
          kind: 'postgres',
          table: input.table,
          query: query.text,
          parameters: query.parameters,
          columns: {
            id: input.idColumn,
            vector: input.vectorColumn,
            ...(input.codeColumn ? { code: input.codeColumn } : {}),
            ...(input.labelColumn ? { label: input.labelColumn } : {}),
            ...(input.textColumn ? { text: input.textColumn } : {}),
          },
          transaction: 'READ ONLY, REPEATABLE READ',
        };
      } else {
        source = await readCollectionRows(context.knowledge, input.collection!, writer, {
          batchSize: input.batchSize,
          labelFrom: input.labelFrom,
          limit: input.limit,
          signal: context.signal,
          progress,
        });
      }
      const written: WrittenDataset = await writer.finish({
        source,
        codeVersion: context.environment.codeVersion ?? 'unknown',
      });
      return {
        name,
        directory: written.directory,
        source: input.table !== undefined ? ('postgres' as const) : ('collection' as const),
        ...(query ? { query: query.text, parameters: query.parameters } : {}),
        rowsRead: written.rowsRead,
        rows: written.rows,
        skipped: written.skipped,
        skippedExamples: writer.examples,
        dimension: written.dimension,
        ...(written.codeDimension !== undefined ? { codeDimension: written.codeDimension } : {}),
        context: input.context,
        splits: written.splits,
        windows: written.windows,
        members: written.members,
        durationMs: Date.now() - started,
      };
    } catch (error) {
      await writer.discard();
      throw error;
    }
  },
  summarize: (o) => {
    const skipped = Object.entries(o.skipped)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason} ${n}`);
    return [
      `dataset ${o.name}: ${o.rows} rows × ${o.dimension} (read ${o.rowsRead}; skipped ${skipped.length ? skipped.join(', ') : 'none'}) in ${o.directory}`,
      `splits in order: train ${o.splits.train}, validation ${o.splits.validation}, test ${o.splits.test}; sequences of context ${o.context}: ${o.windows.train}/${o.windows.validation}/${o.windows.test} windows`,
      ...Object.entries(o.members).map(([file, m]) => `  ${file} ${m.bytes} bytes sha256 ${m.sha256.slice(0, 16)}…`),
      ...(o.query ? [`query: ${o.query}`] : []),
    ].join('\n');
  },
});
