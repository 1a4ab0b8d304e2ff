// Routes a high-level call: validate its arguments once, run the supervisor's handler with a
// recorder for the internal steps, check the result against the published outputSchema, and turn
// failures into the right channel (caller's fault, cancellation, or ours).
import { z } from 'zod';
import type { Logger, ProgressReporter, ToolContext } from '../tools/context.js';
import { InputError, isAbortError } from '../tools/errors.js';
import type { ToolRegistry } from '../tools/registry.js';
import { ToolRouter, describeError } from '../tools/router.js';
import { ToolSearchIndex } from '../tools/search.js';
import { ScopedContext, interceptPool } from '../tools/scoped-context.js';
import { parseArguments, formatIssues } from '../tools/validation.js';
import { scrubDeep, scrubText } from '../tools/secrets.js';
import { suggestNames } from '../tools/search.js';
import { ExecutionRecorder, executionSchema, type Execution } from './execution.js';
import { StepFailure, type AnyHighLevelTool, type SupervisorCall } from './high-level-tool.js';
import { budgetResult, defaultMaxResultBytes } from './result-budget.js';

export type BaseContext = Omit<ToolContext, 'signal' | 'progress'>;

export interface CallOptions {
  /** The session's own view (its allowed roots) when it differs from the suite's. */
  environment?: ToolContext['environment'];
  signal?: AbortSignal;
  progress?: ProgressReporter;
  logger?: Logger;
  /** false: Caelum's own call (the start-up banner's status), left out of the execution log. */
  record?: boolean;
}

export interface HighLevelResult {
  isError: boolean;
  text: string;
  structuredContent?: Record<string, unknown>;
  /** For errors: INVALID_INPUT, CANCELLED, or our own stable code. */
  errorCode?: string;
}

/** One finished high-level call, as it left the dispatcher (the result already scrubbed). */
export interface CallRecord {
  name: string;
  /** The supervisor that owns the tool; undefined for an unknown name. */
  owner: string | undefined;
  arguments: unknown;
  result: HighLevelResult;
  /** Wall-clock start (epoch ms) and duration (ms). */
  startedAt: number;
  durationMs: number;
}

const noProgress: ProgressReporter = () => undefined;
/** Shared by calls that bring no signal of their own; it is never aborted. */
const neverAborted = new AbortController().signal;

export class Dispatcher {
  readonly router: ToolRouter;
  private readonly byName: Map<string, AnyHighLevelTool>;
  private readonly outputSchemas = new Map<string, z.ZodObject>();
  private index: ToolSearchIndex | undefined;
  /** Resolves when the catalogue is whole (mounted servers' tools listed); calls wait for it. */
  private catalogueReady: (() => Promise<void>) | undefined;
  private readonly callListeners: ((record: CallRecord) => void)[] = [];

  constructor(
    readonly registry: ToolRegistry,
    private readonly base: BaseContext,
    tools: readonly AnyHighLevelTool[],
    /** Most bytes of one result (text plus structuredContent); past it the result is cut, and says so. */
    private readonly maxResultBytes = defaultMaxResultBytes,
  ) {
    this.router = new ToolRouter(registry);
    this.byName = new Map(tools.map((tool) => [tool.name, tool]));
    registry.onChange(() => (this.index = undefined));
  }

  /** Calls wait for this (bounded by its own timeout) before they search or run internal tools. */
  waitForCatalogue(ready: () => Promise<void>): void {
    this.catalogueReady = ready;
  }

  /** Told of every finished high-level call (the execution log); a listener that throws is ignored. */
  onCall(listener: (record: CallRecord) => void): void {
    this.callListeners.push(listener);
  }

  /** High-level tools in deterministic (name) order. */
  tools(): AnyHighLevelTool[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): AnyHighLevelTool | undefined {
    return this.byName.get(name);
  }

  description(tool: AnyHighLevelTool): string {
    return tool.liveDescription ? `${tool.description} ${tool.liveDescription(this.registry)}` : tool.description;
  }

  outputSchema(tool: AnyHighLevelTool): z.ZodObject {
    let schema = this.outputSchemas.get(tool.name);
    if (!schema) {
      schema = tool.output.extend({ execution: executionSchema });
      this.outputSchemas.set(tool.name, schema);
    }
    return schema;
  }

  searchIndex(): ToolSearchIndex {
    this.index ??= new ToolSearchIndex(this.registry.all());
    return this.index;
  }

  /**
   * The call's context with a pool that records every LLM step in the execution block and applies
   * the threshold configured for this tool or its supervisor. Built lazily, on first use.
   */
  private recordingContext(
    context: ToolContext,
    recorder: ExecutionRecorder,
    owner: string,
    toolName: string,
  ): ToolContext {
    const { thresholds } = context.environment;
    return new ScopedContext(context, { tool: toolName }, (pool) =>
      interceptPool(
        pool,
        (request) => ({
          ...request,
          tool: request.tool ?? toolName,
          supervisor: request.supervisor ?? owner,
          threshold:
            request.threshold ??
            thresholds.tools[request.tool ?? toolName] ??
            thresholds.tools[toolName] ??
            thresholds.supervisors[owner],
          signal: request.signal ?? context.signal,
        }),
        (steps) => {
          for (const step of steps) {
            recorder.llm.push({
              backend: step.backend,
              ...(step.host ? { host: step.host } : {}),
              model: step.model,
              inputTokens: step.inputTokens,
              outputTokens: step.outputTokens,
              ...(step.tier ? { tier: step.tier } : {}),
              costUsd: step.costUsd,
              baselineCostUsd: step.baselineCostUsd,
              savingUsd: step.savingUsd,
              ...(step.confidence !== undefined ? { confidence: step.confidence } : {}),
              outcome: step.outcome,
              ...(step.reason ? { reason: step.reason } : {}),
              ...(step.call
                ? {
                    call: {
                      outcome: step.call.outcome,
                      ...(step.call.answeredBy ? { answeredBy: step.call.answeredBy } : {}),
                      attempts: step.call.attempts,
                      costUsd: step.call.costUsd,
                      savingExcludingLocalUsd: step.call.savingExcludingLocalUsd,
                      localCostConfigured: !steps.some((s) => s.localRate?.basis === 'unconfigured'),
                      ...(step.call.reason ? { reason: step.call.reason } : {}),
                    },
                  }
                : {}),
              ...(step.substitution ? { substitution: step.substitution } : {}),
            });
          }
        },
      ),
    );
  }

  context(options: CallOptions): ToolContext {
    return {
      ...this.base,
      environment: options.environment ?? this.base.environment,
      logger: options.logger ?? this.base.logger,
      signal: options.signal ?? neverAborted,
      progress: options.progress ?? noProgress,
    };
  }

  /**
   * Runs a high-level tool. This is the one place every result leaves through (stdio, HTTP, the
   * service socket and `caelum call` all call it), so it is where the process's secrets are
   * scrubbed from the text and the structured content, errors included.
   */
  async call(name: string, rawArguments: unknown, options: CallOptions = {}): Promise<HighLevelResult> {
    const startedAt = Date.now();
    const started = performance.now();
    let result = await this.callWithinBudget(name, rawArguments, options);
    if (result.isError) {
      // Error texts can quote the caller's input or a failing service; scrubbed, and within the budget too.
      const text = scrubText(result.text);
      result = {
        ...result,
        text: Buffer.byteLength(text) > this.maxResultBytes ? cutErrorText(text, this.maxResultBytes) : text,
      };
    } // a success was scrubbed before the budget was applied
    if (this.callListeners.length > 0 && options.record !== false) {
      const record: CallRecord = {
        name,
        owner: this.byName.get(name)?.owner,
        arguments: rawArguments,
        result,
        startedAt,
        durationMs: performance.now() - started,
      };
      for (const listener of this.callListeners) {
        try {
          listener(record);
        } catch (error) {
          this.base.logger.warn('call_listener_failed', { error: (error as Error).message });
        }
      }
    }
    return result;
  }

  private async callWithinBudget(name: string, rawArguments: unknown, options: CallOptions): Promise<HighLevelResult> {
    const baseContext = this.context(options);
    const started = baseContext.clock.now();
    const tool = this.byName.get(name);
    if (!tool) {
      const near = suggestNames(name, [...this.byName.keys()]);
      return inputError(
        `name: no tool named "${name}".${near.length ? ` Did you mean "${near[0]}"?` : ''} Call tools/list for the tools, or runTool for an internal tool.`,
      );
    }
    // Only the catalogue tools (findTools, runTool, delegateTask) reach mounted servers' tools.
    if (this.catalogueReady && tool.owner === 'suite') await this.catalogueReady();
    const recorder = new ExecutionRecorder();
    const context = this.recordingContext(baseContext, recorder, tool.owner, tool.name);
    const run: SupervisorCall['run'] = async (internal, args, invokeOptions, detail) => {
      const outcome = await this.router.invoke(internal, args, context, invokeOptions);
      recorder.record(outcome, detail);
      return outcome;
    };
    const supervisorCall: SupervisorCall = {
      context,
      registry: this.registry,
      search: () => this.searchIndex(),
      run,
      runOrFail: async (internal, args, invokeOptions) => {
        const outcome = await run(internal, args, invokeOptions);
        if (!outcome.ok) throw new StepFailure(outcome.error);
        return outcome;
      },
      decide: (decision) => recorder.decisions.push(decision),
      skip: (step) => recorder.steps.push(step),
    };
    try {
      const input = parseArguments(tool.input, rawArguments, '', tool.examples[0]);
      const { result, text } = await tool.handler(input, supervisorCall);
      // The result is checked against the tool's schema; the execution block is built by the
      // recorder, typed, and needs no second check on this hot path.
      const checked = tool.output.safeParse(result);
      if (!checked.success) {
        context.logger.error('output_invalid', { tool: tool.name, issues: formatIssues(checked.error.issues, '') });
        return {
          isError: true,
          errorCode: 'OUTPUT_INVALID',
          text: `${tool.name} failed inside Caelum (OUTPUT_INVALID). This is not a problem with your input; details are in the server log.`,
        };
      }
      const execution: Execution = recorder.finish(tool.owner, tool.name, context.clock.now() - started);
      const structuredContent = { ...(checked.data as Record<string, unknown>), execution };
      // Secrets are scrubbed before the budget cuts anything, so a cut can never leave half a secret behind.
      const budgeted = budgetResult(
        scrubText(text),
        scrubDeep(structuredContent),
        this.maxResultBytes,
        this.outputSchema(tool),
      );
      if (!budgeted.ok) {
        context.logger.warn('result_too_large', { tool: tool.name, bytes: budgeted.originalBytes });
        return {
          isError: true,
          errorCode: 'RESULT_TOO_LARGE',
          text: `${tool.name} produced a result of ${budgeted.originalBytes} bytes, over the limit of ${this.maxResultBytes} bytes for one tool result, and it cannot be shortened; narrow the request (fewer paths, a smaller limit, a filter).`,
        };
      }
      if (budgeted.truncated)
        context.logger.warn('result_truncated', { tool: tool.name, bytes: budgeted.truncated.originalBytes });
      return { isError: false, text: budgeted.text, structuredContent: budgeted.structuredContent };
    } catch (error) {
      if (error instanceof InputError) return inputError(error.message);
      if (error instanceof StepFailure)
        return { isError: true, errorCode: error.failure.code, text: error.failure.message };
      if (context.signal.aborted || isAbortError(error))
        return { isError: true, errorCode: 'CANCELLED', text: `${tool.name} was cancelled` };
      context.logger.error('high_level_failed', { tool: tool.name, error: describeError(error) });
      return {
        isError: true,
        errorCode: 'TOOL_FAILED',
        text: `${tool.name} failed inside Caelum (TOOL_FAILED). This is not a problem with your input; details are in the server log.`,
      };
    }
  }
}

function cutErrorText(text: string, maxBytes: number): string {
  const keep = Math.floor((maxBytes - 200) / 3); // at most 3 UTF-8 bytes per character
  return `${text.slice(0, keep)}… [truncated: the message was ${Buffer.byteLength(text)} bytes, over the limit of ${maxBytes}]`;
}

function inputError(text: string): HighLevelResult {
  return { isError: true, errorCode: 'INVALID_INPUT', text };
}
