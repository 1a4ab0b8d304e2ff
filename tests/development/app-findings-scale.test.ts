// appFindings judges each Express app by the programs that hold it. A repository of many scripts
// that all import one large library must not make it build every script's closure at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appFindings } from '../../tools/development/analysis/app-findings.js';
import type { FileAnalysis } from '../../tools/development/analysis/file-analysis.js';

test('many entry points importing one large library, and two separate apps', () => {
  const count = 5_000;
  const app = (helmet: boolean) =>
    ({
      expressApps: [1],
      listens: true,
      usesHelmet: helmet,
      usesCsrf: false,
      disablesPoweredBy: false,
      usesSession: false,
      stateChangingRoutes: 0,
    }) as unknown as FileAnalysis['app'];
  const files = [
    { file: 'server.js', app: app(false) },
    { file: 'other/server.js', app: app(false) },
    { file: 'other/helmet.js', app: { ...app(true), expressApps: [] } },
    { file: 'lib/hub.js' },
    ...Array.from({ length: count }, (_, i) => ({ file: `scripts/s${i}.js` })),
    ...Array.from({ length: count }, (_, i) => ({ file: `lib/l${i}.js` })),
  ] as unknown as FileAnalysis[];
  const resolvedImports = new Map<string, string[]>([
    ['server.js', ['lib/hub.js']],
    ['other/server.js', ['other/helmet.js']],
    ['lib/hub.js', Array.from({ length: count }, (_, i) => `lib/l${i}.js`)],
    ...Array.from({ length: count }, (_, i): [string, string[]] => [`scripts/s${i}.js`, ['lib/hub.js']]),
  ]);
  const start = performance.now();
  const findings = appFindings({ files, resolvedImports });
  const elapsed = performance.now() - start;
  assert.ok(elapsed < 1_000, `took ${elapsed.toFixed(0)} ms`);
  const headers = findings.filter((f) => f.rule === 'missing-security-headers').map((f) => f.file);
  assert.deepEqual(headers, ['server.js'], 'helmet in the other app vouches for it alone');
});
