import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ToolSearchIndex, suggestNames, tokenize } from '../../tools/search.js';
import { toolsByDomain } from '../../tools/catalogue.js';
import type { AnyTool } from '../../tools/define-tool.js';

const all = Object.values(toolsByDomain).flat() as AnyTool[];

test('tokenize splits snake_case and camelCase and folds plurals', () => {
  assert.deepEqual(tokenize('analyzeComplexity of project_structures'), [
    'analyze',
    'complexity',
    'project',
    'structure',
  ]);
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
