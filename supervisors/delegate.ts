// delegateTask: a task in plain words, done with one domain's internal tools. The findTools
// ranking (the same BM25 index) picks the candidate tools; the pool's cascade plans tool calls
// natively, local tier first, each reply's calls checked against the tools' zod inputs (an unknown
// tool or bad arguments rejects the attempt, and the cascade escalates to a larger tier, then to
// Claude); each step runs through the router, and its result goes back to the model, until it
// answers in words or the step limit is reached. A destructive step is not run without confirm.
// With no LLM backend, the ranked tools and how to call them with runTool are the answer.
import { z } from 'zod';
import type { ConversationMessage, ToolCall, ToolDefinition } from '../gpu-pool/tool-calls.js';
import type { AnyTool, Domain } from '../tools/define-tool.js';
import { InputError } from '../tools/errors.js';
import { jsonSchema } from '../tools/json-schema.js';
import { parseArguments } from '../tools/validation.js';
import type { StepDetail } from './execution.js';
import { defineHighLevelTool, supervisorNames } from './high-level-tool.js';

/** Candidate tools offered to the model: enough to choose from, few enough to keep the prompt small. */
export const offeredTools = 8;
/** A tool's result goes back to the model cut to this many characters; its description, to the next. */
const maxResultChars = 4000;
const maxDescriptionChars = 800;
/** A step's result in the structured answer is cut shorter still. */
const maxStepResultChars = 600;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}… (cut)` : text);

const statuses = ['answered', 'step_limit', 'needs_confirmation', 'cancelled', 'no_plan', 'no_backend'] as const;

function systemPrompt(supervisor: string, roots: readonly string[]): string {
  return [
    `You are Caelum's ${supervisor} supervisor. Do the user's task with the tools offered, one step at a time;`,
    "each tool's result comes back to you. Call only the tools offered, with arguments that match their schemas.",
    'When the task is done, or no tool can do it, answer in plain words with what you found.',
    roots.length ? `Paths must lie inside: ${roots.join(', ')}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function runToolCall(tool: AnyTool): string {
  return `{"name":"${tool.name}","arguments":${JSON.stringify(tool.examples[0] ?? {})}${tool.kind.effect === 'destructive' ? ',"confirm":true' : ''}}`;
}

const output = z.object({
  status: z
    .enum(statuses)
    .describe(
      'answered: the model answered in words; step_limit: maxSteps ran first; needs_confirmation: the next step is destructive; no_plan: no model gave a valid plan; no_backend: no LLM is configured',
    ),
  answer: z.string().optional().describe("the model's answer in words"),
  reason: z.string().optional().describe('with no_plan, step_limit or cancelled: why'),
  pending: z
    .object({ tool: z.string(), arguments: z.record(z.string(), z.unknown()) })
    .optional()
    .describe('the step not run: destructive without confirm, or past maxSteps'),
  steps: z.array(
    z.object({
      tool: z.string(),
      arguments: z.record(z.string(), z.unknown()),
      ok: z.boolean(),
      error: z.string().optional(),
      result: z.string().describe("the step's result as the model saw it, cut short"),
    }),
  ),
  candidates: z
    .array(
      z.object({
        name: z.string(),
        effect: z.enum(['readOnly', 'action', 'destructive']),
        score: z.number(),
        runTool: z.string().describe('runTool arguments that call it with its example'),
      }),
    )
    .optional()
    .describe('the tools offered to the model, best first (always set)'),
});

export const delegateTask = defineHighLevelTool({
  name: 'delegateTask',
  owner: 'suite',
  title: 'Delegate a task',
  description:
    'An LLM plans and runs a domain\'s tools for a task. Example: {"supervisor":"development","task":"list TODOs"}',
  // It can run any of the domain's tools, including ones that reach the network.
  kind: { effect: 'action', openWorld: true },
  input: z.object({
    supervisor: z.enum(supervisorNames).describe('Domain.'),
    task: z.string().min(1).max(2000).describe('What to do.'),
    maxSteps: z.number().int().min(1).max(10).default(5).describe('Most steps.'),
    confirm: z.boolean().default(false).describe('Run destructive steps.'),
  }),
  output,
  examples: [{ supervisor: 'development', task: 'list the TODO comments in the project' }],
  async handler(input, call) {
    const { context } = call;
    const signal = context.signal;
    const domain = input.supervisor as Domain;
    const hits = call.search().search(input.task, { domain, limit: offeredTools });
    if (hits.length === 0)
      throw new InputError(
        'task',
        `no ${domain} tool matches "${clip(input.task, 80)}"; rephrase it with the domain's words, or list the domain with findTools {"domain":"${domain}"}`,
      );
    const candidates = hits.map(({ tool, score }) => ({
      name: tool.name,
      effect: tool.kind.effect,
      score,
      runTool: runToolCall(tool),
    }));
    const services = context.environment.services;
    if (services.ollamaHosts.length === 0 && !services.claude.keyConfigured) {
      const lines = candidates.map((c, i) => `${i + 1}. ${c.name} [${c.effect}]: runTool ${c.runTool}`);
      return {
        result: { status: 'no_backend' as const, steps: [], candidates },
        text: [
          `No LLM backend is configured (no Ollama host, no Claude key), so delegateTask cannot plan "${clip(input.task, 80)}" itself.`,
          `These ${domain} tools fit it best; call one with runTool, adapting the example arguments (findTools {"query": ...} shows each schema):`,
          ...lines,
          'Configure CAELUM_OLLAMA_HOSTS or ANTHROPIC_API_KEY to let delegateTask plan and run the steps.',
        ].join('\n'),
      };
    }

    const offered = new Map(hits.map(({ tool }) => [tool.name, tool]));
    const definitions: ToolDefinition[] = hits.map(({ tool }) => ({
      name: tool.name,
      description: clip(tool.description, maxDescriptionChars),
      parameters: jsonSchema(tool.input, 'input'),
    }));
    // A reply's calls must name an offered tool and pass its input schema; a reason rejects the attempt.
    const validateToolCalls = (calls: ToolCall[]): string | undefined => {
      for (const planned of calls) {
        const tool = offered.get(planned.name);
        if (!tool) return `unknown tool "${planned.name}" (offered: ${[...offered.keys()].join(', ')})`;
        try {
          parseArguments(tool.input, planned.arguments, 'arguments', tool.examples[0]);
        } catch (error) {
          if (error instanceof InputError) return `${planned.name}: ${error.message}`;
          throw error;
        }
      }
      return undefined;
    };

    const conversation: ConversationMessage[] = [{ role: 'user', content: input.task }];
    const steps: z.input<typeof output>['steps'] = [];
    const system = systemPrompt(domain, context.environment.allowedRoots);
    let status: (typeof statuses)[number] | undefined;
    let answer: string | undefined;
    let reason: string | undefined;
    let pending: { tool: string; arguments: Record<string, unknown> } | undefined;
    let executed = 0;
    // Progress in steps, always rising (MCP drops a value that does not): planning, running, done.
    const report = (value: number, message: string) => context.progress(value, input.maxSteps + 1, message);
    const cancelled = () => {
      status = 'cancelled';
      reason = `cancelled after ${executed} step${executed === 1 ? '' : 's'}; no further step was run`;
    };

    plan: for (;;) {
      if (signal.aborted) {
        cancelled();
        break;
      }
      report(executed + 0.1, `planning step ${executed + 1}`);
      let planned;
      try {
        planned = await context.pool.complete({
          system,
          messages: conversation,
          tools: definitions,
          validateToolCalls,
          tier: 'small',
          maxTokens: 1024,
          signal,
        });
      } catch (error) {
        if ((error as { code?: string }).code === 'CANCELLED' || signal.aborted) {
          cancelled();
          break;
        }
        status = 'no_plan';
        reason = `no model could plan the next step: ${(error as Error).message}`;
        break;
      }
      const sent = planned.steps.filter((s) => s.sent);
      const figures: StepDetail = {
        model: planned.answeredBy.model,
        inputTokens: sent.reduce((n, s) => n + s.inputTokens, 0),
        outputTokens: sent.reduce((n, s) => n + s.outputTokens, 0),
        costUsd: planned.call.costUsd,
        savingUsd: planned.call.savingUsd,
      };
      if (planned.lowConfidence) {
        status = 'no_plan';
        reason = `no model gave a valid next step: ${planned.call.reason ?? planned.steps.at(-1)?.reason ?? 'below the confidence threshold'}`;
        break;
      }
      if (!planned.toolCalls?.length) {
        status = 'answered';
        answer = planned.text;
        break;
      }
      conversation.push({ role: 'assistant', content: planned.text, toolCalls: planned.toolCalls });
      for (const [index, next] of planned.toolCalls.entries()) {
        // The planning call's figures go on the first step it planned, so they are counted once.
        const detail: StepDetail = {
          arguments: next.arguments,
          ...(index === 0 ? figures : { model: figures.model }),
        };
        const tool = offered.get(next.name)!;
        const skip = (error: string, note: string) => {
          pending = { tool: next.name, arguments: next.arguments };
          call.skip({ tool: next.name, durationMs: 0, ok: false, error, note, ...detail });
        };
        if (signal.aborted) {
          cancelled();
          break plan;
        }
        if (executed >= input.maxSteps) {
          status = 'step_limit';
          reason = `the step limit of ${input.maxSteps} was reached before the task was done; the next step was not run`;
          skip('STEP_LIMIT', 'past maxSteps');
          break plan;
        }
        if (tool.kind.effect === 'destructive' && !input.confirm) {
          status = 'needs_confirmation';
          skip('NEEDS_CONFIRM', 'destructive: not run without confirm: true');
          break plan;
        }
        const label = `step ${executed + 1}: ${next.name}`;
        report(executed + 0.5, label);
        // The tool's own progress (files read, rows scanned) maps into its step's share.
        const at = executed;
        const stepProgress = (value: number, total?: number, message?: string) =>
          report(at + 0.5 + 0.4 * Math.min(1, total ? value / total : 0), message ? `${label}: ${message}` : label);
        const outcome = await call.run(
          next.name,
          next.arguments,
          { confirm: input.confirm, progress: stepProgress },
          detail,
        );
        executed++;
        const result = outcome.ok ? outcome.text : `error ${outcome.error.code}: ${outcome.error.message}`;
        steps.push({
          tool: next.name,
          arguments: next.arguments,
          ok: outcome.ok,
          ...(outcome.ok ? {} : { error: outcome.error.code }),
          result: clip(result, maxStepResultChars),
        });
        if (!outcome.ok && outcome.error.code === 'CANCELLED') {
          cancelled();
          break plan;
        }
        conversation.push({
          role: 'tool',
          toolCallId: next.id,
          name: next.name,
          content: clip(result, maxResultChars),
          ...(outcome.ok ? {} : { isError: true }),
        });
      }
    }
    report(input.maxSteps + 1, `done: ${status}`);

    const lines = steps.map(
      (s, i) =>
        `${i + 1}. ${s.tool} ${clip(JSON.stringify(s.arguments), 300)} → ${s.ok ? 'ok' : s.error}: ${clip(s.result, 200)}`,
    );
    const ending =
      status === 'answered'
        ? `Answer: ${answer}`
        : status === 'needs_confirmation'
          ? `Not run: ${pending!.tool} ${clip(JSON.stringify(pending!.arguments), 300)} is destructive. Re-call delegateTask with the same task and confirm: true to run it.`
          : status === 'step_limit'
            ? `Stopped: ${reason} (${pending!.tool} ${clip(JSON.stringify(pending!.arguments), 300)}). Re-call with a larger maxSteps (up to 10) or a narrower task.`
            : `Stopped: ${reason}.`;
    return {
      result: {
        status: status!,
        ...(answer !== undefined ? { answer } : {}),
        ...(reason ? { reason } : {}),
        ...(pending ? { pending } : {}),
        steps,
        candidates,
      },
      text: [...(lines.length ? [`Steps (${domain}):`, ...lines] : ['No step was run.']), ending].join('\n'),
    };
  },
});
