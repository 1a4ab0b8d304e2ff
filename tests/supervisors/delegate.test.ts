// delegateTask end to end: the loopback Ollama host speaking Ollama's tool calling (/api/chat
// `tools` → `message.tool_calls`) and the loopback Claude speaking `tool_use` blocks, reached
// through the official clients by the real pool; the steps run real internal tools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectClient, testSuite, textOf } from '../helpers.js';
import { OllamaPeer, type PeerToolTurn } from '../peers/ollama-peer.js';
import { AnthropicPeer } from '../peers/anthropic-peer.js';
import type { Execution } from '../../supervisors/execution.js';

type OllamaTurn = (
  messages: { role: string; content: string; tool_name?: string }[],
  tools: string[],
  model: string,
) => PeerToolTurn;
type ClaudeTurn = NonNullable<ConstructorParameters<typeof AnthropicPeer>[0]>['toolTurn'];

interface Delegated {
  status: string;
  answer?: string;
  reason?: string;
  pending?: { tool: string; arguments: Record<string, unknown> };
  steps: { tool: string; arguments: Record<string, unknown>; ok: boolean; error?: string; result: string }[];
  candidates: { name: string; effect: string; runTool: string }[];
  execution: Execution;
}

const project = {
  'src/index.ts':
    '// TODO: handle negative numbers\nexport function add(a: number, b: number) {\n  return a > 0 ? a + b : b;\n}\n',
};

async function rig(
  t: { after(fn: () => Promise<void>): void },
  options: { ollama?: OllamaTurn; claude?: ClaudeTurn; latencyMs?: number },
) {
  const env: Record<string, string> = {};
  let peer: OllamaPeer | undefined;
  let anthropic: AnthropicPeer | undefined;
  if (options.ollama) {
    peer = new OllamaPeer({ toolTurn: options.ollama, ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}) });
    await peer.start();
    env.CAELUM_OLLAMA_HOSTS = `gpu1=${peer.url}`;
  }
  if (options.claude) {
    anthropic = new AnthropicPeer({ apiKey: 'sk-ant-delegate', toolTurn: options.claude });
    await anthropic.start();
    Object.assign(env, { ANTHROPIC_API_KEY: 'sk-ant-delegate', ANTHROPIC_BASE_URL: anthropic.url });
  }
  const suite = await testSuite(t, { env, files: project });
  t.after(async () => {
    await suite.close();
    await peer?.stop();
    await anthropic?.stop();
  });
  const chats = () => peer?.requests.filter((r) => r.path === '/api/chat') ?? [];
  return { suite, peer, anthropic, chats };
}

const toolResults = (messages: { role: string }[]) => messages.filter((m) => m.role === 'tool').length;

test('a task over several steps: local tool calls run real tools, results go back, the model answers', async (t) => {
  let offered: string[] = [];
  const { suite, chats } = await rig(t, {
    ollama: (messages, tools) => {
      offered = tools;
      const done = toolResults(messages);
      if (done === 0) return { toolCalls: [{ name: 'development_list_todos', arguments: { path: suite.project } }] };
      if (done === 1)
        return {
          toolCalls: [{ name: 'development_outline_file', arguments: { path: suite.project, file: 'src/index.ts' } }],
        };
      // The answer quotes what the first tool found, so it must have come back as a "tool" message.
      const todo = messages.find((m) => m.role === 'tool' && m.tool_name === 'development_list_todos')!;
      return { content: `Found: ${/handle negative numbers/.exec(todo.content)?.[0] ?? 'nothing'}` };
    },
  });
  const result = await suite.dispatcher.call('delegateTask', {
    supervisor: 'development',
    task: 'list the TODO comments, then outline the file src/index.ts',
  });
  assert.equal(result.isError, false, result.text);
  const out = result.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'answered');
  assert.equal(out.answer, 'Found: handle negative numbers');
  assert.deepEqual(
    out.steps.map((s) => [s.tool, s.ok]),
    [
      ['development_list_todos', true],
      ['development_outline_file', true],
    ],
  );
  assert.ok(offered.length > 1 && offered.length <= 8 && offered.every((n) => n.startsWith('development_')));
  assert.equal(chats().length, 3);
  // Every step in the execution block: tool, arguments, duration, model, tokens, cost and saving.
  const steps = out.execution.steps;
  assert.equal(steps.length, 2);
  for (const step of steps) {
    assert.equal(step.model, 'qwen3:4b');
    assert.ok(step.inputTokens! > 0 && step.outputTokens! > 0, JSON.stringify(step));
    assert.equal(step.costUsd, 0, 'local model time without a rate is $0');
    assert.ok(step.savingUsd! > 0, 'answered locally: the all-Claude baseline is saved');
    assert.ok(step.durationMs >= 0);
  }
  assert.deepEqual(steps[1]!.arguments, { path: suite.project, file: 'src/index.ts' });
  assert.deepEqual(
    out.execution.llm.map((s) => [s.backend, s.outcome]),
    [
      ['ollama', 'accepted'],
      ['ollama', 'accepted'],
      ['ollama', 'accepted'],
    ],
  );
  assert.match(result.text, /Answer: Found: handle negative numbers/);
});

test('an unknown tool from every local tier is rejected with the reason, and Claude plans the step', async (t) => {
  const { suite, anthropic } = await rig(t, {
    ollama: (messages) =>
      toolResults(messages) === 0
        ? { toolCalls: [{ name: 'development_delete_everything', arguments: {} }] }
        : { content: 'There is one TODO.' },
    claude: () => ({ toolCalls: [{ name: 'development_list_todos', input: { path: '.' } }] }),
  });
  const result = await suite.dispatcher.call('delegateTask', {
    supervisor: 'development',
    task: 'list the TODO comments',
  });
  assert.equal(result.isError, false, result.text);
  const out = result.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'answered');
  assert.equal(out.answer, 'There is one TODO.');
  assert.deepEqual(
    out.steps.map((s) => [s.tool, s.ok]),
    [['development_list_todos', true]],
  );
  const llm = out.execution.llm;
  const rejected = llm.filter((s) => s.outcome === 'rejected');
  assert.deepEqual(
    rejected.map((s) => s.model),
    ['qwen3:4b', 'llama3.1:8b'],
  );
  for (const step of rejected) assert.match(step.reason!, /unknown tool "development_delete_everything"/);
  const claude = llm.find((s) => s.backend === 'claude')!;
  assert.equal(claude.outcome, 'accepted');
  assert.ok(claude.costUsd > 0);
  assert.equal(claude.call?.outcome, 'escalated');
  // The step Claude planned carries Claude's model and the call's whole cost.
  assert.equal(out.execution.steps[0]!.model, claude.model);
  assert.match(claude.model, /^claude-/);
  assert.equal(out.execution.steps[0]!.costUsd, claude.call!.costUsd);
  // Claude got the offered tools in Anthropic's shape.
  const sent = anthropic!.requests[0]!.body;
  assert.ok(
    sent.tools.some(
      (tool: { name: string; input_schema: { type: string } }) =>
        tool.name === 'development_list_todos' && tool.input_schema.type === 'object',
    ),
  );
});

test('bad arguments from the small tier escalate to the larger local tier', async (t) => {
  const { suite } = await rig(t, {
    ollama: (messages, _tools, model) =>
      toolResults(messages) > 0
        ? { content: 'done' }
        : { toolCalls: [{ name: 'development_list_todos', arguments: { path: model === 'qwen3:4b' ? 42 : '.' } }] },
  });
  const result = await suite.dispatcher.call('delegateTask', {
    supervisor: 'development',
    task: 'list the TODO comments',
  });
  const out = result.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'answered', result.text);
  const [first, second] = out.execution.llm;
  assert.deepEqual([first!.model, first!.outcome], ['qwen3:4b', 'rejected']);
  assert.match(first!.reason!, /development_list_todos: arguments\.path: /);
  assert.deepEqual([second!.model, second!.outcome, second!.call?.outcome], ['llama3.1:8b', 'accepted', 'escalated']);
  assert.equal(out.execution.steps[0]!.model, 'llama3.1:8b');
});

test('a destructive step is not run without confirm; with confirm: true it runs', async (t) => {
  const relation = { from: 'Ada', to: 'Caelum', relationType: 'works_on' };
  const { suite } = await rig(t, {
    ollama: (messages) => {
      const done = toolResults(messages);
      if (done === 0)
        return {
          toolCalls: [
            {
              name: 'knowledge_base_remember_facts',
              arguments: {
                entities: [{ name: 'Ada', entityType: 'person' }, { name: 'Caelum' }],
                relations: [relation],
              },
            },
          ],
        };
      if (done === 1)
        return { toolCalls: [{ name: 'knowledge_base_forget_facts', arguments: { relations: [relation] } }] };
      return { content: 'Remembered, then forgot the relation.' };
    },
  });
  const task = 'remember that Ada works on Caelum, then forget that relation from memory';
  const refused = await suite.dispatcher.call('delegateTask', { supervisor: 'knowledge-base', task });
  assert.equal(refused.isError, false, refused.text);
  const out = refused.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'needs_confirmation');
  assert.deepEqual(out.pending, { tool: 'knowledge_base_forget_facts', arguments: { relations: [relation] } });
  assert.deepEqual(
    out.steps.map((s) => s.tool),
    ['knowledge_base_remember_facts'],
  );
  assert.match(refused.text, /confirm: true/);
  const skipped = out.execution.steps.at(-1)!;
  assert.deepEqual([skipped.tool, skipped.ok, skipped.error], ['knowledge_base_forget_facts', false, 'NEEDS_CONFIRM']);
  const still = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_recall_facts',
    arguments: { names: ['Ada'] },
  });
  assert.match(still.text, /works_on/, 'the relation is still there');

  const confirmed = await suite.dispatcher.call('delegateTask', { supervisor: 'knowledge-base', task, confirm: true });
  const done = confirmed.structuredContent as unknown as Delegated;
  assert.equal(done.status, 'answered', confirmed.text);
  assert.deepEqual(
    done.steps.map((s) => [s.tool, s.ok]),
    [
      ['knowledge_base_remember_facts', true],
      ['knowledge_base_forget_facts', true],
    ],
  );
  const gone = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_recall_facts',
    arguments: { names: ['Ada'] },
  });
  assert.doesNotMatch(gone.text, /works_on/);
});

test('the step limit stops the plan and says so', async (t) => {
  const { suite, chats } = await rig(t, {
    ollama: () => ({ toolCalls: [{ name: 'development_list_todos', arguments: { path: '.' } }] }),
  });
  const result = await suite.dispatcher.call('delegateTask', {
    supervisor: 'development',
    task: 'list the TODO comments',
    maxSteps: 2,
  });
  const out = result.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'step_limit');
  assert.equal(out.steps.length, 2);
  assert.equal(out.pending?.tool, 'development_list_todos');
  assert.match(result.text, /step limit of 2 was reached/);
  assert.equal(chats().length, 3);
  assert.equal(out.execution.steps.at(-1)!.error, 'STEP_LIMIT');
});

test('cancellation mid-plan: no further step runs and the result says cancelled', async (t) => {
  const { suite, chats } = await rig(t, {
    ollama: () => ({ toolCalls: [{ name: 'development_list_todos', arguments: { path: '.' } }] }),
  });
  const controller = new AbortController();
  const progress: string[] = [];
  const result = await suite.dispatcher.call(
    'delegateTask',
    { supervisor: 'development', task: 'list the TODO comments', maxSteps: 5 },
    {
      signal: controller.signal,
      progress: (_done, _total, message) => {
        progress.push(message ?? '');
        // The agent cancels as the second step starts.
        if (message === 'step 2: development_list_todos') controller.abort();
      },
    },
  );
  const out = result.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'cancelled', result.text);
  assert.deepEqual(
    out.steps.map((s) => [s.ok, s.error]),
    [
      [true, undefined],
      [false, 'CANCELLED'],
    ],
  );
  assert.match(out.reason!, /cancelled after 2 steps/);
  assert.equal(chats().length, 2, 'no model call after the cancel');
  assert.deepEqual(
    progress.filter((m) => !m.includes('files')),
    [
      'planning step 1',
      'step 1: development_list_todos',
      'planning step 2',
      'step 2: development_list_todos',
      'done: cancelled',
    ],
  );
  assert.ok(progress.includes('step 1: development_list_todos: 1/1 files'), "the tool's own progress, within its step");
});

test('cancellation while a tool runs: the plan stops after it', async (t) => {
  const { suite, chats } = await rig(t, {
    ollama: () => ({ toolCalls: [{ name: 'development_list_todos', arguments: { path: '.' } }] }),
  });
  const controller = new AbortController();
  const result = await suite.dispatcher.call(
    'delegateTask',
    { supervisor: 'development', task: 'list the TODO comments' },
    {
      signal: controller.signal,
      // The tool reports the files it has read: the agent cancels then, while it runs.
      progress: (_done, _total, message) => {
        if (message?.startsWith('step 1: development_list_todos: ')) controller.abort();
      },
    },
  );
  const out = result.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'cancelled', result.text);
  assert.equal(out.steps.length, 1);
  assert.match(out.reason!, /cancelled after 1 step;/);
  assert.equal(chats().length, 1, 'no model call after the cancel');
});

test('cancellation inside a model call stops the plan', async (t) => {
  const { suite, chats } = await rig(t, {
    latencyMs: 300,
    ollama: () => ({ toolCalls: [{ name: 'development_list_todos', arguments: { path: '.' } }] }),
  });
  const controller = new AbortController();
  const result = await suite.dispatcher.call(
    'delegateTask',
    { supervisor: 'development', task: 'list the TODO comments' },
    {
      signal: controller.signal,
      progress: (_done, _total, message) => {
        if (message === 'planning step 2') setTimeout(() => controller.abort(), 50);
      },
    },
  );
  const out = result.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'cancelled', result.text);
  assert.equal(out.steps.length, 1);
  assert.equal(chats().length, 2);
});

test('a failing step goes back to the model as an error result, and the model answers', async (t) => {
  let seen = '';
  const { suite } = await rig(t, {
    ollama: (messages) => {
      const result = messages.find((m) => m.role === 'tool');
      if (!result) return { toolCalls: [{ name: 'development_list_todos', arguments: { path: '/etc' } }] };
      seen = result.content;
      return { content: 'That path is outside the allowed roots.' };
    },
  });
  const result = await suite.dispatcher.call('delegateTask', {
    supervisor: 'development',
    task: 'list the TODO comments',
  });
  const out = result.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'answered', result.text);
  assert.deepEqual(
    out.steps.map((s) => [s.ok, s.error]),
    [[false, 'INVALID_INPUT']],
  );
  assert.match(seen, /^error INVALID_INPUT: /);
  assert.equal(out.execution.steps[0]!.error, 'INVALID_INPUT');
});

test('when no tier gives a valid step and there is no Claude, the result says why and runs nothing', async (t) => {
  const { suite } = await rig(t, {
    ollama: () => ({ toolCalls: [{ name: 'development_list_todos', arguments: { path: '.', depth: 'deep' } }] }),
  });
  const result = await suite.dispatcher.call('delegateTask', {
    supervisor: 'development',
    task: 'list the TODO comments',
  });
  assert.equal(result.isError, false);
  const out = result.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'no_plan');
  assert.match(out.reason!, /no model gave a valid next step: .*arguments\.depth: unknown field/);
  assert.deepEqual(out.steps, []);
  assert.ok(out.execution.llm.every((s) => s.outcome !== 'accepted'));
});

test('with no LLM backend, the ranked tools and how to call them with runTool are the answer', async (t) => {
  const { suite } = await rig(t, {});
  const result = await suite.dispatcher.call('delegateTask', {
    supervisor: 'development',
    task: 'list the TODO comments',
  });
  assert.equal(result.isError, false);
  const out = result.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'no_backend');
  assert.equal(out.candidates[0]!.name, 'development_list_todos');
  assert.deepEqual(JSON.parse(out.candidates[0]!.runTool), {
    name: 'development_list_todos',
    arguments: { path: '.' },
  });
  assert.match(result.text, /No LLM backend is configured/);
  assert.match(result.text, /runTool \{"name":"development_list_todos"/);
  assert.deepEqual(out.execution.llm, []);
});

test('through the MCP SDK client: a delegated task with progress per step', async (t) => {
  const { suite } = await rig(t, {
    ollama: (messages) =>
      toolResults(messages) === 0
        ? { toolCalls: [{ name: 'development_list_todos', arguments: { path: '.' } }] }
        : { content: 'One TODO: handle negative numbers.' },
  });
  const client = await connectClient(t, suite);
  const progress: string[] = [];
  const result = await client.callTool(
    { name: 'delegateTask', arguments: { supervisor: 'development', task: 'list the TODO comments' } },
    undefined,
    { onprogress: (p) => progress.push(p.message ?? '') },
  );
  assert.equal(result.isError, undefined, textOf(result));
  const out = result.structuredContent as unknown as Delegated;
  assert.equal(out.status, 'answered');
  assert.equal(out.answer, 'One TODO: handle negative numbers.');
  assert.deepEqual(
    progress.filter((m) => !m.includes('files')),
    ['planning step 1', 'step 1: development_list_todos', 'planning step 2', 'done: answered'],
  );
  assert.match(textOf(result), /1\. development_list_todos/);
});
