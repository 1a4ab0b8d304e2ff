// One host that speaks the OpenAI chat-completions API (vLLM, llama.cpp's server, LM Studio, TGI),
// reached through the official `openai` client over undici with a keep-alive connection pool. It
// behaves as OllamaHost does for the pool: every call carries a deadline and the caller's
// AbortSignal, and failures become PoolErrors that say whether another host could do better. The
// client never retries (maxRetries 0): the pool fails over to another host instead, and a host's
// retry-after travels on the PoolError for the pool to honour.
import type { Message, Tool } from 'ollama';
import type OpenAI from 'openai';
import type { Agent } from 'undici';
import type { PoolHostConfig } from './model-pool.js';
import {
  splitCredentials,
  type CallLimits,
  type ChatRequest,
  type ChatResult,
  type DiscoveredModel,
  type HostDiscovery,
  type InstalledModel,
  type LoadedModel,
  type ModelDetails,
} from './ollama-host.js';
import type { PoolBackend } from './pool-backend.js';
import { PoolError } from './pool-error.js';
import { fromOpenAiToolCalls } from './tool-calls.js';

type OpenAiModule = typeof import('openai');

const forwardedHeaders = new Set([
  'accept',
  'content-type',
  'content-length',
  'user-agent',
  'authorization',
  'x-request-id',
]);

/** A model as /v1/models lists it; vLLM adds max_model_len, llama.cpp and LM Studio add their own fields. */
interface ServedModel {
  id: string;
  object?: string;
  created?: number;
  owned_by?: string;
  max_model_len?: number;
  [field: string]: unknown;
}

/** Model families named in served ids, for display and embedding detection (tier-resolution.ts). */
const knownFamilies =
  /(qwen\d*(?:\.\d+)?|llama|gemma\d*|mixtral|mistral|ministral|phi\d*|deepseek|granite|olmo\d*|smollm\d*|falcon\d*|gpt-oss|command-r|nemotron|internlm\d*|glm\d*|yi|exaone|nomic-bert|bert|minilm|e5|bge|gte)/;

/**
 * A parameter size read from a served id, in Ollama's notation: "Qwen/Qwen3-4B" → "4B",
 * "Qwen2.5-0.5B-Instruct" → "0.5B", "Qwen3-30B-A3B" → "30B" (the total, not the active experts),
 * "Mixtral-8x7B" → "56B", "SmolLM2-360M" → "360M". The size must stand as its own part of the name
 * (after "-", "_", "/", ":" or at the start), so "Qwen3" or "Phi-3-mini-4k" are not read as sizes.
 */
export function parameterSizeFromId(id: string): string {
  const experts = /(?:^|[-_/:])(\d+)x(\d+(?:\.\d+)?)b(?![a-z0-9])/i.exec(id);
  if (experts) return `${Number(experts[1]) * Number(experts[2])}B`;
  const match = /(?:^|[-_/:])(\d+(?:\.\d+)?)([bm])(?![a-z0-9])/i.exec(id);
  return match ? `${match[1]}${match[2]!.toUpperCase()}` : '';
}

/** "meta-llama/Llama-3.1-8B-Instruct" → "llama", "Qwen/Qwen3-4B" → "qwen3", else the name's first word. */
export function familyFromId(id: string): string {
  const base = (id.split('/').at(-1) ?? id).toLowerCase();
  return knownFamilies.exec(base)?.[1] ?? /^[a-z]+/.exec(base)?.[0] ?? '';
}

function describeModel(model: ServedModel): DiscoveredModel {
  return { name: model.id, sizeBytes: 0, parameterSize: parameterSizeFromId(model.id), family: familyFromId(model.id) };
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function errnoOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The delay a host asked for: `retry-after-ms` (milliseconds, which the OpenAI client also reads),
 * else `retry-after` in seconds or as an HTTP date. Undefined when neither says anything usable.
 */
export function retryAfterMs(
  headers: { get(name: string): string | null } | undefined,
  now = Date.now(),
): number | undefined {
  const millis = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(millis) && millis >= 0) return millis;
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Sniffs the image type of Ollama's base64 images, for OpenAI's data URLs. */
function imageUrl(image: unknown): string | undefined {
  if (typeof image !== 'string') return undefined;
  const type = image.startsWith('/9j/')
    ? 'jpeg'
    : image.startsWith('R0lG')
      ? 'gif'
      : image.startsWith('UklGR')
        ? 'webp'
        : 'png';
  return `data:image/${type};base64,${image}`;
}

/**
 * The pool's Ollama messages in OpenAI's shape. Ollama's assistant tool calls carry no ids and
 * their arguments are objects; OpenAI's need ids and JSON strings, and each tool result names the
 * id it answers. Ids are made up from positions, so the same conversation always gets the same
 * ids, and each tool result is paired with the earliest unanswered call of the same name (any
 * unanswered call when the result names no tool).
 */
export function toOpenAiMessages(messages: readonly Message[]): OpenAI.Chat.ChatCompletionMessageParam[] {
  const unanswered: { id: string; name: string }[] = [];
  let orphans = 0;
  return messages.map((message, index): OpenAI.Chat.ChatCompletionMessageParam => {
    const content = typeof message.content === 'string' ? message.content : String(message.content ?? '');
    if (message.role === 'tool') {
      const name = (message as { tool_name?: string }).tool_name;
      let at = name ? unanswered.findIndex((call) => call.name === name) : -1;
      if (at === -1 && unanswered.length > 0) at = 0;
      const id = at === -1 ? `call_orphan_${orphans++}` : unanswered.splice(at, 1)[0]!.id;
      return { role: 'tool', tool_call_id: id, content };
    }
    if (message.role === 'assistant') {
      const calls = (message.tool_calls ?? []).map((call, n) => {
        const id = `call_${index}_${n}`;
        unanswered.push({ id, name: call.function.name });
        const args = call.function.arguments as unknown;
        return {
          id,
          type: 'function' as const,
          function: {
            name: call.function.name,
            arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
          },
        };
      });
      return calls.length > 0
        ? { role: 'assistant', content: content || null, tool_calls: calls }
        : { role: 'assistant', content };
    }
    if (message.role === 'system') return { role: 'system', content };
    const images = (message.images ?? []).map(imageUrl).filter((url): url is string => url !== undefined);
    if (images.length === 0) return { role: 'user', content };
    return {
      role: 'user',
      content: [
        ...(content ? [{ type: 'text' as const, text: content }] : []),
        ...images.map((url) => ({ type: 'image_url' as const, image_url: { url } })),
      ],
    };
  });
}

/** Ollama's function tools have OpenAI's shape already; only the fields OpenAI knows are sent. */
function toOpenAiTools(tools: readonly Tool[]): OpenAI.Chat.ChatCompletionTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.function.name ?? '',
      ...(tool.function.description ? { description: tool.function.description } : {}),
      ...(tool.function.parameters ? { parameters: tool.function.parameters as Record<string, unknown> } : {}),
    },
  }));
}

/** Ollama's `format`: "json" is JSON mode, an object is a JSON Schema for structured output. */
function responseFormat(format: string | object): Record<string, unknown> | undefined {
  if (format === 'json') return { type: 'json_object' };
  if (typeof format !== 'object') return undefined;
  const title = (format as { title?: unknown }).title;
  const name = typeof title === 'string' ? title.replace(/[^\w-]/g, '_').slice(0, 64) : '';
  return { type: 'json_schema', json_schema: { name: name || 'response', schema: format } };
}

/**
 * Ollama's options as chat-completion fields. num_predict becomes max_tokens (its -1 and -2 mean
 * "no limit", which is max_tokens left out). top_k, min_p and repeat_penalty are not in OpenAI's
 * API but vLLM, llama.cpp and LM Studio take them as extra fields, so they go only when set.
 * Options with no counterpart (num_ctx: the server fixes its context) are dropped.
 */
function samplingFields(options: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!options) return {};
  const fields: Record<string, unknown> = {};
  const copy = (from: string, to = from) => {
    if (options[from] !== undefined && options[from] !== null) fields[to] = options[from];
  };
  copy('temperature');
  copy('top_p');
  copy('seed');
  copy('stop');
  copy('presence_penalty');
  copy('frequency_penalty');
  copy('top_k');
  copy('min_p');
  copy('repeat_penalty', 'repetition_penalty');
  const limit = options.num_predict;
  if (typeof limit === 'number' && limit >= 0) fields.max_tokens = limit;
  return fields;
}

function tokenLogprobs(list: unknown): number[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((item) => (item as { logprob?: unknown } | null)?.logprob)
    .filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
}

/** An error body, read up to 64 KiB as it streams (a server may answer an error with anything). */
async function errorText(response: Response): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
      chunks.push(Buffer.from(chunk));
      total += chunk.length;
      if (total >= 64 * 1024) {
        await response.body?.cancel().catch(() => undefined);
        break;
      }
    }
  } catch {
    // a body cut off mid-way is read as far as it came
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .slice(0, 64 * 1024);
}

/**
 * An error body in OpenAI's shape, whatever shape the server used: vLLM before 0.10 answered
 * `{"object": "error", "message": ...}` and some servers answer `{"error": "text"}` or plain text,
 * which the client would otherwise report as "(no body)".
 */
async function normalizeError(response: Response, ResponseClass: typeof Response): Promise<Response> {
  const text = await errorText(response);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const { error, message, type, code } = (body ?? {}) as Record<string, unknown>;
  let normalized = text; // OpenAI's own shape, {"error": {...}}, and an empty body stay as they are
  if (typeof error === 'string') normalized = JSON.stringify({ error: { message: error } });
  else if (!error && typeof message === 'string') normalized = JSON.stringify({ error: { message, type, code } });
  else if (!error && text.trim()) normalized = JSON.stringify({ error: { message: text.trim().slice(0, 500) } });
  return new ResponseClass(normalized, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

export class OpenAiHost implements PoolBackend {
  readonly name: string;
  readonly api = 'openai' as const;
  /** The host's URL without credentials. */
  readonly url: string;
  private readonly authorization: string | undefined;
  private transport:
    | Promise<{ sdk: OpenAiModule; fetch: typeof import('undici').fetch; Response: typeof Response; agent: Agent }>
    | undefined;
  /** The ids /v1/models listed last, to undo the pool's ":latest" (see wireModel). */
  private served = new Set<string>();

  constructor(readonly config: PoolHostConfig) {
    this.name = config.name;
    const { url, authorization } = splitCredentials(config.url);
    this.url = url.replace(/\/v1$/, '');
    this.authorization = authorization;
  }

  /** The `openai` client and undici load on first use, so start-up without hosts pays nothing. */
  private loadTransport() {
    this.transport ??= Promise.all([import('openai'), import('undici')]).then(([sdk, undici]) => ({
      sdk,
      fetch: undici.fetch,
      Response: undici.Response as unknown as typeof Response,
      agent: new undici.Agent({
        keepAliveTimeout: 30_000,
        connections: Math.max(4, this.config.maxConcurrent * 2),
        connect: { timeout: 5_000 },
      }),
    }));
    return this.transport;
  }

  /** A fetch bound to the keep-alive pool and one call's signal; error bodies come back in OpenAI's shape. */
  private async boundFetch(signal: AbortSignal) {
    const { fetch: undiciFetch, agent, Response: ResponseClass } = await this.loadTransport();
    // URL credentials (a proxy with basic auth) apply when no bearer key is configured; with a key
    // the client's own Authorization header stands.
    const authorization = this.config.apiKey ? undefined : this.authorization;
    return (async (input: string, init: RequestInit = {}) => {
      // Only the headers the API needs go to the host: the client adds OpenAI-Organization,
      // OpenAI-Project and OPENAI_CUSTOM_HEADERS from the environment, meant for api.openai.com.
      const headers = new Headers();
      for (const [name, value] of new Headers(init.headers))
        if (forwardedHeaders.has(name) || name.startsWith('x-stainless-')) headers.set(name, value);
      if (authorization) headers.set('authorization', authorization);
      else if (!this.config.apiKey) headers.delete('authorization');
      const response = (await undiciFetch(input, {
        ...(init as object),
        headers,
        dispatcher: agent,
        signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal,
      } as never)) as unknown as Response;
      return response.ok ? response : normalizeError(response, ResponseClass);
    }) as unknown as typeof fetch;
  }

  /** A client bound to one call's deadline and signal; the `openai` client is a thin object. */
  private async client(signal: AbortSignal, deadlineMs: number): Promise<OpenAI> {
    const { sdk } = await this.loadTransport();
    return new sdk.OpenAI({
      baseURL: `${this.url}/v1`,
      apiKey: this.config.apiKey ?? 'none',
      // Nothing from OPENAI_* variables (meant for api.openai.com) reaches a self-hosted server.
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      maxRetries: 0,
      // The call's own deadline (AbortSignal.timeout) fires first and is reported as HOST_TIMEOUT.
      timeout: Math.max(1, Math.ceil(deadlineMs)) + 1_000,
      // Failures come back as PoolErrors; the client would also print them on the console.
      logLevel: 'off',
      fetch: await this.boundFetch(signal),
    });
  }

  private async run<T>(
    what: string,
    limits: CallLimits,
    work: (client: OpenAI, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const deadline = AbortSignal.timeout(Math.max(1, Math.ceil(limits.deadlineMs)));
    const signal = limits.signal ? AbortSignal.any([limits.signal, deadline]) : deadline;
    try {
      return await work(await this.client(signal, limits.deadlineMs), signal);
    } catch (error) {
      const { sdk } = await this.loadTransport();
      throw this.classify(error, what, limits, deadline, sdk);
    }
  }

  /** The key never appears in a message, whatever a server echoes back. */
  private redact(text: string): string {
    const key = this.config.apiKey;
    return key && key.length >= 4 ? text.split(key).join('[key]') : text;
  }

  private classify(
    error: unknown,
    what: string,
    limits: CallLimits,
    deadline: AbortSignal,
    sdk: OpenAiModule,
  ): PoolError {
    // Cancellation and the deadline come first: the client ends an aborted stream quietly, and
    // the "no finish_reason" error that follows is only a symptom.
    if (limits.signal?.aborted)
      return new PoolError('CANCELLED', `${what} on ${this.name} was cancelled`, this.name, { cause: error });
    if (deadline.aborted)
      return new PoolError(
        'HOST_TIMEOUT',
        `${what} on ${this.name} passed its ${limits.deadlineMs} ms deadline`,
        this.name,
        { cause: error },
      );
    if (error instanceof PoolError) return error;
    if (error instanceof sdk.APIConnectionTimeoutError)
      return new PoolError('HOST_TIMEOUT', `${what} on ${this.name} timed out`, this.name, { cause: error });
    if (error instanceof sdk.APIError && !(error instanceof sdk.APIConnectionError)) {
      const status = error.status;
      const detail = this.redact(error.message.replace(/^\d{3} /, ''));
      if (status === undefined)
        // An error event inside a stream (vLLM sends `data: {"error": ...}`): the host failed mid-answer.
        return new PoolError('HOST_ERROR', `${this.name} failed mid-stream: ${detail}`, this.name, { cause: error });
      if (status === 401 || status === 403)
        return new PoolError(
          'BAD_REQUEST',
          `${this.name} refused the API key (HTTP ${status}); ${this.config.apiKey ? 'check its apiKey' : 'it needs an apiKey (CAELUM_OPENAI_API_KEY or the host entry)'}`,
          this.name,
          { cause: error },
        );
      if (status === 404)
        return new PoolError('MODEL_NOT_FOUND', `${this.name}: ${detail}`, this.name, { cause: error });
      if (status >= 500 || status === 429) {
        const delay = retryAfterMs(error.headers);
        return new PoolError(
          'HOST_ERROR',
          `${this.name} answered HTTP ${status}: ${detail}${delay !== undefined ? ` (retry after ${Math.round(delay)} ms)` : ''}`,
          this.name,
          { cause: error, retryAfterMs: delay },
        );
      }
      return new PoolError('BAD_REQUEST', `${this.name} refused the request (HTTP ${status}): ${detail}`, this.name, {
        cause: error,
      });
    }
    const errno = errnoOf(error);
    if (error instanceof sdk.APIConnectionError || error instanceof TypeError || errno) {
      const cause = (error as { cause?: unknown }).cause;
      const reason = errno ?? (cause instanceof Error ? cause.message : (error as Error).message);
      return new PoolError('HOST_UNREACHABLE', `${what} on ${this.name} failed: ${this.redact(reason)}`, this.name, {
        cause: error,
      });
    }
    // A body that is not the JSON it should be (a proxy's HTML page, a broken SSE line) is the host's fault.
    if (error instanceof SyntaxError)
      return new PoolError('HOST_ERROR', `${this.name} sent a malformed answer: ${error.message}`, this.name, {
        cause: error,
      });
    return new PoolError(
      'INTERNAL',
      `${what} on ${this.name}: ${this.redact((error as Error)?.message ?? String(error))}`,
      this.name,
      { cause: error },
    );
  }

  /**
   * The id to send for a model. The pool names models as Ollama does and adds ":latest" to a name
   * without a tag ("Qwen/Qwen3-4B" becomes "Qwen/Qwen3-4B:latest"); an OpenAI server knows only
   * its own ids, so the suffix goes unless the server lists the name with it.
   */
  private wireModel(model: string): string {
    if (this.served.has(model) || !model.endsWith(':latest')) return model;
    return model.slice(0, -':latest'.length);
  }

  private async listModels(client: OpenAI, signal: AbortSignal): Promise<ServedModel[]> {
    const page = await client.models.list({ signal });
    const models = (page.data as unknown as ServedModel[]).filter((m) => typeof m?.id === 'string');
    this.served = new Set(models.map((m) => m.id));
    return models;
  }

  /**
   * The server's version when it has an endpoint for it (vLLM's GET /version); the others (LM
   * Studio, llama.cpp) have none, so any failure here means "unknown", never a failed discovery.
   */
  private async serverVersion(signal: AbortSignal): Promise<string | undefined> {
    try {
      const response = await (
        await this.boundFetch(signal)
      )(`${this.url}/version`, {
        headers: this.config.apiKey ? { authorization: `Bearer ${this.config.apiKey}` } : {},
      });
      if (!response.ok) return undefined;
      const version = ((await response.json()) as { version?: unknown }).version;
      return typeof version === 'string' ? version : undefined;
    } catch {
      return undefined;
    }
  }

  /** The served models from /v1/models; all of them are resident, as an OpenAI server keeps what it serves loaded. */
  discover(limits: CallLimits): Promise<HostDiscovery> {
    return this.run('discovery', limits, async (client, signal) => {
      const [models, version] = await Promise.all([this.listModels(client, signal), this.serverVersion(signal)]);
      return {
        version,
        models: models.map(describeModel),
        resident: models.map((m) => ({ name: m.id, vramBytes: 0, expiresAt: '' })),
      };
    });
  }

  /** Installed and loaded are the same list here: the models the server serves. */
  inventory(limits: CallLimits): Promise<{ installed: InstalledModel[]; loaded: LoadedModel[] }> {
    return this.run('model listing', limits, async (client, signal) => {
      const models = await this.listModels(client, signal);
      return {
        installed: models.map((m) => {
          const described = describeModel(m);
          return {
            name: m.id,
            sizeBytes: 0,
            digest: '',
            modifiedAt: numberOr(m.created) !== undefined ? new Date(m.created! * 1000).toISOString() : '',
            family: described.family,
            parameterSize: described.parameterSize,
            quantization: '',
            format: '',
          };
        }),
        loaded: models.map((m) => ({
          name: m.id,
          sizeBytes: 0,
          vramBytes: 0,
          expiresAt: '',
          contextLength: numberOr(m.max_model_len),
        })),
      };
    });
  }

  /**
   * What /v1/models says of one model. The API has no template, license or capabilities; the
   * server's own fields (owned_by, max_model_len, root...) are listed under `parameters`.
   */
  show(model: string, limits: CallLimits): Promise<ModelDetails> {
    return this.run(`details of ${model}`, limits, async (client, signal) => {
      const models = await this.listModels(client, signal);
      const id = this.wireModel(model);
      const found = models.find((m) => m.id === id);
      if (!found)
        throw new PoolError(
          'MODEL_NOT_FOUND',
          `${this.name} does not serve ${id}; it serves ${models.map((m) => m.id).join(', ') || 'nothing'}`,
          this.name,
        );
      const described = describeModel(found);
      const extra = Object.entries(found)
        .filter(
          ([key, value]) => !['id', 'object', 'permission'].includes(key) && value !== null && value !== undefined,
        )
        .map(([key, value]) => `${key} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
      return {
        name: found.id,
        family: described.family,
        parameterSize: described.parameterSize,
        quantization: '',
        format: '',
        parameters: extra.join('\n'),
        template: '',
        system: '',
        license: '',
        capabilities: [],
        contextLength: numberOr(found.max_model_len),
        parameterCount: undefined,
        architecture: undefined,
        modifiedAt: numberOr(found.created) !== undefined ? new Date(found.created! * 1000).toISOString() : undefined,
      };
    });
  }

  private chatBody(request: ChatRequest): Record<string, unknown> {
    const format = request.format ? responseFormat(request.format) : undefined;
    return {
      model: this.wireModel(request.model),
      messages: toOpenAiMessages(request.messages),
      ...samplingFields(request.options),
      ...(format ? { response_format: format } : {}),
      ...(request.logprobs ? { logprobs: true } : {}),
      ...(request.tools?.length ? { tools: toOpenAiTools(request.tools) } : {}),
    };
  }

  async chat(request: ChatRequest, limits: CallLimits): Promise<ChatResult> {
    const started = performance.now();
    // The Caelum call this request belongs to, as the host's own log will show it.
    const requestHeaders = request.requestId ? { headers: { 'x-request-id': request.requestId } } : {};
    return this.run(`chat with ${request.model}`, limits, async (client, signal) => {
      const body = this.chatBody(request);
      if (!request.onToken) {
        const completion = await client.chat.completions.create({ ...body, stream: false } as never, {
          signal,
          ...requestHeaders,
        });
        const choice = completion.choices[0];
        if (!choice) throw new PoolError('HOST_ERROR', `${this.name} answered with no choice`, this.name);
        const logprobs = tokenLogprobs(choice.logprobs?.content);
        const toolCalls = fromOpenAiToolCalls(choice.message.tool_calls);
        return {
          host: this.name,
          model: completion.model || String(body.model),
          content: choice.message.content ?? '',
          promptTokens: completion.usage?.prompt_tokens ?? 0,
          outputTokens: completion.usage?.completion_tokens ?? 0,
          doneReason: choice.finish_reason ?? undefined,
          latencyMs: performance.now() - started,
          ...(logprobs.length ? { logprobs } : {}),
          ...(toolCalls.length ? { toolCalls } : {}),
        };
      }
      const stream = await client.chat.completions.create(
        { ...body, stream: true, stream_options: { include_usage: true } } as never,
        { signal, ...requestHeaders },
      );
      let content = '';
      let model = '';
      let finishReason: string | undefined;
      let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
      const logprobs: number[] = [];
      // Streamed tool calls come in pieces keyed by index: the id and name first, then the
      // arguments' JSON in fragments.
      const calls: { id?: string; name: string; arguments: string }[] = [];
      for await (const chunk of stream as unknown as AsyncIterable<OpenAI.Chat.ChatCompletionChunk>) {
        model ||= chunk.model;
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        logprobs.push(...tokenLogprobs(choice.logprobs?.content));
        for (const piece of choice.delta?.tool_calls ?? []) {
          const call = (calls[piece.index ?? calls.length] ??= { name: '', arguments: '' });
          if (piece.id) call.id = piece.id;
          if (piece.function?.name) call.name += piece.function.name;
          if (piece.function?.arguments) call.arguments += piece.function.arguments;
        }
        const text = choice.delta?.content;
        if (text) {
          content += text;
          request.onToken!(text);
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      if (!finishReason)
        throw new PoolError('HOST_ERROR', `${this.name} ended the stream before a finish_reason`, this.name);
      const toolCalls = fromOpenAiToolCalls(
        calls.filter(Boolean).map((c) => ({ id: c.id, function: { name: c.name, arguments: c.arguments } })),
      );
      return {
        host: this.name,
        model: model || String(body.model),
        content,
        // The server's own counts when it sends them (vLLM, llama.cpp and LM Studio do with
        // include_usage). Without them the prompt stays 0 rather than a guess; the output is the
        // number of token logprobs when they were asked for, since there is one per token.
        promptTokens: usage?.prompt_tokens ?? 0,
        outputTokens: usage?.completion_tokens ?? logprobs.length,
        doneReason: finishReason,
        latencyMs: performance.now() - started,
        ...(logprobs.length ? { logprobs } : {}),
        ...(toolCalls.length ? { toolCalls } : {}),
      };
    });
  }

  embed(model: string, input: string[], limits: CallLimits): Promise<{ embeddings: number[][]; promptTokens: number }> {
    return this.run(`embedding with ${model}`, limits, async (client, signal) => {
      // Floats asked for explicitly: the client asks for base64 by default, which not every server speaks.
      const response = await client.embeddings.create(
        { model: this.wireModel(model), input, encoding_format: 'float' },
        { signal },
      );
      const data = [...response.data].sort((a, b) => a.index - b.index);
      if (data.length !== input.length)
        throw new PoolError(
          'HOST_ERROR',
          `${this.name} returned ${data.length} embeddings for ${input.length} texts`,
          this.name,
        );
      return { embeddings: data.map((d) => d.embedding), promptTokens: response.usage?.prompt_tokens ?? 0 };
    });
  }

  /** A deep probe: one generated token within the deadline, since a listing says nothing of generation. */
  async probe(model: string, limits: CallLimits): Promise<{ latencyMs: number }> {
    const started = performance.now();
    await this.run(`probe with ${model}`, limits, (client, signal) =>
      client.chat.completions.create(
        { model: this.wireModel(model), messages: [{ role: 'user', content: 'ping' }], max_tokens: 1, stream: false },
        { signal },
      ),
    );
    return { latencyMs: performance.now() - started };
  }

  /**
   * A cheap liveness check: GET /v1/models. Every OpenAI-compatible server answers it without
   * touching a model, and it goes through the same key check as real calls. /health would be
   * cheaper still, but LM Studio has none, vLLM guards it with no key, and llama.cpp's says 503
   * while loading, so its meaning differs by server.
   */
  async ping(limits: CallLimits): Promise<void> {
    await this.run('liveness check', limits, (client, signal) => client.models.list({ signal }));
  }

  private refuse(action: string): Promise<never> {
    return Promise.reject(
      new PoolError(
        'BAD_REQUEST',
        `${this.name} speaks the OpenAI API; ${action} models is Ollama's — manage models on the server itself`,
        this.name,
      ),
    );
  }

  remove(_model: string, _limits: CallLimits): Promise<void> {
    return this.refuse('deleting');
  }

  unload(_model: string, _limits: CallLimits): Promise<void> {
    return this.refuse('unloading');
  }

  pull(_model: string, _onProgress: unknown, _limits: CallLimits): Promise<void> {
    return this.refuse('pulling');
  }

  async close(): Promise<void> {
    if (this.transport) await (await this.transport).agent.close();
  }
}
