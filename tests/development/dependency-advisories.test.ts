// Known-vulnerable dependencies: OSV records (real GitHub advisories, as osv.dev serves them) from a
// loopback OSV API server (POST /v1/querybatch, GET /v1/vulns/{id}) and from an OSV file, matched
// against the locked version (else the lowest version a range allows), reported at the dependency's
// line in package.json; and the plain statement when no advisory source answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connectClient, testSuite, tempDir, textOf } from '../helpers.js';
import { affects, cvss3BaseScore, recordSeverity, type OsvRecord } from '../../tools/development/dependencies/osv.js';
import { manifestLines } from '../../tools/development/dependencies/advisories.js';
import { loadConfig } from '../../servers/config.js';

// GHSA-35jh-r3h4-6jhm / CVE-2021-23337: command injection through lodash's template (fixed in 4.17.21).
const lodashTemplate: OsvRecord = {
  id: 'GHSA-35jh-r3h4-6jhm',
  aliases: ['CVE-2021-23337'],
  summary: 'Command Injection in lodash',
  details: '`lodash` versions prior to 4.17.21 are vulnerable to Command Injection via the template function.',
  modified: '2024-02-12T17:09:57Z',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    {
      package: { ecosystem: 'npm', name: 'lodash', purl: 'pkg:npm/lodash' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
      database_specific: {
        source:
          'https://github.com/github/advisory-database/blob/main/advisories/github-reviewed/2021/02/GHSA-35jh-r3h4-6jhm/GHSA-35jh-r3h4-6jhm.json',
      },
    },
  ],
  references: [
    { type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337' },
    { type: 'PACKAGE', url: 'https://github.com/lodash/lodash' },
  ],
  database_specific: { severity: 'HIGH', cwe_ids: ['CWE-77', 'CWE-94'], github_reviewed: true },
};
// GHSA-xvch-5gv4-984h / CVE-2021-44906: prototype pollution in minimist (two affected lines).
const minimistPollution: OsvRecord = {
  id: 'GHSA-xvch-5gv4-984h',
  aliases: ['CVE-2021-44906'],
  summary: 'Prototype Pollution in minimist',
  details: 'Minimist <=1.2.5 is vulnerable to Prototype Pollution via file index.js, function setKey() (lines 69-95).',
  modified: '2024-03-01T00:00:00Z',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    {
      package: { ecosystem: 'npm', name: 'minimist', purl: 'pkg:npm/minimist' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.2.4' }] }],
    },
    {
      package: { ecosystem: 'npm', name: 'minimist', purl: 'pkg:npm/minimist' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { fixed: '1.2.6' }] }],
    },
  ],
  references: [{ type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44906' }],
  database_specific: { severity: 'CRITICAL', cwe_ids: ['CWE-1321'], github_reviewed: true },
};
// GHSA-rv95-896h-c2vc: express open redirect, affecting < 4.19.2 only (and 5.0.0 betas).
const expressRedirect: OsvRecord = {
  id: 'GHSA-rv95-896h-c2vc',
  aliases: ['CVE-2024-29041'],
  summary: 'Express.js Open Redirect in malformed URLs',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N' }],
  affected: [
    {
      package: { ecosystem: 'npm', name: 'express' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.19.2' }] }],
    },
    {
      package: { ecosystem: 'npm', name: 'express' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '5.0.0-alpha.1' }, { fixed: '5.0.0-beta.3' }] }],
    },
  ],
  database_specific: { severity: 'MODERATE', cwe_ids: ['CWE-601', 'CWE-1286'] },
};
const records = [lodashTemplate, minimistPollution, expressRedirect];

const manifest = `{
  "name": "shop",
  "version": "1.0.0",
  "dependencies": {
    "express": "^4.19.2",
    "lodash": "^4.17.0"
  },
  "devDependencies": {
    "minimist": "^1.2.0"
  }
}
`;
const lockfile = JSON.stringify({
  name: 'shop',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': {
      name: 'shop',
      version: '1.0.0',
      dependencies: { express: '^4.19.2', lodash: '^4.17.0' },
      devDependencies: { minimist: '^1.2.0' },
    },
    'node_modules/express': { version: '4.19.2' },
    'node_modules/lodash': { version: '4.17.20' },
    'node_modules/minimist': { version: '1.2.5', dev: true },
  },
});

/** A loopback OSV API: querybatch answers every record naming the package (the client checks versions). */
async function osvServer(t: { after(fn: () => Promise<void>): void }, served = records, pageSize = Infinity) {
  const seen: { method: string; url: string; body?: unknown }[] = [];
  const body = (request: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  const server = createServer(async (request, response) => {
    const text = await body(request);
    response.setHeader('content-type', 'application/json');
    if (request.method === 'POST' && request.url === '/v1/querybatch') {
      const query = JSON.parse(text) as {
        queries: { package: { name: string; ecosystem: string }; version: string; page_token?: string }[];
      };
      seen.push({ method: 'POST', url: request.url, body: query });
      response.end(
        JSON.stringify({
          results: query.queries.map((q) => {
            const all = served
              .filter((r) => r.affected?.some((a) => a.package?.name === q.package.name))
              .map((r) => ({ id: r.id, modified: r.modified ?? '2024-01-01T00:00:00Z' }));
            const from = Number(q.page_token ?? 0);
            const vulns = all.slice(from, from + pageSize);
            const more = from + pageSize < all.length ? { next_page_token: String(from + pageSize) } : {};
            return vulns.length ? { vulns, ...more } : {};
          }),
        }),
      );
      return;
    }
    const match = /^\/v1\/vulns\/([^/]+)$/.exec(request.url ?? '');
    const record = match && served.find((r) => r.id === decodeURIComponent(match[1]!));
    seen.push({ method: request.method ?? '', url: request.url ?? '' });
    if (request.method === 'GET' && record) {
      response.end(JSON.stringify(record));
      return;
    }
    response.statusCode = 404;
    response.end(JSON.stringify({ code: 5, message: 'Bug not found.' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

interface Report {
  findings: {
    file: string;
    line: number;
    rule: string;
    cwe?: string;
    severity: string;
    message: string;
    evidence: string;
    confidence: string;
    fix?: { description: string };
  }[];
  notes: string[];
  dependencyAdvisories?: { status: string; source?: string; reason?: string; checked: number; vulnerable: number };
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

test('OSV matching: ranges with several intervals, last_affected, version lists, and CVSS v3 severities', () => {
  assert.deepEqual(affects(lodashTemplate, 'lodash', '4.17.20'), { affected: true, fixed: '4.17.21' });
  assert.deepEqual(affects(lodashTemplate, 'lodash', '4.17.21'), { affected: false });
  assert.deepEqual(affects(lodashTemplate, 'lodash-es', '4.17.20'), { affected: false }, 'another package');
  assert.deepEqual(affects(minimistPollution, 'minimist', '1.2.5'), { affected: true, fixed: '1.2.6' });
  assert.deepEqual(affects(minimistPollution, 'minimist', '0.2.1'), { affected: true, fixed: '0.2.4' });
  assert.deepEqual(affects(minimistPollution, 'minimist', '0.2.4'), { affected: false }, 'between the two lines');
  assert.deepEqual(affects(minimistPollution, 'minimist', '1.2.6'), { affected: false });
  const lastAffected: OsvRecord = {
    id: 'X-1',
    affected: [
      {
        package: { ecosystem: 'npm', name: 'p' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0.0' }, { last_affected: '2.3.1' }] }],
        versions: ['1.0.0-rc.1'],
      },
    ],
  };
  assert.deepEqual(affects(lastAffected, 'p', '2.3.1'), { affected: true }, 'no fixed version known');
  assert.deepEqual(affects(lastAffected, 'p', '2.3.2'), { affected: false });
  assert.deepEqual(affects(lastAffected, 'p', '1.9.9'), { affected: false });
  assert.deepEqual(affects(lastAffected, 'p', '1.0.0-rc.1'), { affected: true }, 'listed version');
  assert.deepEqual(affects({ ...lodashTemplate, withdrawn: '2024-01-01' }, 'lodash', '4.17.20'), { affected: false });
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H'), 7.2);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'), 9.8);
  assert.equal(cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N'), 6.1);
  assert.deepEqual(recordSeverity(minimistPollution), { severity: 'critical', score: 9.8 });
  assert.deepEqual(recordSeverity({ id: 'Y', database_specific: { severity: 'MODERATE' } }), { severity: 'medium' });
  const lines = manifestLines(manifest);
  assert.equal(lines.get('dependencies:lodash'), 6);
  assert.equal(lines.get('devDependencies:minimist'), 9);
  assert.equal(manifestLines('{"name":"a","dependencies":{"x":"1.0.0"}}').get('dependencies:x'), 1);
  assert.equal(manifestLines('{"name":"a","dependencies":{"x":"1.0.0"}}').has('dependencies:name'), false);
});

test('a loopback OSV server: known-vulnerable locked versions are findings at their package.json line', async (t) => {
  const osv = await osvServer(t);
  const suite = await testSuite(t, {
    env: { CAELUM_OSV_URL: osv.url, CAELUM_ADVISORIES: 'osv' },
    files: {
      'package.json': manifest,
      'package-lock.json': lockfile,
      'src/index.js': "const _ = require('lodash');\nconst express = require('express');\nmodule.exports = _.merge;\n",
    },
  });
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('analyzeAndImproveCode', {
    project: suite.project,
    task: 'security_scan',
    aiReview: 0,
  });
  assert.equal(result.isError, false, result.text);
  const report = result.structuredContent as unknown as Report;
  const dependencies = report.findings.filter((f) => f.rule === 'vulnerable-dependency');
  assert.deepEqual(
    dependencies.map((f) => `${f.file}:${f.line} ${f.cwe} ${f.severity}`).sort(),
    [
      `package.json:${lineOf(manifest, '"lodash"')} CWE-1395 high`,
      `package.json:${lineOf(manifest, '"minimist"')} CWE-1395 critical`,
    ],
    'express 4.19.2 is past the fix, so only lodash 4.17.20 and minimist 1.2.5 are reported',
  );
  const lodash = dependencies.find((f) => f.message.startsWith('lodash'))!;
  assert.match(lodash.message, /4\.17\.20 \(locked\)/);
  assert.match(lodash.message, /GHSA-35jh-r3h4-6jhm \(CVE-2021-23337\) Command Injection in lodash/);
  assert.equal(lodash.evidence, '"lodash": "^4.17.0"');
  assert.equal(lodash.confidence, 'high');
  assert.match(lodash.fix?.description ?? '', /Upgrade lodash to 4\.17\.21/);
  const minimist = dependencies.find((f) => f.message.startsWith('minimist'))!;
  assert.match(minimist.message, /CVE-2021-44906/);
  assert.match(minimist.fix?.description ?? '', /1\.2\.6/);
  assert.equal(report.dependencyAdvisories?.status, 'checked');
  assert.match(report.dependencyAdvisories?.source ?? '', /OSV server http:\/\/127\.0\.0\.1/);
  assert.equal(report.dependencyAdvisories?.vulnerable, 2);
  assert.match(result.text, /Dependency advisories: 3 checked with OSV server/);
  const batch = osv.seen.find((s) => s.url === '/v1/querybatch')?.body as {
    queries: { package: { name: string; ecosystem: string }; version: string }[];
  };
  assert.deepEqual(
    batch.queries.map((q) => `${q.package.ecosystem}:${q.package.name}@${q.version}`).sort(),
    ['npm:express@4.19.2', 'npm:lodash@4.17.20', 'npm:minimist@1.2.5'],
    'the locked versions are asked about',
  );
  assert.ok(osv.seen.some((s) => s.method === 'GET' && s.url === '/v1/vulns/GHSA-35jh-r3h4-6jhm'));

  const sarif = await suite.dispatcher.call('analyzeAndImproveCode', {
    project: suite.project,
    task: 'security_scan',
    aiReview: 0,
    format: 'sarif',
  });
  const log = JSON.parse(sarif.text) as {
    runs: {
      results: {
        ruleId: string;
        locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
      }[];
    }[];
  };
  assert.deepEqual(
    log.runs[0]!.results.filter((r) => r.ruleId === 'vulnerable-dependency')
      .map(
        (r) =>
          `${r.locations[0]!.physicalLocation.artifactLocation.uri}:${r.locations[0]!.physicalLocation.region.startLine}`,
      )
      .sort(),
    [`package.json:${lineOf(manifest, '"lodash"')}`, `package.json:${lineOf(manifest, '"minimist"')}`],
  );
});

test('an OSV file (records, or a querybatch answer with full records): without a lockfile the lowest allowed version is checked', async (t) => {
  const base = await tempDir(t);
  const arrayFile = path.join(base, 'osv.json');
  await writeFile(arrayFile, JSON.stringify(records));
  const batchFile = path.join(base, 'batch.json');
  await writeFile(
    batchFile,
    JSON.stringify({ results: [{ vulns: [minimistPollution] }, {}, { vulns: [lodashTemplate] }] }),
  );
  const noLock = `{
  "name": "cli",
  "dependencies": {
    "lodash": "^4.17.21",
    "minimist": "1.2.0"
  }
}
`;
  for (const file of [arrayFile, batchFile]) {
    const suite = await testSuite(t, {
      env: { CAELUM_OSV_FILE: file, CAELUM_ADVISORIES: 'osv' },
      files: { 'package.json': noLock, 'index.js': "require('minimist')(process.argv);\nrequire('lodash');\n" },
    });
    t.after(() => suite.close());
    const result = await suite.dispatcher.call('analyzeAndImproveCode', {
      project: suite.project,
      task: 'security_scan',
      aiReview: 0,
    });
    assert.equal(result.isError, false, result.text);
    const report = result.structuredContent as unknown as Report;
    const found = report.findings.filter((f) => f.rule === 'vulnerable-dependency');
    assert.deepEqual(
      found.map((f) => `${f.line} ${f.severity}`),
      [`${lineOf(noLock, '"minimist"')} critical`],
      `${path.basename(file)}: lodash ^4.17.21 starts past the fix; minimist 1.2.0 is affected`,
    );
    assert.match(found[0]!.message, /1\.2\.0 \(the lowest version "1\.2\.0" allows; no lockfile pins it\)/);
    assert.equal(found[0]!.confidence, 'medium');
    assert.equal(report.dependencyAdvisories?.status, 'checked');
    assert.match(report.dependencyAdvisories?.source ?? '', /OSV file/);
  }
});

test('no advisory source reachable: the report says dependencies were not checked, and reports none', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const suite = await testSuite(t, {
    env: { CAELUM_OSV_URL: `http://127.0.0.1:${deadPort}`, CAELUM_ADVISORIES: 'osv' },
    files: { 'package.json': manifest, 'package-lock.json': lockfile, 'src/a.js': "require('lodash');\n" },
  });
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('analyzeAndImproveCode', {
    project: suite.project,
    task: 'security_scan',
    aiReview: 0,
  });
  assert.equal(result.isError, false, result.text);
  const report = result.structuredContent as unknown as Report;
  assert.equal(report.findings.filter((f) => f.rule === 'vulnerable-dependency').length, 0);
  assert.equal(report.dependencyAdvisories?.status, 'unavailable');
  assert.equal(report.dependencyAdvisories?.checked, 0);
  assert.match(
    report.dependencyAdvisories?.reason ?? '',
    /no advisory source is reachable, so dependencies were NOT checked/,
  );
  assert.match(report.dependencyAdvisories?.reason ?? '', /ECONNREFUSED|fetch failed/);
  assert.ok(report.notes.some((n) => /dependency advisories: no advisory source is reachable/.test(n)));
  assert.match(result.text, /Dependency advisories: unavailable: no advisory source is reachable/);
  assert.doesNotMatch(result.text, /0 known-vulnerable/);

  // auto without an OSV source and without a lockfile: npm audit cannot run either, and the reason says so.
  const bare = await testSuite(t, {
    files: { 'package.json': manifest, 'src/a.js': "require('lodash');\n" },
  });
  t.after(() => bare.close());
  const scan = await bare.dispatcher.call('analyzeAndImproveCode', {
    project: bare.project,
    task: 'security_scan',
    aiReview: 0,
  });
  const auto = (scan.structuredContent as unknown as Report).dependencyAdvisories;
  assert.equal(auto?.status, 'unavailable');
  assert.match(auto?.reason ?? '', /npm audit needs a lockfile/);
});

/** A loopback npm registry: the bulk advisory endpoint answers with `answer`, or 405 like a registry mirror without it. */
async function npmRegistry(t: { after(fn: () => Promise<void>): void }, answer: Record<string, unknown> | undefined) {
  const asked: string[] = [];
  const server = createServer((request, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      asked.push(`${request.method} ${request.url} ${body.slice(0, 200)}`);
      if (request.method === 'POST' && request.url?.startsWith('/-/npm/v1/security/advisories/bulk') && answer) {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(answer));
        return;
      }
      response.statusCode = 405;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, asked };
}

test('auto: npm audit where the registry serves advisories, else the configured OSV file', async (t) => {
  const base = await tempDir(t);
  const osvFile = path.join(base, 'osv.json');
  await writeFile(osvFile, JSON.stringify(records));
  const scan = async (registry: string) => {
    const suite = await testSuite(t, {
      env: { CAELUM_OSV_FILE: osvFile },
      files: {
        'package.json': manifest,
        'package-lock.json': lockfile,
        'caelum.config.json': JSON.stringify({ development: { advisories: { registry, timeoutMs: 60_000 } } }),
        'src/a.js': "require('lodash');\n",
      },
    });
    t.after(() => suite.close());
    const result = await suite.dispatcher.call('analyzeAndImproveCode', {
      project: suite.project,
      task: 'security_scan',
      aiReview: 0,
    });
    assert.equal(result.isError, false, result.text);
    return result.structuredContent as unknown as Report;
  };

  const serving = await npmRegistry(t, {
    lodash: [
      {
        id: 1106913,
        url: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm',
        title: 'Command Injection in lodash',
        severity: 'high',
        vulnerable_versions: '<4.17.21',
        cwe: ['CWE-77', 'CWE-94'],
        cvss: { score: 7.2, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' },
      },
    ],
  });
  const viaNpm = await scan(serving.url);
  assert.match(viaNpm.dependencyAdvisories?.source ?? '', /^npm audit \(http:\/\/127\.0\.0\.1/);
  const npmFindings = viaNpm.findings.filter((f) => f.rule === 'vulnerable-dependency');
  assert.deepEqual(
    npmFindings.map((f) => `${f.line} ${f.severity} ${f.cwe}`),
    [`${lineOf(manifest, '"lodash"')} high CWE-1395`],
  );
  assert.match(npmFindings[0]!.message, /Command Injection in lodash/);
  assert.ok(
    serving.asked.some((a) => a.includes('lodash')),
    'npm sent the locked packages to the registry',
  );

  const mirror = await npmRegistry(t, undefined);
  const viaOsv = await scan(mirror.url);
  assert.match(viaOsv.dependencyAdvisories?.source ?? '', /^OSV file /);
  assert.match(
    viaOsv.dependencyAdvisories?.reason ?? '',
    /npm audit: the registry does not serve npm's audit endpoint/,
  );
  assert.deepEqual(
    viaOsv.findings
      .filter((f) => f.rule === 'vulnerable-dependency')
      .map((f) => f.line)
      .sort((a, b) => a - b),
    [lineOf(manifest, '"lodash"'), lineOf(manifest, '"minimist"')],
  );
});

test('the audit tool: where the registry does not serve advisories, the configured OSV server answers', async (t) => {
  const osv = await osvServer(t);
  const mirror = await npmRegistry(t, undefined);
  const suite = await testSuite(t, {
    env: { CAELUM_OSV_URL: osv.url },
    files: { 'package.json': manifest, 'package-lock.json': lockfile },
  });
  const client = await connectClient(t, suite);
  const result = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_audit_vulnerabilities', arguments: { registry: mirror.url } },
  });
  assert.equal(result.isError, undefined, textOf(result));
  const audit = (
    result.structuredContent as {
      result: {
        status: string;
        source?: string;
        reason?: string;
        vulnerabilities: { name: string; severity: string; fix: string; advisories: { title: string }[] }[];
      };
    }
  ).result;
  assert.equal(audit.status, 'ok');
  assert.match(audit.source ?? '', /^OSV server /);
  assert.match(audit.reason ?? '', /npm audit unavailable \(the registry does not serve the audit endpoint/);
  assert.deepEqual(
    audit.vulnerabilities.map((v) => `${v.name} ${v.severity} ${v.fix}`),
    ['minimist critical upgrade minimist to 1.2.6', 'lodash high upgrade lodash to 4.17.21'],
  );
  assert.match(audit.vulnerabilities[1]!.advisories[0]!.title, /GHSA-35jh-r3h4-6jhm \(CVE-2021-23337\)/);
});

test('development.advisories: defaults < config file < environment, and a bad source names the valid ones', async (t) => {
  const dir = await tempDir(t);
  const env = { HOME: dir };
  assert.deepEqual(loadConfig({}, env, dir).config.development.advisories, { source: 'auto', timeoutMs: 15_000 });
  await writeFile(
    path.join(dir, 'caelum.config.json'),
    JSON.stringify({ development: { advisories: { osvFile: 'advisories/osv.json', timeoutMs: 5_000 } } }),
  );
  const fromFile = loadConfig({}, env, dir).config.development.advisories;
  assert.deepEqual(fromFile, { source: 'auto', osvFile: path.join(dir, 'advisories/osv.json'), timeoutMs: 5_000 });
  const fromEnv = loadConfig(
    {},
    { ...env, CAELUM_ADVISORIES: 'osv', CAELUM_OSV_URL: 'http://127.0.0.1:9/', CAELUM_ADVISORIES_TIMEOUT_MS: '2000' },
    dir,
  ).config.development.advisories;
  assert.deepEqual(fromEnv, {
    source: 'osv',
    osvFile: path.join(dir, 'advisories/osv.json'),
    osvUrl: 'http://127.0.0.1:9/',
    timeoutMs: 2_000,
  });
  assert.throws(
    () => loadConfig({}, { ...env, CAELUM_ADVISORIES: 'snyk' }, dir),
    /development\.advisories\.source \(from environment variable CAELUM_ADVISORIES.*Valid values: auto, npm, osv, off/s,
  );
});

test('a vulnerable package deep in the lockfile is reported at the line of the direct dependency that brings it', async (t) => {
  const base = await tempDir(t);
  const osvFile = path.join(base, 'osv.json');
  await writeFile(osvFile, JSON.stringify({ vulns: records }));
  const cli = `{
  "name": "cli",
  "version": "1.0.0",
  "dependencies": {
    "optimist": "^0.6.1",
    "minimist": "^1.2.6"
  }
}
`;
  const lock = {
    name: 'cli',
    version: '1.0.0',
    lockfileVersion: 3,
    packages: {
      '': { name: 'cli', version: '1.0.0', dependencies: { optimist: '^0.6.1', minimist: '^1.2.6' } },
      'node_modules/optimist': { version: '0.6.1', dependencies: { minimist: '~0.0.1', wordwrap: '~0.0.2' } },
      'node_modules/optimist/node_modules/minimist': { version: '0.0.10' },
      'node_modules/wordwrap': { version: '0.0.3' },
      'node_modules/minimist': { version: '1.2.8' },
    },
  };
  const suite = await testSuite(t, {
    env: { CAELUM_OSV_FILE: osvFile, CAELUM_ADVISORIES: 'osv' },
    files: { 'package.json': cli, 'package-lock.json': JSON.stringify(lock), 'bin.js': "require('optimist');\n" },
  });
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('analyzeAndImproveCode', {
    project: suite.project,
    task: 'security_scan',
    aiReview: 0,
  });
  const report = result.structuredContent as unknown as Report;
  const found = report.findings.filter((f) => f.rule === 'vulnerable-dependency');
  assert.deepEqual(
    found.map((f) => `${f.line} ${f.severity}`),
    [`${lineOf(cli, '"optimist"')} critical`],
    'minimist 1.2.8 (direct) is fixed; optimist’s own minimist 0.0.10 is not',
  );
  assert.match(
    found[0]!.message,
    /^minimist 0\.0\.10 \(locked\), installed through optimist → minimist, has 1 known vulnerability/,
  );
  assert.match(found[0]!.fix?.description ?? '', /update optimist .*"overrides": \{ "minimist": "\^0\.2\.4" \}/);
  assert.equal(report.dependencyAdvisories?.checked, 4, 'optimist, minimist 1.2.8, minimist 0.0.10, wordwrap');
});

test('OSV querybatch pages: every page of ids is followed before the records are fetched', async (t) => {
  // GHSA-29mw-wpgm-hmr9 / CVE-2020-28500: ReDoS in lodash's toNumber, trim and trimEnd (fixed in 4.17.21).
  const lodashRedos: OsvRecord = {
    id: 'GHSA-29mw-wpgm-hmr9',
    aliases: ['CVE-2020-28500'],
    summary: 'Regular Expression Denial of Service (ReDoS) in lodash',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }],
    affected: [
      {
        package: { ecosystem: 'npm', name: 'lodash' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '4.0.0' }, { fixed: '4.17.21' }] }],
      },
    ],
    database_specific: { severity: 'MODERATE', cwe_ids: ['CWE-400', 'CWE-1333'] },
  };
  const osv = await osvServer(t, [lodashTemplate, lodashRedos], 1);
  const suite = await testSuite(t, {
    env: { CAELUM_OSV_URL: `${osv.url}/v1`, CAELUM_ADVISORIES: 'osv' },
    files: { 'package.json': manifest, 'package-lock.json': lockfile },
  });
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('analyzeAndImproveCode', {
    project: suite.project,
    task: 'security_scan',
    aiReview: 0,
  });
  const report = result.structuredContent as unknown as Report;
  const lodash = report.findings.find((f) => f.rule === 'vulnerable-dependency' && f.message.startsWith('lodash'));
  assert.ok(lodash, JSON.stringify(report.dependencyAdvisories));
  assert.match(
    lodash.message,
    /has 2 known vulnerabilities: GHSA-35jh-r3h4-6jhm .*; GHSA-29mw-wpgm-hmr9 \(CVE-2020-28500\) Regular Expression Denial of Service \(ReDoS\) in lodash \[medium, fixed in 4\.17\.21\]/,
  );
  assert.equal(lodash.severity, 'high', 'the worst of the two');
  const pages = osv.seen
    .filter((s) => s.url === '/v1/querybatch')
    .map((s) => s.body as { queries: { page_token?: string }[] });
  assert.equal(pages.length, 2, 'a second querybatch for the page token');
  assert.deepEqual(
    pages[1]!.queries.map((q) => q.page_token),
    ['1'],
  );
});
