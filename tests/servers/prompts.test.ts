// Prompts (Claude Code's slash commands), argument completion from the suite's real values, and
// the resource templates for snapshots, collections and Ollama hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ResourceListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { snapshotsDirectory } from '../../knowledge/snapshot/build-state.js';
import { writeSnapshot } from '../../knowledge/snapshot/snapshot-archive.js';
import { createServer } from '../../servers/mcp-server.js';
import { hostNames } from '../../servers/resources.js';
import type { PromptDefinition } from '../../servers/prompts.js';
import { connectClient, testSuite } from '../helpers.js';
import { tinyPng } from './reference-prompts.js';

const manifest = (name: string) => ({
  schemaVersion: 1,
  name,
  buildId: `build-${name}`,
  createdAt: '2026-11-22T06:00:00.000Z',
  codeVersion: '0.1.0',
  configHash: 'c',
  catalogueHash: 'k',
  window: { startYear: 2018, endYear: 2026 },
  mode: { offline: true, skipIngestion: false, skipLlm: true },
  counts: { observations: 42 },
  sources: {},
  timingsMs: { ingest: 1 },
  notes: [],
});

/** Real snapshot archives on disk, as the build writes them. */
async function writeSnapshots(dataDir: string, names: string[]): Promise<void> {
  const directory = snapshotsDirectory(dataDir);
  await mkdir(directory, { recursive: true });
  for (const name of names)
    await writeSnapshot(path.join(directory, `${name}.tar.gz`), { 'graph.json': '{}' }, manifest(name));
}

function textOfPrompt(result: { messages: { content: { type: string; text?: string } }[] }): string {
  return result.messages.map((m) => m.content.text ?? '').join('\n');
}

test('prompts/list offers four prompts with described arguments', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  const { prompts } = await client.listPrompts();
  assert.deepEqual(
    prompts.map((p) => p.name),
    ['security_review', 'review_changes', 'market_briefing', 'cost_savings'],
  );
  for (const prompt of prompts) {
    assert.ok(prompt.title && prompt.description, prompt.name);
    assert.ok(prompt.arguments!.length > 0, prompt.name);
    assert.ok(
      prompt.arguments!.every((a) => a.description && !a.required),
      prompt.name,
    );
  }
});

test('each prompt tells the agent which Caelum tools to call, with its arguments filled in', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  const security = textOfPrompt(
    await client.getPrompt({ name: 'security_review', arguments: { project: 'app', paths: 'src/**, lib/**' } }),
  );
  assert.match(
    security,
    /analyzeAndImproveCode with \{"project":"app","task":"security_scan","maxFindings":50,"paths":\["src\/\*\*","lib\/\*\*"\]\}/,
  );
  const review = textOfPrompt(await client.getPrompt({ name: 'review_changes', arguments: { against: 'main' } }));
  assert.match(review, /reviewChanges with \{"project":".","against":"main"\}/);
  const briefing = textOfPrompt(
    await client.getPrompt({
      name: 'market_briefing',
      arguments: { snapshot: 'kb_snapshot_20261122', focus: 'Germany' },
    }),
  );
  assert.match(briefing, /generateMarketSignals with \{"snapshot":"kb_snapshot_20261122"\}/);
  assert.match(briefing, /searchKnowledge with \{"query":"Germany","k":5,"expandHops":1\}/);
  assert.match(briefing, /buildKnowledgeSnapshot with \{"background": true\}/);
  const costs = textOfPrompt(
    await client.getPrompt({ name: 'cost_savings', arguments: { groupBy: 'host', since: '2026-11-01' } }),
  );
  assert.match(costs, /getCostReport with \{"groupBy":"host","since":"2026-11-01"\}/);
  assert.match(costs, /getPoolStatus with \{\}/);
  // Every tool a prompt names is one the server lists.
  const tools = new Set((await client.listTools()).tools.map((tool) => tool.name));
  for (const text of [security, review, briefing, costs])
    for (const [, name] of text.matchAll(/\b([a-z]+[A-Z][A-Za-z]+) with \{/g)) assert.ok(tools.has(name!), name);
  await assert.rejects(
    client.getPrompt({ name: 'cost_savings', arguments: { groupBy: 'planet' } }),
    (error: { code: number; message: string }) =>
      error.code === -32602 &&
      /arguments\.groupBy must be one of model, backend, day, tool, supervisor, host/.test(error.message),
  );
  await assert.rejects(
    client.getPrompt({ name: 'cost_savings', arguments: { colour: 'red' } }),
    /arguments\.colour: prompt cost_savings has no such argument; its arguments: since, groupBy/,
  );
});

/** A server's own prompt: text, an image and an embedded resource, and a host completed from the suite. */
const hostIncident: PromptDefinition = {
  name: 'host_incident',
  title: 'Report an incident on an Ollama host',
  description: 'Writes an incident report for one Ollama host from its status and a screenshot.',
  arguments: [
    { name: 'host', description: 'The Ollama host, e.g. "gpu1".', required: true },
    { name: 'severity', description: 'low or high; default low.' },
  ],
  choices: { severity: ['low', 'high'] },
  completions: { host: (suite) => hostNames(suite) },
  render: (args) => [
    {
      role: 'user',
      content: { type: 'text', text: `Write a ${args.severity || 'low'} incident report for ${args.host}.` },
    },
    { role: 'user', content: { type: 'image', data: tinyPng, mimeType: 'image/png' } },
    {
      role: 'user',
      content: {
        type: 'resource',
        resource: { uri: `caelum://pool/hosts/${args.host}`, mimeType: 'application/json', text: '{"healthy":false}' },
      },
    },
  ],
};

test('extraPrompts are listed, rendered with image and resource content, and completed, on that server only', async (t) => {
  const suite = await testSuite(t, {
    env: { CAELUM_OLLAMA_HOSTS: 'gpu1=http://127.0.0.1:9,gpu2=http://127.0.0.1:9,cpu=http://127.0.0.1:9' },
  });
  const client = await connectClient(t, suite, { extraPrompts: [hostIncident] });
  const { prompts } = await client.listPrompts();
  assert.deepEqual(
    prompts.map((p) => p.name),
    ['security_review', 'review_changes', 'market_briefing', 'cost_savings', 'host_incident'],
  );
  assert.deepEqual(prompts.at(-1)!.arguments![0], hostIncident.arguments[0]);

  const { messages } = await client.getPrompt({ name: 'host_incident', arguments: { host: 'gpu2', severity: 'high' } });
  assert.deepEqual(messages[0]!.content, { type: 'text', text: 'Write a high incident report for gpu2.' });
  assert.deepEqual(messages[1]!.content, { type: 'image', data: tinyPng, mimeType: 'image/png' });
  assert.deepEqual(Buffer.from(tinyPng, 'base64').subarray(1, 4).toString(), 'PNG');
  assert.deepEqual(messages[2]!.content, {
    type: 'resource',
    resource: { uri: 'caelum://pool/hosts/gpu2', mimeType: 'application/json', text: '{"healthy":false}' },
  });

  const ref = { type: 'ref/prompt' as const, name: 'host_incident' };
  const hosts = await client.complete({ ref, argument: { name: 'host', value: 'gp' } });
  assert.deepEqual(hosts.completion, { values: ['gpu1', 'gpu2'], total: 2, hasMore: false });
  const severity = await client.complete({ ref, argument: { name: 'severity', value: 'h' } });
  assert.deepEqual(severity.completion.values, ['high']);

  await assert.rejects(
    client.getPrompt({ name: 'host_incident', arguments: { severity: 'low' } }),
    (error: { code: number; message: string }) =>
      error.code === -32602 && /arguments\.host is required; prompt host_incident requires host/.test(error.message),
  );
  await assert.rejects(
    client.getPrompt({ name: 'host_incident', arguments: { host: 'gpu1', severity: 'urgent' } }),
    /arguments\.severity must be one of low, high/,
  );
  // Another server over the same suite does not have it, and says so the spec's way.
  const plain = await connectClient(t, suite);
  assert.equal((await plain.listPrompts()).prompts.length, 4);
  await assert.rejects(
    plain.getPrompt({ name: 'host_incident', arguments: { host: 'gpu1' } }),
    (error: { code: number; message: string }) =>
      error.code === -32602 && /no prompt named "host_incident"; prompts: security_review, /.test(error.message),
  );
  await assert.rejects(
    plain.complete({ ref, argument: { name: 'host', value: '' } }),
    (error: { code: number }) => error.code === -32602,
  );
  assert.throws(
    () => createServer(suite, { extraPrompts: [{ ...hostIncident, name: 'cost_savings' }] }),
    /extraPrompts: a prompt named "cost_savings" is already served/,
  );
});

test('completion offers the snapshots on disk, filtered by prefix, newest first', async (t) => {
  const suite = await testSuite(t);
  await writeSnapshots(suite.dataDir, ['kb_snapshot_20261120', 'kb_snapshot_20261121', 'kb_snapshot_20261122']);
  const client = await connectClient(t, suite);
  const prompt = { type: 'ref/prompt' as const, name: 'market_briefing' };
  const all = await client.complete({ ref: prompt, argument: { name: 'snapshot', value: 'kb_' } });
  assert.deepEqual(all.completion, {
    values: ['kb_snapshot_20261122', 'kb_snapshot_20261121', 'kb_snapshot_20261120'],
    total: 3,
    hasMore: false,
  });
  const filtered = await client.complete({ ref: prompt, argument: { name: 'snapshot', value: 'kb_snapshot_2026112' } });
  assert.equal(filtered.completion.total, 3);
  const one = await client.complete({ ref: prompt, argument: { name: 'snapshot', value: 'KB_SNAPSHOT_20261121' } });
  assert.deepEqual(one.completion.values, ['kb_snapshot_20261121']);
  const older = await client.complete({
    ref: prompt,
    argument: { name: 'previous', value: '' },
    context: { arguments: { snapshot: 'kb_snapshot_20261121' } },
  });
  assert.deepEqual(older.completion.values, ['kb_snapshot_20261120']);
  const none = await client.complete({ ref: prompt, argument: { name: 'snapshot', value: 'zzz' } });
  assert.deepEqual(none.completion, { values: [], total: 0, hasMore: false });
  const groupBy = await client.complete({
    ref: { type: 'ref/prompt', name: 'cost_savings' },
    argument: { name: 'groupBy', value: 's' },
  });
  assert.deepEqual(groupBy.completion.values, ['supervisor']);
  await assert.rejects(
    client.complete({ ref: prompt, argument: { name: 'colour', value: '' } }),
    /argument\.name: prompt market_briefing has no argument "colour"; its arguments: snapshot, previous, focus/,
  );
});

test('completion caps at 100 values and says how many there are', async (t) => {
  const suite = await testSuite(t);
  const names = Array.from(
    { length: 130 },
    (_, i) =>
      `kb_snapshot_2026${String(Math.floor(i / 28) + 1).padStart(2, '0')}${String((i % 28) + 1).padStart(2, '0')}`,
  );
  const directory = snapshotsDirectory(suite.dataDir);
  await mkdir(directory, { recursive: true });
  // Completion reads names only; empty files are enough here.
  for (const name of names) await writeFile(path.join(directory, `${name}.tar.gz`), '');
  const client = await connectClient(t, suite);
  const result = await client.complete({
    ref: { type: 'ref/resource', uri: 'caelum://kb/snapshots/{name}' },
    argument: { name: 'name', value: '' },
  });
  assert.equal(result.completion.values.length, 100);
  assert.equal(result.completion.total, 130);
  assert.equal(result.completion.hasMore, true);
  assert.equal(result.completion.values[0], names.at(-1));
});

test('resource templates complete collections and Ollama hosts from the suite, and read them', async (t) => {
  const suite = await testSuite(t, {
    env: { CAELUM_OLLAMA_HOSTS: 'gpu1=http://127.0.0.1:9,gpu2=http://127.0.0.1:9,cpu=http://127.0.0.1:9' },
  });
  await suite.knowledge.indexDocuments([{ id: 'd1', namespace: 'notes', type: 'note', text: 'oil supply shock' }]);
  const client = await connectClient(t, suite);
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.deepEqual(
    resourceTemplates.map((r) => r.uriTemplate),
    ['caelum://kb/snapshots/{name}', 'caelum://kb/collections/{name}', 'caelum://pool/hosts/{name}'],
  );
  const hosts = await client.complete({
    ref: { type: 'ref/resource', uri: 'caelum://pool/hosts/{name}' },
    argument: { name: 'name', value: 'gp' },
  });
  assert.deepEqual(hosts.completion, { values: ['gpu1', 'gpu2'], total: 2, hasMore: false });
  const collections = await client.complete({
    ref: { type: 'ref/resource', uri: 'caelum://kb/collections/{name}' },
    argument: { name: 'name', value: 'kn' },
  });
  assert.deepEqual(collections.completion.values, ['knowledge']);
  const host = JSON.parse(
    ((await client.readResource({ uri: 'caelum://pool/hosts/gpu2' })).contents[0] as { text: string }).text,
  );
  assert.equal(host.name, 'gpu2');
  const collection = JSON.parse(
    ((await client.readResource({ uri: 'caelum://kb/collections/knowledge' })).contents[0] as { text: string }).text,
  );
  assert.equal(collection.name, 'knowledge');
  assert.equal(collection.count, 1);
  await assert.rejects(
    client.readResource({ uri: 'caelum://pool/hosts/gpu9' }),
    /uri: no Ollama host named in caelum:\/\/pool\/hosts\/gpu9; available: gpu1, gpu2, cpu/,
  );
  await assert.rejects(
    client.complete({ ref: { type: 'ref/resource', uri: 'caelum://nope/{x}' }, argument: { name: 'x', value: '' } }),
    /ref\.uri: no resource template "caelum:\/\/nope\/\{x\}"/,
  );
});

test('snapshots are resources: listed, read as their manifest, and a new one sends list_changed', async (t) => {
  const suite = await testSuite(t);
  await writeSnapshots(suite.dataDir, ['kb_snapshot_20261121']);
  const client = await connectClient(t, suite);
  const listed = (await client.listResources()).resources.map((r) => r.uri);
  assert.ok(listed.includes('caelum://kb/snapshots/kb_snapshot_20261121'), listed.join(', '));
  const read = await client.readResource({ uri: 'caelum://kb/snapshots/kb_snapshot_20261121' });
  const body = JSON.parse((read.contents[0] as { text: string }).text);
  assert.equal(body.buildId, 'build-kb_snapshot_20261121');
  assert.equal(body.counts.observations, 42);
  assert.ok(body.files['graph.json'].sha256);
  await assert.rejects(
    client.readResource({ uri: 'caelum://kb/snapshots/kb_snapshot_19990101' }),
    /uri: no snapshot named in .*; available: kb_snapshot_20261121/,
  );
  const changed = new Promise<void>((resolve) =>
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => resolve()),
  );
  await writeSnapshots(suite.dataDir, ['kb_snapshot_20261122']);
  await Promise.race([
    changed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no list_changed within 5 s')), 5000)),
  ]);
  const after = (await client.listResources()).resources.map((r) => r.uri);
  assert.ok(after.includes('caelum://kb/snapshots/kb_snapshot_20261122'));
  await rm(snapshotsDirectory(suite.dataDir), { recursive: true, force: true });
});
