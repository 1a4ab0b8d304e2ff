// npm run bench:delegation: delegateTask with the loopback peers (an Ollama host that speaks tool
// calling, scripted to plan 1 to 4 steps of real development tools on a small project). Per task:
// the steps it took, and Caelum's overhead per step: the call's wall time minus the time spent in
// the model calls (as the pool measured them, HTTP to the peer included) and in the internal tools
// (as the router measured them), over the steps. What is left is delegateTask's own work: ranking
// the candidate tools, their JSON schemas, validating the planned arguments, the cascade's pricing
// and ledger write (fsync'd), the execution block and the result budget.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../servers/config.js';
import { createSuite } from '../servers/composition.js';
import { createLogger } from '../servers/logger.js';
import type { Execution } from '../supervisors/execution.js';
import { OllamaPeer, type PeerToolTurn } from '../tests/peers/ollama-peer.js';
import { summary, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const repetitions = Number(process.env.BENCH_DELEGATION_RUNS ?? 20);

const base = await mkdtemp(path.join(os.tmpdir(), 'caelum-bench-delegation-'));
const project = path.join(base, 'project');
await mkdir(path.join(project, 'src'), { recursive: true });
for (let i = 0; i < 12; i++)
  await writeFile(
    path.join(project, 'src', `module${i}.ts`),
    `// TODO: check the bounds of ${i}\nexport function f${i}(a: number, b: number) {\n  if (a > b) return a - b;\n  return a + b + ${i};\n}\n`,
  );

/** Each task: the plain words, and the tool calls the scripted model makes, in order. */
const tasks: { task: string; plan: { name: string; arguments: Record<string, unknown> }[] }[] = [
  { task: 'list the TODO comments', plan: [{ name: 'development_list_todos', arguments: { path: project } }] },
  {
    task: 'list the TODO comments, then outline src/module1.ts',
    plan: [
      { name: 'development_list_todos', arguments: { path: project } },
      { name: 'development_outline_file', arguments: { path: project, file: 'src/module1.ts' } },
    ],
  },
  {
    task: 'show the project structure, list the exported symbols and the TODO comments',
    plan: [
      { name: 'development_get_project_structure', arguments: { path: project } },
      { name: 'development_list_symbols', arguments: { path: project } },
      { name: 'development_list_todos', arguments: { path: project } },
    ],
  },
  {
    task: 'outline src/module1.ts, src/module2.ts and src/module3.ts, then list the TODO comments',
    plan: [
      { name: 'development_outline_file', arguments: { path: project, file: 'src/module1.ts' } },
      { name: 'development_outline_file', arguments: { path: project, file: 'src/module2.ts' } },
      { name: 'development_outline_file', arguments: { path: project, file: 'src/module3.ts' } },
      { name: 'development_list_todos', arguments: { path: project } },
    ],
  },
];

let current = tasks[0]!;
const peer = new OllamaPeer({
  toolTurn: (messages): PeerToolTurn => {
    const done = messages.filter((m) => m.role === 'tool').length;
    const next = current.plan[done];
    return next ? { toolCalls: [next] } : { content: `Done in ${done} steps.` };
  },
});
await peer.start();
const env = {
  HOME: base,
  CAELUM_DATA_DIR: path.join(base, 'data'),
  CAELUM_ALLOWED_ROOTS: project,
  CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}`,
};
const { config } = loadConfig({}, env, project);
const suite = createSuite(config, { logger: createLogger({ level: 'error', sink: () => undefined }) });

// Model time as the pool measured it, summed per delegateTask call.
let modelMs = 0;
const complete = suite.pool.complete.bind(suite.pool);
suite.pool.complete = async (request) => {
  const result = await complete(request);
  modelMs += result.steps.reduce((sum, step) => sum + step.latencyMs, 0);
  return result;
};

const rows: Record<string, string | number>[] = [];
const results: Record<string, unknown>[] = [];
const allOverheads: number[] = [];
for (const task of tasks) {
  current = task;
  const overheads: number[] = [];
  const totals: number[] = [];
  let steps = 0;
  for (let run = 0; run < repetitions + 2; run++) {
    modelMs = 0;
    const started = performance.now();
    const result = await suite.dispatcher.call('delegateTask', { supervisor: 'development', task: task.task });
    const total = performance.now() - started;
    const out = result.structuredContent as { status: string; steps: unknown[]; execution: Execution } | undefined;
    if (result.isError || out?.status !== 'answered') throw new Error(`${task.task}: ${result.text}`);
    if (run < 2) continue; // warm-up: module loads, first probes, first index build
    const toolMs = out.execution.steps.reduce((sum, step) => sum + step.durationMs, 0);
    steps = out.steps.length;
    totals.push(total);
    overheads.push((total - modelMs - toolMs) / steps);
  }
  allOverheads.push(...overheads);
  const overhead = summary(overheads);
  const wall = summary(totals);
  rows.push({
    task: task.task.length > 48 ? `${task.task.slice(0, 47)}…` : task.task,
    steps,
    'model calls': steps + 1,
    'total p50 ms': wall.p50,
    'overhead/step p50 ms': overhead.p50,
    'overhead/step p95 ms': overhead.p95,
  });
  results.push({ task: task.task, steps, modelCalls: steps + 1, totalMs: wall, overheadPerStepMs: overhead });
}

await suite.close();
await peer.stop();
await rm(base, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });

const overall = summary(allOverheads);
process.stdout.write(
  `${table(`delegateTask over the loopback Ollama peer (tool calling), ${repetitions} runs per task after 2 warm-ups`, rows)}\n` +
    `Caelum's overhead per step, all tasks: p50 ${overall.p50} ms, p95 ${overall.p95} ms (wall time minus model calls and tools, over steps)\n`,
);
const out = path.join(root, 'bench', 'results');
await mkdir(out, { recursive: true });
await writeFile(
  path.join(out, 'delegation.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      repetitions,
      method:
        'overhead per step = (delegateTask wall time - model time as the pool measured it - tool time as the router measured it) / steps',
      overheadPerStepMs: overall,
      results,
    },
    null,
    2,
  )}\n`,
);
