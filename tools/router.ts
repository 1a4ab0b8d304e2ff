// Runs internal tools: validate once at this boundary, enforce confirm for destructive tools, run the
// handler with the caller's AbortSignal, check the output against its schema, and classify failures
// into the caller's fault, a cancellation, or our own fault (logged in full, reported briefly).
import type { AnyTool } from './define-tool.js';
import type { ToolContext } from './context.js';
import type { ToolRegistry } from './registry.js';
import { InputError, ToolError, isAbortError } from './errors.js';
import { ConfinedError } from './confined-fs.js';
import { formatIssues, parseArguments } from './validation.js';
import { suggestNames } from './search.js';
import { ScopedContext, interceptPool } from './scoped-context.js';

export type ToolFailure = { kind: 'input' | 'cancelled' | 'internal'; code: string; message: string };

export type ToolOutcome =
  | { ok: true; tool: string; output: Record<string, unknown>; text: string; durationMs: number }
  | { ok: false; tool: string; error: ToolFailure; durationMs: number };

export interface InvokeOptions {
  /** Field path that prefixes messages, e.g. "arguments" when called through runTool. */
  fieldPrefix?: string;
  /** Must be true to run a destructive tool. */
  confirm?: boolean;
  /** Where the tool's progress goes instead of the call's: a step of a longer call maps it into its own. */
  progress?: ToolContext['progress'];
}

export function summarizeOutput(output: unknown): string {
  const text = JSON.stringify(output);
  return text.length > 4000 ? `${text.slice(0, 4000)}… (truncated; see structured content)` : text;
}

export class ToolRouter {
  constructor(readonly registry: ToolRegistry) {}

  resolve(name: string, field: string): AnyTool {
    const tool = this.registry.get(name);
    if (tool) return tool;
    const near = suggestNames(
      name,
      this.registry.all().map((t) => t.name),
    );
    const hint = near.length > 0 ? ` Did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '';
    throw new InputError(field, `no internal tool named "${name}".${hint} Use findTools to search the catalogue.`);
  }

  async invoke(
    name: string,
    rawArguments: unknown,
    context: ToolContext,
    options: InvokeOptions = {},
  ): Promise<ToolOutcome> {
    const started = context.clock.now();
    const elapsed = () => context.clock.now() - started;
    const prefix = options.fieldPrefix ?? '';
    let tool: AnyTool;
    let input: Record<string, unknown>;
    try {
      tool = this.resolve(name, prefix ? 'name' : 'tool');
      input = parseArguments(tool.input, rawArguments, prefix, tool.examples[0]);
      if (tool.kind.effect === 'destructive' && options.confirm !== true) {
        throw new InputError('confirm', `${tool.name} is destructive; pass confirm: true to run it`);
      }
    } catch (error) {
      return { ok: false, tool: name, error: classify(error, context, name), durationMs: elapsed() };
    }
    // The handler logs with its tool's name, and its LLM calls are booked to it in the ledger.
    const toolName = tool.name;
    const handlerContext = new ScopedContext(
      context,
      { tool: toolName },
      (pool) => interceptPool(pool, (request) => ({ ...request, tool: request.tool ?? toolName })),
      options.progress,
    );
    try {
      context.signal.throwIfAborted();
      const raw = await tool.handler(input, handlerContext);
      const checked = tool.output.safeParse(raw);
      if (!checked.success) {
        throw new ToolError(
          'OUTPUT_INVALID',
          `${tool.name} produced output that fails its schema: ${formatIssues(checked.error.issues, '')}`,
        );
      }
      const output = checked.data as Record<string, unknown>;
      const text = tool.summarize ? tool.summarize(output) : summarizeOutput(output);
      context.logger.debug('tool_completed', { tool: toolName, durationMs: elapsed() });
      return { ok: true, tool: tool.name, output, text, durationMs: elapsed() };
    } catch (error) {
      // A handler names its own fields; through runTool they sit under the prefix.
      const located =
        error instanceof InputError && prefix && error.field
          ? new InputError(`${prefix}.${error.field}`, error.message.slice(error.field.length + 2))
          : error;
      return { ok: false, tool: tool.name, error: classify(located, context, tool.name), durationMs: elapsed() };
    }
  }
}

function classify(error: unknown, context: ToolContext, tool: string): ToolFailure {
  if (error instanceof InputError) return { kind: 'input', code: 'INVALID_INPUT', message: error.message };
  // A project file the confined layer refused (a link out, a device, too large): the project's, not ours.
  if (error instanceof ConfinedError) return { kind: 'input', code: 'INVALID_INPUT', message: error.message };
  if (context.signal.aborted || isAbortError(error) || (error instanceof ToolError && error.code === 'CANCELLED')) {
    context.logger.info('tool_cancelled', { tool });
    return { kind: 'cancelled', code: 'CANCELLED', message: `${tool} was cancelled` };
  }
  // Work that ran but whose outside inputs fell short: not Caelum's fault, and the message says why.
  if (error instanceof ToolError && error.code === 'INCOMPLETE') {
    context.logger.warn('tool_incomplete', { tool, message: error.message });
    return { kind: 'internal', code: error.code, message: `${tool}: ${error.message}` };
  }
  const code = error instanceof ToolError ? error.code : 'TOOL_FAILED';
  // A tool whose service is not set up says so to its caller; that is the install's state, not a fault.
  if (code === 'NOT_CONFIGURED')
    context.logger.info('tool_not_configured', { tool, message: (error as Error).message });
  else context.logger.error('tool_failed', { tool, code, error: describeError(error) });
  const detail = error instanceof ToolError && error.code !== 'OUTPUT_INVALID' ? `: ${error.message}` : '';
  return {
    kind: 'internal',
    code,
    message: `${tool} failed inside Caelum (${code})${detail}. This is not a problem with your input; details are in the server log.`,
  };
}

export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) };
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    cause: error.cause === undefined ? undefined : describeError(error.cause),
  };
}
