// The model tools against the loopback Ollama peer through the official `ollama` client: the live
// inventory of installed and loaded models, one model's /api/show details, and deletion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testSuite } from '../helpers.js';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { OpenAiPeer } from '../peers/openai-peer.js';
import { freePort } from '../monitoring/prometheus-peer.js';

async function pooled(t: { after(fn: () => Promise<void>): void }, extraHosts = '') {
  const peer = new OllamaPeer({ resident: ['qwen3:4b'] });
  await peer.start();
  const suite = await testSuite(t, { env: { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}${extraHosts}` } });
  t.after(async () => {
    await suite.close();
    await peer.stop();
  });
  const call = (name: string, args: Record<string, unknown>, confirm = false) =>
    suite.dispatcher.router.invoke(name, args, suite.dispatcher.context({}), { confirm });
  return { suite, peer, call };
}

type Listed = {
  hosts: {
    host: string;
    reachable: boolean;
    error?: string;
    diskGiB: number;
    models: {
      name: string;
      quantization: string;
      parameterSize: string;
      loaded: boolean;
      vramGiB?: number;
      expiresAt?: string;
      contextLength?: number;
    }[];
  }[];
  note?: string;
};

test('list_models reports each installed model with size, quantisation and whether it is loaded', async (t) => {
  const { call, peer } = await pooled(t);
  const outcome = await call('infrastructure_list_models', {});
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  const { hosts } = outcome.output as Listed;
  assert.equal(hosts.length, 1);
  const gpu1 = hosts[0]!;
  assert.deepEqual(
    gpu1.models.map((m) => m.name),
    ['llama3.1:8b', 'qwen3:4b', 'gemma3:1b', 'nomic-embed-text:latest'],
    'largest first',
  );
  const qwen = gpu1.models.find((m) => m.name === 'qwen3:4b')!;
  assert.deepEqual([qwen.quantization, qwen.parameterSize, qwen.loaded], ['Q4_K_M', '4.0B', true]);
  assert.equal(qwen.vramGiB, 2.33);
  assert.equal(qwen.contextLength, 4096);
  assert.ok(Date.parse(qwen.expiresAt!) > Date.now());
  assert.equal(gpu1.models.find((m) => m.name === 'gemma3:1b')!.loaded, false);
  // It asked the host now, not the last probe.
  assert.ok(peer.requests.some((r) => r.path === '/api/tags'));
  assert.ok(peer.requests.some((r) => r.path === '/api/ps'));
  assert.match(outcome.text, /qwen3:4b 4\.0B Q4_K_M 2\.33 GiB; loaded/);

  const loaded = await call('infrastructure_list_models', { loadedOnly: true, host: 'gpu1' });
  assert.ok(loaded.ok);
  assert.deepEqual(
    (loaded.output as Listed).hosts[0]!.models.map((m) => m.name),
    ['qwen3:4b'],
  );
  const matched = await call('infrastructure_list_models', { match: 'GEMMA' });
  assert.ok(matched.ok);
  assert.deepEqual(
    (matched.output as Listed).hosts[0]!.models.map((m) => m.name),
    ['gemma3:1b'],
  );
});

test('list_models reports an unreachable host instead of failing, and a wrong host name is an input error', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const { call } = await pooled(t, `,gpu2=${dead}`);
  const outcome = await call('infrastructure_list_models', {});
  assert.ok(outcome.ok);
  const gpu2 = (outcome.output as Listed).hosts.find((h) => h.host === 'gpu2')!;
  assert.equal(gpu2.reachable, false);
  assert.match(gpu2.error!, /ECONNREFUSED/);
  const wrong = await call('infrastructure_list_models', { host: 'gpu9' });
  assert.equal(wrong.ok, false);
  assert.match(wrong.ok ? '' : wrong.error.message, /host: no Ollama host named "gpu9"; configured hosts: gpu1, gpu2/);
});

test('with no Ollama host, list_models says so', async (t) => {
  const suite = await testSuite(t);
  const outcome = await suite.dispatcher.router.invoke(
    'infrastructure_list_models',
    {},
    suite.dispatcher.context({}),
    {},
  );
  assert.ok(outcome.ok);
  assert.deepEqual((outcome.output as Listed).hosts, []);
  assert.match(outcome.text, /no Ollama host is configured/);
});

test('show_model returns context length, capabilities, parameters and template from /api/show', async (t) => {
  const { call, peer } = await pooled(t);
  const outcome = await call('infrastructure_show_model', { host: 'gpu1', model: 'qwen3:4b' });
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  const o = outcome.output as {
    contextLength: number;
    capabilities: string[];
    parameters: Record<string, string[]>;
    template: string;
    parameterCount: number;
    architecture: string;
  };
  assert.equal(o.contextLength, 40960);
  assert.equal(o.architecture, 'qwen3');
  assert.equal(o.parameterCount, 4_000_000_000);
  assert.deepEqual(o.capabilities, ['completion', 'tools', 'thinking']);
  assert.deepEqual(o.parameters.stop, ['"<|im_start|>"', '"<|im_end|>"']);
  assert.deepEqual(o.parameters.temperature, ['0.6']);
  assert.match(o.template, /<\|im_start\|>assistant/);
  assert.deepEqual(
    peer.requests.filter((r) => r.path === '/api/show').map((r) => r.body),
    [{ model: 'qwen3:4b' }],
  );
  const embed = await call('infrastructure_show_model', { host: 'gpu1', model: 'nomic-embed-text' });
  assert.ok(embed.ok);
  assert.deepEqual((embed.output as { capabilities: string[] }).capabilities, ['embedding']);

  const missing = await call('infrastructure_show_model', { host: 'gpu1', model: 'mistral:7b' });
  assert.equal(missing.ok, false);
  const message = missing.ok ? '' : missing.error.message;
  assert.match(message, /^model: .*not found/);
  assert.match(message, /the host has: gemma3:1b, qwen3:4b/);
});

test('delete_model needs confirm, deletes the model from the host and re-probes so the pool stops listing it', async (t) => {
  const { call, peer, suite } = await pooled(t);
  const refused = await call('infrastructure_delete_model', { host: 'gpu1', model: 'llama3.1:8b' });
  assert.equal(refused.ok, false);
  assert.ok(peer.models.some((m) => m.name === 'llama3.1:8b'));

  const outcome = await call('infrastructure_delete_model', { host: 'gpu1', model: 'llama3.1:8b' }, true);
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  const o = outcome.output as { deleted: boolean; freedGiB: number; remaining: string[] };
  assert.equal(o.deleted, true);
  assert.equal(o.freedGiB, 4.58);
  assert.ok(!o.remaining.includes('llama3.1:8b'));
  assert.ok(!peer.models.some((m) => m.name === 'llama3.1:8b'));
  assert.ok(peer.requests.some((r) => r.method === 'DELETE' && r.path === '/api/delete'));
  assert.ok(!suite.pool.status().hosts[0]!.models.includes('llama3.1:8b'), 'the host was re-probed');

  const again = await call('infrastructure_delete_model', { host: 'gpu1', model: 'llama3.1:8b' }, true);
  assert.ok(again.ok);
  assert.equal((again.output as { deleted: boolean }).deleted, false);
  assert.match(again.text, /gpu1 has no model llama3\.1:8b; nothing deleted/);
  assert.equal(peer.requests.filter((r) => r.path === '/api/delete').length, 1);
});

test('an OpenAI-compatible host: the model tools list and show what it serves and refuse to manage its models', async (t) => {
  const vllm = new OpenAiPeer({ apiKey: 'sk-tools', models: [{ id: 'Qwen/Qwen3-4B', maxModelLen: 40_960 }] });
  await vllm.start();
  const suite = await testSuite(t, {
    env: { CAELUM_OPENAI_HOSTS: `vllm1=${vllm.url}`, CAELUM_OPENAI_API_KEY: 'sk-tools' },
  });
  t.after(async () => {
    await suite.close();
    await vllm.stop();
  });
  const call = (name: string, args: Record<string, unknown>, confirm = false) =>
    suite.dispatcher.router.invoke(name, args, suite.dispatcher.context({}), { confirm });
  const listed = await call('infrastructure_list_models', {});
  assert.ok(listed.ok, listed.ok ? '' : listed.error.message);
  const model = (listed.output as Listed).hosts[0]!.models[0]!;
  assert.deepEqual(
    [model.name, model.parameterSize, model.loaded, model.contextLength],
    ['Qwen/Qwen3-4B', '4B', true, 40_960],
  );
  const shown = await call('infrastructure_show_model', { host: 'vllm1', model: 'Qwen/Qwen3-4B' });
  assert.ok(shown.ok, shown.ok ? '' : shown.error.message);
  assert.equal((shown.output as { contextLength: number }).contextLength, 40_960);
  for (const [name, args, verb] of [
    ['infrastructure_unload_model', { host: 'vllm1', model: 'Qwen/Qwen3-4B' }, 'unloading'],
    ['infrastructure_pull_model', { host: 'vllm1', model: 'qwen3:4b' }, 'pulling'],
    ['infrastructure_delete_model', { host: 'vllm1', model: 'Qwen/Qwen3-4B' }, 'deleting'],
  ] as const) {
    const refused = await call(name, args, true);
    assert.equal(refused.ok, false, name);
    const message = refused.ok ? '' : refused.error.message;
    assert.match(message, new RegExp(`vllm1 speaks the OpenAI API; ${verb} models is Ollama's`), name);
    assert.equal(refused.ok ? '' : refused.error.code, 'INVALID_INPUT', name);
  }
});
