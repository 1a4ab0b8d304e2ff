// Every registered internal tool runs on each of its examples and its output validates against its
// schema; every high-level tool does the same against its published outputSchema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { annotationsFor, definitionProblems } from '../../tools/define-tool.js';
import { listTools } from '../../servers/mcp-server.js';
import { jsonSchema } from '../../tools/json-schema.js';
import { testSuite } from '../helpers.js';
import { OllamaPeer } from '../peers/ollama-peer.js';

/** A suite with one loopback Ollama host named gpu1, so pool tools run their examples for real. */
async function suiteWithHost(t: Parameters<typeof testSuite>[0] & { after(fn: () => Promise<void>): void }) {
  const peer = new OllamaPeer({ models: [
    { name: 'gemma3:1b', sizeBytes: 1, parameterSize: '1B', family: 'gemma3' },
    { name: 'qwen3:4b', sizeBytes: 2, parameterSize: '4B', family: 'qwen3' },
  ] });
  await peer.start();
  const suite = await testSuite(t, { env: { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}` } });
  t.after(async () => {
    await suite.close();
    await peer.stop();
  });
  return suite;
}

test('every internal tool is well-formed and its annotations follow its kind', async (t) => {
  const suite = await testSuite(t);
  assert.ok(suite.registry.size >= 5);
  for (const tool of suite.registry.all()) {
    assert.deepEqual(definitionProblems(tool), [], tool.name);
    assert.ok(tool.name.length <= 64 && /^[a-z0-9_]+$/.test(tool.name), tool.name);
    const annotations = annotationsFor(tool.kind);
    assert.equal(annotations.readOnlyHint, tool.kind.effect === 'readOnly', tool.name);
    assert.equal(annotations.destructiveHint, tool.kind.effect === 'destructive', tool.name);
  }
});

test('every internal tool runs on each example and its output validates against its schema', async (t) => {
  const suite = await suiteWithHost(t);
  const context = suite.dispatcher.context({});
  for (const tool of suite.registry.all()) {
    for (const example of tool.examples) {
      const outcome = await suite.dispatcher.router.invoke(tool.name, example, context, { confirm: true });
      assert.ok(outcome.ok, `${tool.name} ${JSON.stringify(example)}: ${outcome.ok ? '' : outcome.error.message}`);
      const checked = tool.output.safeParse(outcome.output);
      assert.ok(checked.success, `${tool.name} output fails its schema`);
      assert.ok(outcome.text.length > 0, `${tool.name} has no readable text`);
    }
  }
});

test('every high-level tool runs on its examples; structuredContent validates against the published outputSchema', async (t) => {
  const suite = await suiteWithHost(t);
  const ajv = new Ajv2020({ strict: false });
  const published = new Map(listTools(suite).map((tool) => [tool.name, tool]));
  for (const tool of suite.dispatcher.tools()) {
    const validate = ajv.compile(published.get(tool.name)!.outputSchema!);
    const validateFull = ajv.compile(jsonSchema(suite.dispatcher.outputSchema(tool), 'full'));
    for (const example of tool.examples) {
      const result = await suite.dispatcher.call(tool.name, example);
      assert.equal(result.isError, false, `${tool.name} ${JSON.stringify(example)}: ${result.text}`);
      assert.ok(validate(result.structuredContent), `${tool.name}: ${ajv.errorsText(validate.errors)}`);
      assert.ok(validateFull(result.structuredContent), `${tool.name} (full schema): ${ajv.errorsText(validateFull.errors)}`);
      const execution = result.structuredContent!.execution as { tool: string; steps: unknown[]; llm: unknown[] };
      assert.equal(execution.tool, tool.name);
      assert.ok(Array.isArray(execution.llm));
      assert.ok(result.text.length > 0);
    }
  }
});
