// The execution block every high-level result carries: which internal tools ran, how long they
// took, and for each LLM step the backend, model, tokens, cost and saving.
import { z } from 'zod';
import type { ToolOutcome } from '../tools/router.js';

export const executionSchema = z.object({
  supervisor: z.string(),
  tool: z.string(),
  durationMs: z.number(),
  steps: z.array(
    z.object({
      tool: z.string(),
      durationMs: z.number(),
      ok: z.boolean(),
      error: z.string().optional().describe('error code when the step failed'),
      arguments: z.record(z.string(), z.unknown()).optional().describe('the arguments a planned step was given'),
      model: z.string().optional().describe('the model that planned the step'),
      inputTokens: z.number().int().optional(),
      outputTokens: z.number().int().optional(),
      costUsd: z.number().optional().describe('what planning the step cost, every attempt included'),
      savingUsd: z.number().optional().describe('the saving booked for planning the step'),
      note: z.string().optional().describe('why a planned step was not run'),
    }),
  ),
  llm: z
    .array(
      z.object({
        backend: z.enum(['ollama', 'claude']),
        host: z.string().optional(),
        model: z.string(),
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        tier: z.string().optional(),
        costUsd: z.number().describe('what this attempt cost (local model time × the host rate, or Claude)'),
        baselineCostUsd: z.number().describe("the call's all-Claude baseline, on the step that ends the call"),
        savingUsd: z.number().describe('the saving booked for the call, on the step that ends it'),
        confidence: z.number().optional(),
        outcome: z
          .enum(['accepted', 'rejected', 'error'])
          .describe(
            'accepted: returned and met the threshold; rejected: answered but invalid or below it; error: no answer',
          ),
        reason: z.string().optional().describe('why the step was rejected or failed'),
        call: z
          .object({
            outcome: z.enum(['accepted_local', 'escalated', 'failed']),
            answeredBy: z.enum(['ollama', 'claude']).optional(),
            attempts: z.number().int(),
            costUsd: z.number(),
            savingExcludingLocalUsd: z.number(),
            localCostConfigured: z.boolean().describe('false: local model time was priced at $0'),
            reason: z.string().optional(),
          })
          .optional()
          .describe('the outcome of the LLM call this step ends'),
        substitution: z
          .object({ tier: z.string(), wanted: z.string(), reason: z.string() })
          .optional()
          .describe('set when no healthy host served the model the tier wants, so `model` answered instead'),
      }),
    )
    .describe('LLM steps; empty when no model was used'),
  decisions: z
    .array(
      z.object({
        by: z.string().describe('what decided, e.g. committee'),
        subject: z.string(),
        decision: z.string(),
        detail: z.record(z.string(), z.unknown()).describe('the inputs of the decision: votes, weights, thresholds'),
      }),
    )
    .optional()
    .describe('decisions the supervisor made from the steps, with what they rested on'),
});
export type Execution = z.infer<typeof executionSchema>;

export type ExecutionStep = Execution['steps'][number];
/** What a planned step adds to the router's record: its arguments and the model call that planned it. */
export type StepDetail = Omit<ExecutionStep, 'tool' | 'durationMs' | 'ok' | 'error'>;

export class ExecutionRecorder {
  readonly steps: Execution['steps'] = [];
  readonly llm: Execution['llm'] = [];
  readonly decisions: NonNullable<Execution['decisions']> = [];

  record(outcome: ToolOutcome, detail?: StepDetail): void {
    this.steps.push({
      tool: outcome.tool,
      durationMs: Number(outcome.durationMs.toFixed(3)),
      ok: outcome.ok,
      ...(outcome.ok ? {} : { error: outcome.error.code }),
      ...detail,
    });
  }

  finish(supervisor: string, tool: string, durationMs: number): Execution {
    return {
      supervisor,
      tool,
      durationMs: Number(durationMs.toFixed(3)),
      steps: this.steps,
      llm: this.llm,
      ...(this.decisions.length > 0 ? { decisions: this.decisions } : {}),
    };
  }
}
