// A high-level (agent-facing) tool: what a supervisor exposes over MCP. Its handler routes to
// internal tools through `call.run`, which records every step in the execution block.
import type { z } from 'zod';
import type { ToolKind } from '../tools/define-tool.js';
import type { ToolContext } from '../tools/context.js';
import type { InvokeOptions, ToolFailure, ToolOutcome } from '../tools/router.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { ToolSearchIndex } from '../tools/search.js';
import type { ExecutionStep, StepDetail } from './execution.js';

export const supervisorNames = [
  'development',
  'infrastructure',
  'knowledge-base',
  'trading',
  'ml-training',
  'monitoring',
] as const;
export type SupervisorName = (typeof supervisorNames)[number];
/** Catalogue tools (findTools, runTool) belong to the suite rather than one domain. */
export type ToolOwner = SupervisorName | 'suite';

export interface SupervisorCall {
  context: ToolContext;
  registry: ToolRegistry;
  search: () => ToolSearchIndex;
  /** Runs an internal tool and records it as a step (with `detail`, e.g. the model that planned it). */
  run(name: string, args: unknown, options?: InvokeOptions, detail?: StepDetail): Promise<ToolOutcome>;
  /** Records a step that was planned but not run (a destructive step awaiting confirm). */
  skip(step: ExecutionStep): void;
  /** Like `run`, but a failed step becomes the call's failure (thrown as StepFailure). */
  runOrFail(name: string, args: unknown, options?: InvokeOptions): Promise<Extract<ToolOutcome, { ok: true }>>;
  /** Records a decision made from the steps (a committee's vote) in the execution block. */
  decide(decision: { by: string; subject: string; decision: string; detail: Record<string, unknown> }): void;
}

export interface HighLevelTool<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  owner: ToolOwner;
  title: string;
  description: string;
  kind: ToolKind;
  input: I;
  /** The result's own fields; the execution block is added to the published outputSchema. */
  output: O;
  examples: z.input<I>[];
  /** Adds live catalogue facts to the description; tools/list changes when the catalogue does. */
  liveDescription?: (registry: ToolRegistry) => string;
  handler(input: z.output<I>, call: SupervisorCall): Promise<{ result: z.input<O>; text: string }>;
}

export type AnyHighLevelTool = HighLevelTool<z.ZodObject, z.ZodObject>;

export interface Supervisor {
  name: SupervisorName;
  description: string;
  tools: readonly AnyHighLevelTool[];
}

const highLevelName = /^[a-z][a-zA-Z0-9]{2,63}$/;

export function defineHighLevelTool<I extends z.ZodObject, O extends z.ZodObject>(
  tool: HighLevelTool<I, O>,
): AnyHighLevelTool {
  if (!highLevelName.test(tool.name))
    throw new Error(`high-level tool ${tool.name}: name must be camelCase [a-zA-Z0-9], at most 64 characters`);
  if (tool.examples.length === 0) throw new Error(`high-level tool ${tool.name}: needs an example input`);
  for (const [key, field] of Object.entries(tool.input.shape)) {
    if (!(field as z.ZodType).description)
      throw new Error(`high-level tool ${tool.name}: input field "${key}" has no .describe()`);
  }
  return tool as unknown as AnyHighLevelTool;
}

/** Thrown by a high-level handler to surface an internal step's failure as the call's own. */
export class StepFailure extends Error {
  constructor(readonly failure: ToolFailure) {
    super(failure.message);
  }
}

/**
 * Runs an internal step; a fault in the agent's input is reported under the high-level tool's field
 * names (`fields` maps the internal name to the caller's), without the internal tool's field list.
 */
export async function runStep(
  call: SupervisorCall,
  name: string,
  args: unknown,
  fields: Record<string, string> = {},
  options: InvokeOptions = {},
): Promise<Extract<ToolOutcome, { ok: true }>> {
  const outcome = await call.run(name, args, options);
  if (outcome.ok) return outcome;
  let message = outcome.error.message;
  if (outcome.error.kind === 'input') {
    // Each "field: problem" part of the message (zod joins several with "; ") under the caller's name.
    message = message
      .replace(/ Valid fields: [\s\S]*$/, '')
      .split('; ')
      .map((part) => {
        for (const [from, to] of Object.entries(fields))
          if (part.startsWith(`${from}:`) || part.startsWith(`${from}.`)) return to + part.slice(from.length);
        return part;
      })
      .join('; ');
  }
  throw new StepFailure({ ...outcome.error, message });
}
