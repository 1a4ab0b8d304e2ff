// Regenerates the README's tool catalogue from the tool schemas.
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../servers/config.js';
import { createSuite } from '../servers/composition.js';
import { createLogger } from '../servers/logger.js';
import { renderCatalogue, replaceCatalogue } from '../servers/catalogue-markdown.js';
import { z } from 'zod';
import { scannerSignalsSchema } from '../knowledge/snapshot/daily-outputs.js';

const root = path.resolve(import.meta.dirname, '..');
const readmePath = path.join(root, 'README.md');
// The default mounts are listed too: each server starts once to list its tools.
const { config } = loadConfig(
  { dataDir: path.join(root, '.caelum') },
  { HOME: process.env.HOME, CAELUM_MOUNT_DEFAULTS: '1' },
  root,
);
const suite = createSuite(config, { logger: createLogger({ level: 'error' }) });
await suite.mounts.ready();
const updated = replaceCatalogue(await readFile(readmePath, 'utf8'), renderCatalogue(suite));
await suite.close();
await writeFile(`${readmePath}.tmp`, updated);
await rename(`${readmePath}.tmp`, readmePath);
// The scanner signals' documented schema, generated from the zod schema the outputs are checked against.
const schemaPath = path.join(root, 'docs', 'scanner-signals.schema.json');
await writeFile(
  `${schemaPath}.tmp`,
  JSON.stringify(
    {
      $id: 'https://caelum.dev/schemas/scanner-signals-1.0.json',
      title: 'scanner_signals.json',
      ...z.toJSONSchema(scannerSignalsSchema),
    },
    null,
    2,
  ) + '\n',
);
await rename(`${schemaPath}.tmp`, schemaPath);
process.stderr.write('README catalogue and docs/scanner-signals.schema.json regenerated\n');
