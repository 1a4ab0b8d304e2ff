// One Ollama host, reached through the official `ollama` client over undici with a keep-alive
// connection pool. Every call carries a deadline and the caller's AbortSignal; failures become
// PoolErrors that say whether another host could do better.
import type { Message, Ollama, Tool } from 'ollama';
import type { Agent } from 'undici';
import type { PoolHostConfig } from './model-pool.js';
import type { PoolBackend } from './pool-backend.js';
import { PoolError } from './pool-error.js';
import { fromOllamaToolCalls, type ToolCall } from './tool-calls.js';

export interface DiscoveredModel {
  name: string;
  sizeBytes: number;
  parameterSize: string;
  family: string;
}

export interface ResidentModel {
  name: string;
  vramBytes: number;
  expiresAt: string;
}

export interface HostDiscovery {
  /** Undefined when the API has no way to say it (many OpenAI-compatible servers). */
  version: string | undefined;
  models: DiscoveredModel[];
  resident: ResidentModel[];
}

/** An installed model as /api/tags lists it, with its residency from /api/ps when it is loaded. */
export interface InstalledModel {
  name: string;
  sizeBytes: number;
  digest: string;
  modifiedAt: string;
  family: string;
  parameterSize: string;
  quantization: string;
  format: string;
}

/** A model loaded in memory now, as /api/ps reports it. */
export interface LoadedModel {
  name: string;
  sizeBytes: number;
  vramBytes: number;
  expiresAt: string;
  contextLength: number | undefined;
}

/** A model's details from /api/show. */
export interface ModelDetails {
  name: string;
  family: string;
  parameterSize: string;
  quantization: string;
  format: string;
  parameters: string;
  template: string;
  system: string;
  license: string;
  capabilities: string[];
  contextLength: number | undefined;
  parameterCount: number | undefined;
  architecture: string | undefined;
  modifiedAt: string | undefined;
}

export interface ChatRequest {
  model: string;
  messages: Message[];
  /** "json" or a JSON Schema for structured output. */
  format?: string | object;
  options?: Record<string, unknown>;
  /** Ask for token logprobs; a host that does not support them ignores the field and returns none. */
  logprobs?: boolean;
  /** Tools the model may call (Ollama's /api/chat `tools`). */
  tools?: Tool[];
  /** Called with each streamed piece; when set, the call streams. */
  onToken?: (text: string) => void;
  /** The Caelum call this request belongs to, sent as `x-request-id` (the ledger rows carry it as callId). */
  requestId?: string | undefined;
}

export interface ChatResult {
  host: string;
  model: string;
  content: string;
  promptTokens: number;
  outputTokens: number;
  doneReason: string | undefined;
  latencyMs: number;
  /** The log-probability of each generated token, when the host returned them. */
  logprobs?: number[];
  /** The model's `message.tool_calls`, when the request offered tools and it called some. */
  toolCalls?: ToolCall[];
}

/** Token logprobs from Ollama's `logprobs: [{token, logprob, ...}]`, dropping anything malformed. */
function tokenLogprobs(list: unknown): number[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((item) => (item as { logprob?: unknown } | null)?.logprob)
    .filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export interface CallLimits {
  signal?: AbortSignal;
  deadlineMs: number;
}

function errnoOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A host URL's userinfo (http://user:password@proxy:11434, Ollama behind a proxy with basic auth)
 * becomes an Authorization header: fetch refuses URLs with credentials, and its error message would
 * carry the password. The URL kept for requests and status has no credentials.
 */
export function splitCredentials(value: string): { url: string; authorization?: string } {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return { url: value.replace(/\/+$/, '') };
  }
  if (!parsed.username && !parsed.password) return { url: value.replace(/\/+$/, '') };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return {
    url: parsed.toString().replace(/\/+$/, ''),
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  };
}

function withAuthorization(headers: RequestInit['headers'], authorization: string): Headers {
  const merged = new Headers(headers);
  if (!merged.has('authorization')) merged.set('authorization', authorization);
  return merged;
}

export class OllamaHost implements PoolBackend {
  readonly name: string;
  readonly api = 'ollama' as const;
  /** The host's URL without credentials. */
  readonly url: string;
  private readonly authorization: string | undefined;
  private transport: Promise<{ Ollama: typeof Ollama; fetch: typeof import('undici').fetch; agent: Agent }> | undefined;

  constructor(readonly config: PoolHostConfig) {
    this.name = config.name;
    const { url, authorization } = splitCredentials(config.url);
    this.url = url;
    this.authorization = authorization;
  }

  /** The `ollama` client and undici load on first use, so start-up without hosts pays nothing. */
  private loadTransport() {
    this.transport ??= Promise.all([import('ollama'), import('undici')]).then(([ollama, undici]) => ({
      Ollama: ollama.Ollama,
      fetch: undici.fetch,
      agent: new undici.Agent({
        keepAliveTimeout: 30_000,
        connections: Math.max(4, this.config.maxConcurrent * 2),
        connect: { timeout: 5_000 },
      }),
    }));
    return this.transport;
  }

  /** A client bound to one call's deadline and signal; the `ollama` client is a thin object. */
  private async client(signal: AbortSignal, requestId?: string): Promise<Ollama> {
    const { Ollama: Client, fetch: undiciFetch, agent } = await this.loadTransport();
    const authorization = this.authorization;
    const extra = (headers: RequestInit['headers']) => {
      if (!authorization && !requestId) return undefined;
      const merged = authorization ? withAuthorization(headers, authorization) : new Headers(headers);
      if (requestId) merged.set('x-request-id', requestId);
      return merged;
    };
    const boundFetch = ((input: string, init: RequestInit = {}) =>
      undiciFetch(input, {
        ...(init as object),
        ...(authorization || requestId ? { headers: extra(init.headers) } : {}),
        dispatcher: agent,
        signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal,
      } as never)) as unknown as typeof fetch;
    return new Client({ host: this.url, fetch: boundFetch });
  }

  private async run<T>(
    what: string,
    limits: CallLimits,
    work: (client: Ollama) => Promise<T>,
    requestId?: string,
  ): Promise<T> {
    const deadline = AbortSignal.timeout(Math.max(1, Math.ceil(limits.deadlineMs)));
    const signal = limits.signal ? AbortSignal.any([limits.signal, deadline]) : deadline;
    try {
      return await work(await this.client(signal, requestId));
    } catch (error) {
      throw this.classify(error, what, limits, deadline);
    }
  }

  private classify(error: unknown, what: string, limits: CallLimits, deadline: AbortSignal): PoolError {
    if (error instanceof PoolError) return error;
    if (limits.signal?.aborted)
      return new PoolError('CANCELLED', `${what} on ${this.name} was cancelled`, this.name, { cause: error });
    if (deadline.aborted)
      return new PoolError(
        'HOST_TIMEOUT',
        `${what} on ${this.name} passed its ${limits.deadlineMs} ms deadline`,
        this.name,
        { cause: error },
      );
    const status = (error as { status_code?: unknown }).status_code;
    if (typeof status === 'number') {
      // The ollama client reports an error body it does not know (a non-Ollama server's) as "[object Object]".
      const message = (error as Error).message;
      const detail = message === '[object Object]' ? `HTTP ${status} in a shape Ollama does not answer` : message;
      if (status === 404)
        return new PoolError(
          'MODEL_NOT_FOUND',
          `${this.name}: ${detail}${what === 'discovery' || what === 'liveness check' ? '; if this host serves the OpenAI API (vLLM, llama.cpp, LM Studio), give it api: "openai" (CAELUM_OPENAI_HOSTS)' : ''}`,
          this.name,
          { cause: error },
        );
      if (status >= 500 || status === 429)
        return new PoolError('HOST_ERROR', `${this.name} answered HTTP ${status}: ${detail}`, this.name, {
          cause: error,
        });
      return new PoolError('BAD_REQUEST', `${this.name} refused the request (HTTP ${status}): ${detail}`, this.name, {
        cause: error,
      });
    }
    const errno = errnoOf(error);
    if (error instanceof TypeError || errno) {
      return new PoolError(
        'HOST_UNREACHABLE',
        `${what} on ${this.name} failed: ${errno ?? (error as Error).message}`,
        this.name,
        { cause: error },
      );
    }
    return new PoolError(
      'INTERNAL',
      `${what} on ${this.name}: ${(error as Error)?.message ?? String(error)}`,
      this.name,
      { cause: error },
    );
  }

  /** Version, installed models (/api/tags) and resident models with their VRAM (/api/ps). */
  discover(limits: CallLimits): Promise<HostDiscovery> {
    return this.run('discovery', limits, async (client) => {
      const [version, tags, ps] = await Promise.all([client.version(), client.list(), client.ps()]);
      return {
        version: version.version,
        models: tags.models.map((m) => ({
          name: m.name,
          sizeBytes: m.size,
          parameterSize: m.details?.parameter_size ?? '',
          family: m.details?.family ?? '',
        })),
        resident: ps.models.map((m) => ({ name: m.name, vramBytes: m.size_vram, expiresAt: String(m.expires_at) })),
      };
    });
  }

  /** Installed models (/api/tags) and the ones loaded in memory now (/api/ps), live. */
  inventory(limits: CallLimits): Promise<{ installed: InstalledModel[]; loaded: LoadedModel[] }> {
    return this.run('model listing', limits, async (client) => {
      const [tags, ps] = await Promise.all([client.list(), client.ps()]);
      return {
        installed: tags.models.map((m) => ({
          name: m.name,
          sizeBytes: m.size,
          digest: m.digest ?? '',
          modifiedAt: String(m.modified_at ?? ''),
          family: m.details?.family ?? '',
          parameterSize: m.details?.parameter_size ?? '',
          quantization: m.details?.quantization_level ?? '',
          format: m.details?.format ?? '',
        })),
        loaded: ps.models.map((m) => ({
          name: m.name,
          sizeBytes: m.size,
          vramBytes: m.size_vram,
          expiresAt: String(m.expires_at),
          contextLength: numberOr((m as { context_length?: unknown }).context_length),
        })),
      };
    });
  }

  /** A model's details: parameters, template, context length and capabilities (/api/show). */
  show(model: string, limits: CallLimits): Promise<ModelDetails> {
    return this.run(`details of ${model}`, limits, async (client) => {
      const r = await client.show({ model });
      // model_info is a plain JSON object on the wire, keyed "<architecture>.context_length" etc.
      const info = (r.model_info ?? {}) as unknown as Record<string, unknown>;
      const architecture = typeof info['general.architecture'] === 'string' ? info['general.architecture'] : undefined;
      return {
        name: model,
        family: r.details?.family ?? '',
        parameterSize: r.details?.parameter_size ?? '',
        quantization: r.details?.quantization_level ?? '',
        format: r.details?.format ?? '',
        parameters: r.parameters ?? '',
        template: r.template ?? '',
        system: r.system ?? '',
        license: r.license ?? '',
        capabilities: Array.isArray(r.capabilities) ? r.capabilities : [],
        contextLength: numberOr(architecture ? info[`${architecture}.context_length`] : undefined),
        parameterCount: numberOr(info['general.parameter_count']),
        architecture,
        modifiedAt: r.modified_at ? String(r.modified_at) : undefined,
      };
    });
  }

  /** Deletes a model from the host's disk (/api/delete); a loaded copy is unloaded by Ollama. */
  remove(model: string, limits: CallLimits): Promise<void> {
    return this.run(`deletion of ${model}`, limits, async (client) => {
      await client.delete({ model });
    });
  }

  async chat(request: ChatRequest, limits: CallLimits): Promise<ChatResult> {
    const started = performance.now();
    return this.run(
      `chat with ${request.model}`,
      limits,
      async (client) => {
        const base = {
          model: request.model,
          messages: request.messages,
          ...(request.format ? { format: request.format } : {}),
          ...(request.options ? { options: request.options } : {}),
          ...(request.logprobs ? { logprobs: true } : {}),
          ...(request.tools?.length ? { tools: request.tools } : {}),
        };
        if (!request.onToken) {
          const response = await client.chat({ ...base, stream: false } as never);
          const r = response as unknown as {
            model: string;
            message: { content: string; tool_calls?: unknown };
            prompt_eval_count?: number;
            eval_count?: number;
            done_reason?: string;
            logprobs?: unknown;
          };
          const logprobs = tokenLogprobs(r.logprobs);
          const toolCalls = fromOllamaToolCalls(r.message.tool_calls);
          return {
            host: this.name,
            model: r.model,
            content: r.message.content,
            promptTokens: r.prompt_eval_count ?? 0,
            outputTokens: r.eval_count ?? 0,
            doneReason: r.done_reason,
            latencyMs: performance.now() - started,
            ...(logprobs.length ? { logprobs } : {}),
            ...(toolCalls.length ? { toolCalls } : {}),
          };
        }
        const stream = await client.chat({ ...base, stream: true } as never);
        let content = '';
        const logprobs: number[] = [];
        const toolCalls: ToolCall[] = [];
        let last:
          | { model: string; prompt_eval_count?: number; eval_count?: number; done_reason?: string; done: boolean }
          | undefined;
        for await (const part of stream as unknown as AsyncIterable<{
          model: string;
          message: { content: string; tool_calls?: unknown };
          done: boolean;
          prompt_eval_count?: number;
          eval_count?: number;
          done_reason?: string;
          logprobs?: unknown;
        }>) {
          logprobs.push(...tokenLogprobs(part.logprobs));
          toolCalls.push(...fromOllamaToolCalls(part.message.tool_calls));
          if (part.message.content) {
            content += part.message.content;
            request.onToken(part.message.content);
          }
          last = part;
        }
        if (!last?.done)
          throw new PoolError('HOST_ERROR', `${this.name} ended the stream before it was done`, this.name);
        return {
          host: this.name,
          model: last.model,
          content,
          promptTokens: last.prompt_eval_count ?? 0,
          outputTokens: last.eval_count ?? 0,
          doneReason: last.done_reason,
          latencyMs: performance.now() - started,
          ...(logprobs.length ? { logprobs } : {}),
          ...(toolCalls.length ? { toolCalls } : {}),
        };
      },
      request.requestId,
    );
  }

  embed(model: string, input: string[], limits: CallLimits): Promise<{ embeddings: number[][]; promptTokens: number }> {
    return this.run(`embedding with ${model}`, limits, async (client) => {
      const response = await client.embed({ model, input });
      return {
        embeddings: response.embeddings,
        promptTokens: (response as { prompt_eval_count?: number }).prompt_eval_count ?? 0,
      };
    });
  }

  /**
   * A deep probe: Ollama's `/` says "running" even when generation hangs, so ask the smallest
   * model for one token within the deadline.
   */
  async probe(model: string, limits: CallLimits): Promise<{ latencyMs: number }> {
    const started = performance.now();
    await this.run(`probe with ${model}`, limits, (client) =>
      client.generate({ model, prompt: 'ping', stream: false, options: { num_predict: 1 } }),
    );
    return { latencyMs: performance.now() - started };
  }

  /**
   * A cheap liveness check for between deep probes: `GET /api/version`, which Ollama answers
   * without touching a model. It says the server is up, not that generation works.
   */
  async ping(limits: CallLimits): Promise<void> {
    await this.run('liveness check', limits, (client) => client.version());
  }

  /** Unloads a model from VRAM: a generate request with keep_alive 0, as Ollama documents. */
  unload(model: string, limits: CallLimits): Promise<void> {
    return this.run(`unload of ${model}`, limits, async (client) => {
      await client.generate({ model, prompt: '', keep_alive: 0, stream: false });
    });
  }

  pull(
    model: string,
    onProgress: (status: string, completed?: number, total?: number) => void,
    limits: CallLimits,
  ): Promise<void> {
    return this.run(`pull of ${model}`, limits, async (client) => {
      const stream = await client.pull({ model, stream: true });
      let last = '';
      for await (const part of stream) {
        last = part.status;
        onProgress(part.status, part.completed, part.total);
      }
      if (last !== 'success')
        throw new PoolError('HOST_ERROR', `${this.name} ended the pull of ${model} with "${last}"`, this.name);
    });
  }

  async close(): Promise<void> {
    if (this.transport) await (await this.transport).agent.close();
  }
}
