import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { defineTool, type AnyTool } from '../../tools/define-tool.js';
import { ToolRegistry } from '../../tools/registry.js';
import { toolsByDomain } from '../../tools/catalogue.js';

function tool(name: string, overrides: Partial<AnyTool> = {}): AnyTool {
  return {
    name,
    domain: 'trading',
    tags: ['risk'],
    title: 'T',
    description: 'A tool used to test the registry rules for names, domains and tags.',
    kind: { effect: 'readOnly' },
    input: z.object({ x: z.number().describe('A number.') }),
    output: z.object({ x: z.number() }),
    examples: [{ x: 1 }],
    handler: async (input: { x: number }) => input,
    ...overrides,
  } as unknown as AnyTool;
}

test('names must be unique across the per-domain lists', () => {
  assert.throws(
    () => new ToolRegistry([[tool('trading_get_risk_report')], [tool('trading_get_risk_report')]]),
    /duplicate tool name: trading_get_risk_report/,
  );
});

test('names must be <domain>_<verb>_<noun> snake_case of at most 64 characters', () => {
  assert.throws(() => defineTool(tool('tradingGetRisk') as never), /snake_case/);
  assert.throws(() => defineTool(tool('monitoring_get_risk') as never), /must start with its domain, "trading_"/);
  assert.throws(() => defineTool(tool(`trading_get_${'x'.repeat(60)}`) as never), /the limit is 64/);
  assert.throws(() => defineTool(tool('trading_get_risk', { examples: [] }) as never), /example input is required/);
  assert.throws(
    () => defineTool(tool('trading_get_risk', { input: z.object({ x: z.number() }) }) as never),
    /input field "x" has no \.describe\(\)/,
  );
});

test('hyphenated domains use underscores in names', () => {
  assert.doesNotThrow(() => defineTool(tool('ml_training_list_jobs', { domain: 'ml-training' }) as never));
});

test('lookup by name, domain and tag; listings are sorted', () => {
  const registry = new ToolRegistry([
    [
      tool('trading_get_var_report', { tags: ['risk', 'var'] }),
      tool('trading_compute_sharpe_ratio', { tags: ['returns'] }),
    ],
  ]);
  assert.deepEqual(
    registry.all().map((t) => t.name),
    ['trading_compute_sharpe_ratio', 'trading_get_var_report'],
  );
  assert.deepEqual(
    registry.byTag('var').map((t) => t.name),
    ['trading_get_var_report'],
  );
  assert.deepEqual(registry.byDomain('trading').length, 2);
  assert.deepEqual(registry.byDomain('monitoring'), []);
  assert.equal(registry.get('trading_get_var_report')?.tags[1], 'var');
});

test('adding and removing at runtime fires change events', () => {
  const registry = new ToolRegistry();
  let changes = 0;
  const off = registry.onChange(() => changes++);
  registry.add(tool('trading_get_var_report'));
  assert.equal(registry.remove('trading_get_var_report'), true);
  assert.equal(registry.remove('trading_get_var_report'), false);
  off();
  registry.add(tool('trading_get_var_report'));
  assert.equal(changes, 2);
});

test('the shipped catalogue loads into one registry', () => {
  const registry = new ToolRegistry(Object.values(toolsByDomain));
  assert.ok(registry.get('development_get_project_structure'));
  assert.ok(registry.get('development_analyze_complexity'));
});
