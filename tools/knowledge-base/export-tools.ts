// knowledge_base_export_graph: writes the financial graph out, as the JSON file that
// knowledge_base_import_graph reads back or as CSV tables, to a new file inside the allowed roots.
import path from 'node:path';
import { z } from 'zod';
import { edgesCsv, exportFinancial, exportSections, nodesCsv } from '../../knowledge/financial-export.js';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { resolveInsideRoots } from '../roots.js';
import { asInputError, Confinement, confinedFileExists, writeConfined } from '../confined-fs.js';
import { knowledge } from './common.js';

/** The most one export may write. */
const maxFileBytes = 256 * 1024 * 1024;

export const exportGraph = defineTool({
  name: 'knowledge_base_export_graph',
  domain: 'knowledge-base',
  tags: ['export', 'graph', 'json', 'csv', 'backup', 'dump', 'spreadsheet', 'file'],
  requests: [
    'export the knowledge graph to a JSON file',
    'dump the edges as CSV for a spreadsheet',
    'save the graph so I can import it into another instance',
    'write the countries and statistics out to a file',
    'dump the financial graph for a backup',
  ],
  title: 'Export the graph to a file',
  description:
    'Writes the financial knowledge graph to a new file inside the allowed roots: "json" (countries, statistics, series points, trade corridors, contagion, regimes, scenarios), the shape the graph import tool reads back (scenarios aside); "csv-edges" (the edges: from, to, weight, mechanism, lag, confidence); or "csv-nodes" (countries, statistics, regimes, scenarios). Choose sections; at most maxRows rows are written and a cut section is named. It refuses to replace an existing file unless overwrite is true. It does not export agent memory or vector collections, and it changes nothing in the graph. Example: {"path": "exports/graph.json"}',
  kind: { effect: 'action', idempotent: true },
  input: z.object({
    path: z
      .string()
      .min(1)
      .max(1000)
      .describe('File to write, relative to the first allowed root; its directory must exist, e.g. "kb/graph.json".'),
    format: z
      .enum(['json', 'csv-edges', 'csv-nodes'])
      .default('json')
      .describe('"json" (default, re-importable), "csv-edges" or "csv-nodes".'),
    sections: z
      .array(z.enum(exportSections))
      .min(1)
      .optional()
      .describe('Sections to export, e.g. ["countries", "corridors"]; default all.'),
    maxRows: z
      .number()
      .int()
      .min(1)
      .max(2_000_000)
      .default(200_000)
      .describe('Most rows written over all sections. Default 200000.'),
    overwrite: z.boolean().default(false).describe('Replace the file if it exists. Default false.'),
  }),
  output: z.object({
    file: z.string(),
    format: z.enum(['json', 'csv-edges', 'csv-nodes']),
    bytes: z.number().int(),
    rows: z.record(z.string(), z.number().int()).describe('rows written per section'),
    truncated: z.array(z.string()).describe('sections cut by maxRows'),
    replaced: z.boolean().describe('true when an existing file was overwritten'),
  }),
  examples: [
    { path: 'kb/graph-export.json', overwrite: true },
    { path: 'kb/corridors.csv', format: 'csv-edges', sections: ['corridors'], overwrite: true },
  ],
  async handler(input, context) {
    const roots = context.environment.allowedRoots;
    const directory = await resolveInsideRoots(path.dirname(input.path), roots, 'path');
    if (!directory.isDirectory) throw new InputError('path', `${path.dirname(input.path)} is not a directory`);
    const name = path.basename(input.path);
    if (!name || name === '.' || name === '..') throw new InputError('path', 'name a file, e.g. "kb/graph.json"');
    const file = path.join(directory.absolute, name);
    const confinement = await Confinement.of(roots);
    const exists = await confinedFileExists(file, confinement);
    if (exists && !input.overwrite)
      throw new InputError('path', `${input.path} exists; pass overwrite: true to replace it, or another path`);
    const wanted =
      input.sections ??
      (input.format === 'csv-edges'
        ? ['corridors', 'contagion']
        : input.format === 'csv-nodes'
          ? ['countries', 'statistics', 'regimes', 'scenarios']
          : exportSections);
    const exported = await knowledge('sections', async () =>
      exportFinancial(await context.knowledge.graph(), wanted, { maxRows: input.maxRows, timeoutMs: 60_000 }),
    );
    const text =
      input.format === 'json'
        ? `${JSON.stringify(exported.data, null, 1)}\n`
        : input.format === 'csv-edges'
          ? edgesCsv(exported.data)
          : nodesCsv(exported.data);
    const bytes = Buffer.byteLength(text);
    if (bytes > maxFileBytes)
      throw new InputError(
        'maxRows',
        `the export would be ${bytes} bytes, over the ${maxFileBytes}-byte limit; lower maxRows or choose fewer sections`,
      );
    try {
      await writeConfined(file, text, confinement, { create: true });
    } catch (error) {
      throw asInputError(error, 'path', input.path);
    }
    return {
      file,
      format: input.format,
      bytes,
      rows: exported.rows as Record<string, number>,
      truncated: exported.truncated,
      replaced: exists,
    };
  },
  summarize: (o) =>
    `${o.replaced ? 'replaced' : 'wrote'} ${o.file} (${o.format}, ${o.bytes} bytes): ${
      Object.entries(o.rows)
        .map(([section, n]) => `${n} ${section}`)
        .join(', ') || 'nothing'
    }${o.truncated.length ? `; cut by maxRows: ${o.truncated.join(', ')}` : ''}`,
});
