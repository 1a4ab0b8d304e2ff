import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ToolSearchIndex, minimumConfidence, suggestNames, tokenize } from '../../tools/search.js';
import { toolsByDomain } from '../../tools/catalogue.js';
import type { AnyTool } from '../../tools/define-tool.js';

const all = Object.values(toolsByDomain).flat() as AnyTool[];

test('tokenize splits snake_case and camelCase, drops stop words and Porter-stems', () => {
  // Indexed text keeps a camel-cased word whole and in parts.
  assert.deepEqual(tokenize('analyzeComplexity of project_structures'), [
    'analyzecomplex',
    'analyz',
    'complex',
    'project',
    'structur',
  ]);
  // A query's camel-cased word stays whole when the catalogue knows it, else it splits.
  const known = (token: string) => token === 'typescript';
  assert.deepEqual(tokenize('TypeScript scripts', known), ['typescript', 'script']);
  assert.deepEqual(tokenize('noImplicitAny', known), ['no', 'implicit']);
  assert.deepEqual(tokenize('vulnerabilities'), tokenize('vulnerable'));
});

test('a synonym finds a tool whose text never uses the query word', () => {
  const index = new ToolSearchIndex(all);
  const audit = all.find((t) => t.name === 'development_audit_vulnerabilities')!;
  const text = [audit.name, audit.title, ...audit.tags, ...(audit.requests ?? []), audit.description].join(' ');
  assert.ok(!tokenize(text).includes('vuln') && !tokenize(text).includes('dep'));
  const hits = index.search('vuln deps', { limit: 3 });
  assert.equal(hits[0]?.tool.name, 'development_audit_vulnerabilities');
});

test("a tool's example requests are indexed: removing them loses the match", () => {
  const tool = all.find((t) => t.name === 'knowledge_base_restore_snapshot')!;
  const query = tool.requests![2]!;
  const withRequests = new ToolSearchIndex(all).search(query, { limit: 1 });
  assert.equal(withRequests[0]?.tool.name, tool.name, query);
  const stripped = all.map((t) => (t === tool ? { ...t, requests: [] } : t));
  const without = new ToolSearchIndex(stripped).search(query, { limit: 1 });
  assert.notEqual(without[0]?.tool.name, tool.name);
});

test('a name or title hit outweighs the same word in a description', () => {
  const index = new ToolSearchIndex(all);
  const hits = index.search('churn', { limit: 5 }).map((h) => h.tool.name);
  assert.equal(hits[0], 'development_git_churn');
  assert.ok(hits.includes('development_analyze_code'), 'the description-only hit still ranks');
});

test('assess: an on-topic request is a good match, an off-topic one is not', () => {
  const index = new ToolSearchIndex(all);
  for (const good of ['list the circular imports', 'backtest a strategy'])
    assert.equal(index.assess(good, index.search(good, { limit: 1 })[0]).confident, true, good);
  for (const off of ['bake a cake', 'play some relaxing music', 'what is the weather in Paris', 'zzzqqq']) {
    const assessment = index.assess(off, index.search(off, { limit: 1 })[0]);
    assert.equal(assessment.confident, false, off);
    assert.ok(assessment.confidence < minimumConfidence, off);
  }
});

test('assess: an everyday word counts half, so one shared "create" is no good match', () => {
  const index = new ToolSearchIndex(all);
  const query = 'create an S3 bucket on AWS';
  const hits = index.search(query, { limit: 10 });
  const best = hits.find((hit) => hit.matched.join() === 'creat');
  assert.ok(best, 'a tool shares the word "create"');
  // It scores highest, but a hit on a word of the request's own subject ranks above it.
  assert.ok(hits.every((hit) => hit.score <= best.score || hit.matched.join() !== 'creat'));
  assert.ok(!hits[0]!.matched.includes('creat'), JSON.stringify(hits[0]!.matched));
  const assessment = index.assess(query, best);
  assert.equal(assessment.confident, false);
  assert.ok(assessment.confidence * 2 >= minimumConfidence, 'at full weight the shared word would pass');
});

test('assess: a match on everyday words alone is no good match, however strong', () => {
  const index = new ToolSearchIndex(all);
  const query = 'order a pizza';
  const best = index.search(query, { limit: 1 })[0];
  assert.deepEqual(best?.matched, ['order'], 'the paper trading tools share the word "order"');
  const assessment = index.assess(query, best);
  assert.ok(assessment.confidence >= minimumConfidence, 'by score alone it would pass');
  assert.equal(assessment.confident, false);
});

test('a name hit outranks a description hit', () => {
  const index = new ToolSearchIndex(all);
  const hits = index.search('complexity', { limit: 5 });
  assert.equal(hits[0]?.tool.name, 'development_analyze_complexity');
});

test('prefix matches find longer words, and ranking is deterministic', () => {
  const index = new ToolSearchIndex(all);
  const first = index.search('complex function', { limit: 5 }).map((h) => h.tool.name);
  assert.equal(first[0], 'development_analyze_complexity');
  assert.deepEqual(
    index.search('complex function', { limit: 5 }).map((h) => h.tool.name),
    first,
  );
});

test('the domain filter keeps other domains out', () => {
  const index = new ToolSearchIndex(all);
  const hits = index.search('status services cost', { domain: 'monitoring', limit: 10 });
  assert.ok(hits.length > 0);
  assert.ok(hits.every((h) => h.tool.domain === 'monitoring'));
});

test('queries that match nothing return nothing', () => {
  const index = new ToolSearchIndex(all);
  assert.deepEqual(index.search('zzzqqq', { limit: 5 }), []);
});

test('suggestNames finds near misses only', () => {
  const names = all.map((t) => t.name);
  assert.deepEqual(suggestNames('development_get_project_structur', names), ['development_get_project_structure']);
  assert.deepEqual(suggestNames('something_else_entirely', names), []);
});
