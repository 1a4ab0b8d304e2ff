// Claude, the last step of the cascade, through the official @anthropic-ai/sdk with a configurable
// base URL. Usage is read whole: input, output, and the cache writes (5 m and 1 h) and reads that
// the ledger prices separately.
import type Anthropic from '@anthropic-ai/sdk';
import { PoolError } from './pool-error.js';
import {
  fromAnthropicContent,
  toAnthropicMessages,
  toAnthropicTools,
  type ConversationMessage,
  type ToolCall,
  type ToolDefinition,
} from './tool-calls.js';

export interface ClaudeConfig {
  apiKey: string;
  baseUrl?: string;
  model: string;
  /** Our retries are the cascade's; the SDK's own are turned off so deadlines hold. */
  maxRetries?: number;
}

export interface ClaudeResult {
  model: string;
  content: string;
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  stopReason: string | null;
  latencyMs: number;
  /** The reply's `tool_use` blocks, when the request offered tools and Claude called some. */
  toolCalls?: ToolCall[];
}

export interface ClaudeRequest {
  system?: string;
  messages: ConversationMessage[];
  maxTokens: number;
  /** Tools Claude may call; the reply's tool_use blocks come back as `toolCalls`. */
  tools?: ToolDefinition[];
  model?: string;
  /** The Caelum call this request belongs to, sent as `x-request-id` beside the API's own id. */
  requestId?: string | undefined;
}

export interface ClaudeBackendOptions {
  /**
   * The SDK's own warnings (a deprecated model, say), once per model and message, for Caelum's
   * logger. The SDK writes them with console.warn; they never reach the console.
   */
  onSdkWarning?: (message: string, model: string) => void;
}

export class ClaudeBackend {
  /** The SDK loads on the first escalation, so start-up without a key pays nothing. */
  private sdk: Promise<{ client: Anthropic; Anthropic: typeof Anthropic }> | undefined;
  private readonly warned = new Set<string>();

  constructor(
    readonly config: ClaudeConfig,
    private readonly options: ClaudeBackendOptions = {},
  ) {}

  private warn(message: string, model: string): void {
    const key = `${model}\u0000${message}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.onSdkWarning?.(message, model);
  }

  /**
   * Runs the SDK's synchronous part (where it checks the model and warns) with console.warn routed
   * to the logger. Node is single-threaded, so nothing else runs while it is swapped.
   */
  private quietly<T>(model: string, run: () => T): T {
    const original = console.warn;
    console.warn = (...args: unknown[]) => this.warn(args.map(String).join(' '), model);
    try {
      return run();
    } finally {
      console.warn = original;
    }
  }

  private load() {
    this.sdk ??= import('@anthropic-ai/sdk').then(({ default: Sdk }) => ({
      Anthropic: Sdk,
      client: new Sdk({
        apiKey: this.config.apiKey,
        baseURL: this.config.baseUrl ?? null,
        maxRetries: this.config.maxRetries ?? 0,
        logLevel: 'warn',
        logger: {
          error: (message: string) => this.warn(message, this.config.model),
          warn: (message: string) => this.warn(message, this.config.model),
          info: () => undefined,
          debug: () => undefined,
        },
      }),
    }));
    return this.sdk;
  }

  async complete(request: ClaudeRequest, limits: { signal?: AbortSignal; deadlineMs: number }): Promise<ClaudeResult> {
    const started = performance.now();
    const model = request.model ?? this.config.model;
    const { client, Anthropic: Sdk } = await this.load();
    try {
      const message = await this.quietly(model, () =>
        client.messages.create(
          {
            model,
            max_tokens: request.maxTokens,
            messages: toAnthropicMessages(request.messages) as Anthropic.MessageParam[],
            ...(request.system ? { system: request.system } : {}),
            ...(request.tools?.length ? { tools: toAnthropicTools(request.tools) as Anthropic.Tool[] } : {}),
          },
          {
            signal: limits.signal,
            timeout: Math.max(1, Math.ceil(limits.deadlineMs)),
            ...(request.requestId ? { headers: { 'x-request-id': request.requestId } } : {}),
          },
        ),
      );
      const usage = message.usage as Anthropic.Usage & {
        cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number } | null;
      };
      const write1h = usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
      const write5m =
        usage.cache_creation?.ephemeral_5m_input_tokens ??
        Math.max(0, (usage.cache_creation_input_tokens ?? 0) - write1h);
      const { text, toolCalls } = fromAnthropicContent(message.content);
      return {
        model: message.model,
        content: text,
        inputTokens: usage.input_tokens,
        outputTokens: usage.output_tokens,
        cacheWrite5mTokens: write5m,
        cacheWrite1hTokens: write1h,
        cacheReadTokens: usage.cache_read_input_tokens ?? 0,
        stopReason: message.stop_reason,
        latencyMs: performance.now() - started,
        ...(toolCalls.length ? { toolCalls } : {}),
      };
    } catch (error) {
      throw this.classify(Sdk, error, limits.signal);
    }
  }

  private classify(
    Anthropic: typeof import('@anthropic-ai/sdk').default,
    error: unknown,
    signal: AbortSignal | undefined,
  ): PoolError {
    if (signal?.aborted) return new PoolError('CANCELLED', 'the Claude call was cancelled', 'claude', { cause: error });
    if (error instanceof Anthropic.APIConnectionTimeoutError)
      return new PoolError('HOST_TIMEOUT', 'Claude did not answer before the deadline', 'claude', { cause: error });
    if (error instanceof Anthropic.APIConnectionError)
      return new PoolError('HOST_UNREACHABLE', `Claude is unreachable: ${error.message}`, 'claude', { cause: error });
    if (error instanceof Anthropic.APIError) {
      const status = error.status ?? 0;
      if (status === 401 || status === 403)
        return new PoolError(
          'BAD_REQUEST',
          `Claude refused the API key (HTTP ${status}); check ANTHROPIC_API_KEY`,
          'claude',
          { cause: error },
        );
      if (status === 429 || status >= 500)
        return new PoolError('HOST_ERROR', `Claude answered HTTP ${status}`, 'claude', { cause: error });
      return new PoolError('BAD_REQUEST', `Claude refused the request (HTTP ${status}): ${error.message}`, 'claude', {
        cause: error,
      });
    }
    return new PoolError('INTERNAL', `Claude call failed: ${(error as Error)?.message ?? String(error)}`, 'claude', {
      cause: error,
    });
  }
}
