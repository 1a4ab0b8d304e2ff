// A loopback server that speaks the OpenAI chat-completions API as vLLM (0.11) serves it: GET
// /v1/models with max_model_len, POST /v1/chat/completions (JSON with usage, or SSE `data:` lines
// ending `data: [DONE]`, the usage in a last chunk with no choices when include_usage is asked),
// token logprobs, tool calls with ids and JSON-string arguments, response_format, POST
// /v1/embeddings, GET /version and /health, errors as `{"error": {message, type, code}}` (or the
// older `{"object": "error", ...}`), and an optional bearer key on /v1 paths as `vllm --api-key`
// does. Faults are scriptable (429 with retry-after, 503, stalls, an error event or a reset
// mid-stream, a stream that stops with no finish_reason), and it counts what it answered.
import http from 'node:http';
import { countWhenSent } from './sent-tally.js';
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { countTokens, peerEmbedding, type RequestLog } from './ollama-peer.js';

export interface OpenAiPeerModel {
  id: string;
  maxModelLen?: number;
  /** Embedding models answer /v1/embeddings; the others answer chat. */
  embedding?: boolean;
}

export type OpenAiFault =
  | { kind: 'status'; status: number; message?: string; retryAfter?: string; retryAfterMs?: number }
  | { kind: 'stall' }
  | { kind: 'reset-mid-stream'; afterChunks: number }
  /** vLLM's way to fail a stream it already started: `data: {"error": {...}}`, then the end. */
  | { kind: 'error-mid-stream'; afterChunks: number; message?: string }
  /** The stream ends cleanly (`[DONE]`) after some chunks but never sent a finish_reason. */
  | { kind: 'truncate-stream'; afterChunks: number };

export interface OpenAiToolTurn {
  content?: string;
  toolCalls?: { name: string; arguments: unknown }[];
}

export interface OpenAiPeerOptions {
  models?: OpenAiPeerModel[];
  /** GET /version's answer; unset, /version is a 404 as on LM Studio or llama.cpp. */
  version?: string;
  /** Required bearer key on /v1 paths; a request without it gets vLLM's 401. */
  apiKey?: string;
  /** vLLM before 0.10 answered errors as `{"object": "error", "message", "type", "param", "code"}`. */
  legacyErrors?: boolean;
  /** Reply to the last user message. Default: its words reversed (JSON `{"reply": ...}` under response_format). */
  reply?: (prompt: string, model: string) => string;
  /** Token logprobs when a request asks (`logprobs: true`); unset, the server ignores the field. */
  logprob?: (token: string, index: number, model: string) => number;
  /** Leaves usage out of streams even when include_usage is asked, as some servers do. */
  omitStreamUsage?: boolean;
  /** The reply to a chat that offers `tools`, given the request's messages (OpenAI's shape). */
  toolTurn?: (messages: any[], tools: string[], model: string) => OpenAiToolTurn;
  latencyMs?: number;
  chunkDelayMs?: number;
}

const defaultModels: OpenAiPeerModel[] = [
  { id: 'Qwen/Qwen3-4B', maxModelLen: 40_960 },
  { id: 'meta-llama/Llama-3.1-8B-Instruct', maxModelLen: 131_072 },
  { id: 'google/gemma-3-1b-it', maxModelLen: 32_768 },
];

const modelPaths = ['/v1/chat/completions', '/v1/embeddings'];

export class OpenAiPeer {
  readonly requests: RequestLog[] = [];
  /** Every request's headers, in the order of `requests`. */
  readonly headers: http.IncomingHttpHeaders[] = [];
  url = '';
  /** Model requests (chat, embeddings) being answered now, and the most there ever were. */
  inFlight = 0;
  maxInFlight = 0;
  /** Tokens in the usage of responses sent whole, and how many model requests were answered whole. */
  readonly tokensSent = { prompt: 0, completion: 0 };
  answered = 0;
  /** The same, per Caelum call (`x-request-id`; a call's cascade steps add up under one id). */
  readonly sentByRequestId = new Map<string, { prompt: number; completion: number; requests: number }>();
  models: OpenAiPeerModel[];
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly faults: { fault: OpenAiFault; path: string | undefined }[] = [];
  private persistentFault: { fault: OpenAiFault; path: string | undefined } | undefined;

  constructor(readonly options: OpenAiPeerOptions = {}) {
    this.models = options.models ?? defaultModels;
  }

  /** The next `count` model requests (or only those to `path`) fail this way. */
  failNext(fault: OpenAiFault, count = 1, path?: string): void {
    for (let i = 0; i < count; i++) this.faults.push({ fault, path });
  }

  /** Every model request (or every one to `path`) fails this way until `heal()`. */
  breakWith(fault: OpenAiFault, path?: string): void {
    this.persistentFault = { fault, path };
  }

  heal(): void {
    this.persistentFault = undefined;
    this.faults.length = 0;
  }

  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let body: Record<string, any> = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return this.error(res, 400, 'Invalid JSON body', 'BadRequestError');
    }
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      body,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    this.headers.push(req.headers);
    if (req.method === 'POST' && modelPaths.includes(path)) {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      res.once('close', () => this.inFlight--);
    }
    // vLLM's --api-key guards the /v1 routes only, and answers exactly this.
    if (
      this.options.apiKey &&
      path.startsWith('/v1') &&
      req.headers.authorization !== `Bearer ${this.options.apiKey}`
    ) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Unauthorized' }));
      return;
    }
    if (this.options.latencyMs) await sleep(this.options.latencyMs);
    switch (`${req.method} ${path}`) {
      case 'GET /health':
        res.writeHead(200).end();
        return;
      case 'GET /version':
        if (!this.options.version) return this.error(res, 404, 'Not Found', 'NotFoundError');
        return this.json(res, { version: this.options.version });
      case 'GET /v1/models':
        return this.json(res, {
          object: 'list',
          data: this.models.map((m) => ({
            id: m.id,
            object: 'model',
            created: 1_764_800_000,
            owned_by: 'vllm',
            root: m.id,
            parent: null,
            max_model_len: m.maxModelLen ?? 4096,
            permission: [],
          })),
        });
      case 'POST /v1/chat/completions':
        return this.chat(res, body);
      case 'POST /v1/embeddings':
        return this.embeddings(res, body);
      default:
        return this.error(res, 404, `Not Found`, 'NotFoundError');
    }
  }

  private takeFault(path: string): OpenAiFault | undefined {
    if (this.persistentFault && (!this.persistentFault.path || this.persistentFault.path === path))
      return this.persistentFault.fault;
    const index = this.faults.findIndex((f) => !f.path || f.path === path);
    return index === -1 ? undefined : this.faults.splice(index, 1)[0]!.fault;
  }

  /** Counts a response's tokens once it has been sent whole. */
  private count(res: http.ServerResponse, prompt: number, completion: number): void {
    countWhenSent(this, res, prompt, completion);
  }

  private statusFault(res: http.ServerResponse, fault: Extract<OpenAiFault, { kind: 'status' }>): void {
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
    if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
    const type =
      fault.status === 429 ? 'RateLimitError' : fault.status >= 500 ? 'ServiceUnavailableError' : 'BadRequestError';
    this.error(res, fault.status, fault.message ?? 'The server is overloaded', type, headers);
  }

  /** Checks the request as vLLM's pydantic models do; undefined when it is valid. */
  private invalidChat(body: Record<string, any>): string | undefined {
    if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: Field required';
    const known = new Set<string>();
    for (const [i, m] of body.messages.entries()) {
      if (!['system', 'user', 'assistant', 'tool', 'developer'].includes(m?.role))
        return `messages.${i}.role: Input should be 'system', 'user', 'assistant', 'tool' or 'developer'`;
      if (m.role === 'assistant' && m.tool_calls !== undefined) {
        if (!Array.isArray(m.tool_calls)) return `messages.${i}.tool_calls: Input should be a valid list`;
        for (const call of m.tool_calls) {
          if (typeof call?.id !== 'string') return `messages.${i}.tool_calls.id: Field required`;
          if (call.type !== 'function') return `messages.${i}.tool_calls.type: Input should be 'function'`;
          if (typeof call.function?.arguments !== 'string')
            return `messages.${i}.tool_calls.function.arguments: Input should be a valid string`;
          known.add(call.id);
        }
      }
      if (m.role === 'tool') {
        if (typeof m.tool_call_id !== 'string') return `messages.${i}.tool_call_id: Field required`;
        if (!known.has(m.tool_call_id)) return `messages.${i}: tool_call_id ${m.tool_call_id} answers no tool call`;
      }
      if (m.content !== null && typeof m.content !== 'string' && !Array.isArray(m.content))
        return `messages.${i}.content: Input should be a valid string`;
    }
    if (body.tools !== undefined) {
      for (const tool of body.tools)
        if (tool?.type !== 'function' || typeof tool.function?.name !== 'string')
          return `tools: invalid tool ${JSON.stringify(tool).slice(0, 200)}`;
    }
    const format = body.response_format;
    if (format !== undefined) {
      if (!['text', 'json_object', 'json_schema'].includes(format?.type))
        return `response_format.type: Input should be 'text', 'json_object' or 'json_schema'`;
      if (format.type === 'json_schema' && (typeof format.json_schema?.name !== 'string' || !format.json_schema.schema))
        return 'response_format.json_schema: name and schema are required';
    }
    if (body.max_tokens !== undefined && (!Number.isInteger(body.max_tokens) || body.max_tokens < 1))
      return 'max_tokens: Input should be greater than or equal to 1';
    return undefined;
  }

  private async chat(res: http.ServerResponse, body: Record<string, any>): Promise<void> {
    const fault = this.takeFault('/v1/chat/completions');
    if (fault?.kind === 'status') return this.statusFault(res, fault);
    if (fault?.kind === 'stall') return;
    const model = this.models.find((m) => m.id === body.model && !m.embedding);
    if (!model) return this.error(res, 404, `The model \`${body.model}\` does not exist.`, 'NotFoundError');
    const invalid = this.invalidChat(body);
    if (invalid) return this.error(res, 400, invalid, 'BadRequestError');
    const messages: any[] = body.messages;
    const textOf = (content: unknown) =>
      typeof content === 'string'
        ? content
        : Array.isArray(content)
          ? content.map((part: any) => (part?.type === 'text' ? String(part.text) : '')).join(' ')
          : '';
    const promptTokens = countTokens(
      messages
        .map((m) => `${textOf(m.content)} ${m.tool_calls ? JSON.stringify(m.tool_calls) : ''}`)
        .concat(body.tools ? [JSON.stringify(body.tools)] : [])
        .join(' '),
    );
    const id = `chatcmpl-${randomBytes(16).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    let text: string;
    let toolCalls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] = [];
    if (Array.isArray(body.tools) && body.tools.length && this.options.toolTurn) {
      const turn = this.options.toolTurn(
        messages,
        body.tools.map((t: any) => t.function.name),
        model.id,
      );
      text = turn.content ?? '';
      toolCalls = (turn.toolCalls ?? []).map((call) => ({
        id: `chatcmpl-tool-${randomBytes(16).toString('hex')}`,
        type: 'function',
        function: {
          name: call.name,
          arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
        },
      }));
    } else {
      const prompt = textOf(messages.filter((m) => m.role === 'user').at(-1)?.content);
      const reversed = prompt.split(/\s+/).reverse().join(' ');
      const structured = ['json_object', 'json_schema'].includes(body.response_format?.type);
      text = this.options.reply
        ? this.options.reply(prompt, model.id)
        : structured
          ? JSON.stringify({ reply: reversed })
          : reversed;
    }
    const pieces = text.split(/(?<=\s)/).filter(Boolean);
    const limited = typeof body.max_tokens === 'number' ? pieces.slice(0, body.max_tokens) : pieces;
    const finishReason = toolCalls.length ? 'tool_calls' : limited.length < pieces.length ? 'length' : 'stop';
    const completionTokens = limited.length + (toolCalls.length ? countTokens(JSON.stringify(toolCalls)) : 0);
    const usage = {
      prompt_tokens: promptTokens,
      total_tokens: promptTokens + completionTokens,
      completion_tokens: completionTokens,
      prompt_tokens_details: null,
    };
    const logprob = body.logprobs === true ? this.options.logprob : undefined;
    const logprobsOf = (tokens: string[], offset: number) =>
      logprob
        ? {
            content: tokens.map((token, i) => ({
              token,
              logprob: logprob(token, offset + i, model.id),
              bytes: [...Buffer.from(token)],
              top_logprobs: [],
            })),
          }
        : null;
    if (body.stream !== true) {
      this.count(res, usage.prompt_tokens, usage.completion_tokens);
      return this.json(res, {
        id,
        object: 'chat.completion',
        created,
        model: model.id,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              reasoning_content: null,
              content: toolCalls.length && !text ? null : limited.join(''),
              tool_calls: toolCalls,
            },
            logprobs: logprobsOf(limited, 0),
            finish_reason: finishReason,
            stop_reason: null,
          },
        ],
        usage,
        prompt_logprobs: null,
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: model.id,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: null, ...extra }],
      })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }));
    for (const [index, piece] of limited.entries()) {
      if (fault?.kind === 'reset-mid-stream' && index === fault.afterChunks) {
        res.socket?.destroy();
        return;
      }
      if (fault?.kind === 'error-mid-stream' && index === fault.afterChunks) {
        const error = {
          message: fault.message ?? 'CUDA error: an illegal memory access was encountered',
          type: 'InternalServerError',
          param: null,
          code: 500,
        };
        res.end(`data: ${JSON.stringify({ error })}\n\ndata: [DONE]\n\n`);
        return;
      }
      if (fault?.kind === 'truncate-stream' && index === fault.afterChunks) {
        res.end('data: [DONE]\n\n');
        return;
      }
      res.write(chunk({ content: piece }, { logprobs: logprobsOf([piece], index) }));
      if (this.options.chunkDelayMs) await sleep(this.options.chunkDelayMs);
    }
    // vLLM streams a tool call as its id and name with empty arguments, then the arguments in pieces.
    for (const [index, call] of toolCalls.entries()) {
      res.write(
        chunk({
          tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }],
        }),
      );
      const half = Math.ceil(call.function.arguments.length / 2);
      for (const part of [call.function.arguments.slice(0, half), call.function.arguments.slice(half)])
        if (part) res.write(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
    }
    res.write(chunk({}, { finish_reason: finishReason, stop_reason: null }));
    const includeUsage = body.stream_options?.include_usage === true && !this.options.omitStreamUsage;
    if (includeUsage)
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: model.id, choices: [], usage })}\n\n`,
      );
    this.count(res, includeUsage ? usage.prompt_tokens : 0, includeUsage ? usage.completion_tokens : 0);
    res.end('data: [DONE]\n\n');
  }

  private embeddings(res: http.ServerResponse, body: Record<string, any>): void {
    const fault = this.takeFault('/v1/embeddings');
    if (fault?.kind === 'status') return this.statusFault(res, fault);
    if (fault?.kind === 'stall') return;
    const model = this.models.find((m) => m.id === body.model);
    if (!model) return this.error(res, 404, `The model \`${body.model}\` does not exist.`, 'NotFoundError');
    if (!model.embedding) return this.error(res, 400, `The model does not support Embeddings API`, 'BadRequestError');
    const inputs: string[] = Array.isArray(body.input) ? body.input.map(String) : [String(body.input ?? '')];
    const base64 = body.encoding_format === 'base64';
    const data = inputs.map((text, index) => {
      const vector = peerEmbedding(text, 384);
      return {
        index,
        object: 'embedding',
        embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
      };
    });
    const promptTokens = inputs.reduce((n, t) => n + countTokens(t), 0);
    this.count(res, promptTokens, 0);
    this.json(res, {
      id: `embd-${randomBytes(16).toString('hex')}`,
      object: 'list',
      created: Math.floor(Date.now() / 1000),
      model: model.id,
      data,
      usage: {
        prompt_tokens: promptTokens,
        total_tokens: promptTokens,
        completion_tokens: 0,
        prompt_tokens_details: null,
      },
    });
  }

  private json(res: http.ServerResponse, value: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  }

  private error(
    res: http.ServerResponse,
    status: number,
    message: string,
    type: string,
    headers: Record<string, string> = {},
  ): void {
    const body = this.options.legacyErrors
      ? { object: 'error', message, type, param: null, code: status }
      : { error: { message, type, param: null, code: status } };
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
