// A loopback server that speaks Ollama's REST API as Ollama 0.12 does: NDJSON streaming for chat,
// generate and pull, the same field names and usage counters, and JSON errors. Its behaviour is
// scriptable (latency, replies, token counts, 503s, stalls, resets mid-stream) so the pool can be
// tested against the official `ollama` client with no module mocking.
import http from 'node:http';
import { countWhenSent } from './sent-tally.js';
import type { AddressInfo, Socket } from 'node:net';

export interface PeerModel {
  name: string;
  sizeBytes: number;
  parameterSize: string;
  family: string;
}

export type Fault =
  | { kind: 'status'; status: number; message?: string }
  | { kind: 'stall' }
  | { kind: 'reset-mid-stream'; afterChunks: number };

/** A scripted turn of a chat that offered tools: tool calls, or words. */
export interface PeerToolTurn {
  content?: string;
  /** Sent as Ollama sends them: `message.tool_calls[].function.{name, arguments}`, arguments an object. */
  toolCalls?: { name: string; arguments: unknown }[];
}

export interface OllamaPeerOptions {
  version?: string;
  models?: PeerModel[];
  resident?: string[];
  /** Reply text for a chat/generate prompt. Default: echoes the last user message, reversed. */
  reply?: (prompt: string, model: string) => string;
  /** Delay before the first byte, in ms. */
  latencyMs?: number;
  /** Delay between streamed chunks, in ms. */
  chunkDelayMs?: number;
  /**
   * The log-probability of each generated token. When set, a request with `logprobs: true` gets
   * them as Ollama (0.12.11+) sends them: `logprobs: [{token, logprob, bytes}]`, per chunk when
   * streaming. Unset, the peer is an older host that ignores the field.
   */
  logprob?: (token: string, index: number, model: string) => number;
  /**
   * The reply to a chat whose request carries `tools`: the request's messages (role "tool" ones
   * with `tool_name`, as Ollama takes tool results) and tool names. Unset, such a chat gets `reply`.
   */
  toolTurn?: (
    messages: { role: string; content: string; tool_calls?: unknown; tool_name?: string }[],
    tools: string[],
    model: string,
  ) => PeerToolTurn;
}

export interface RequestLog {
  method: string;
  path: string;
  body: unknown;
  /** The Authorization header, when the request carried one. */
  authorization?: string;
}

const defaultModels: PeerModel[] = [
  { name: 'gemma3:1b', sizeBytes: 815_319_791, parameterSize: '999.89M', family: 'gemma3' },
  { name: 'qwen3:4b', sizeBytes: 2_497_293_918, parameterSize: '4.0B', family: 'qwen3' },
  { name: 'llama3.1:8b', sizeBytes: 4_920_753_328, parameterSize: '8.0B', family: 'llama' },
  { name: 'nomic-embed-text:latest', sizeBytes: 274_302_450, parameterSize: '137M', family: 'nomic-bert' },
];

/** Ollama counts tokens with the model's tokenizer; the peer uses whitespace words, deterministically. */
export function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function digest(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash.toString(16).padStart(8, '0').repeat(8);
}

export class OllamaPeer {
  readonly requests: RequestLog[] = [];
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly faults: { fault: Fault; path: string | undefined }[] = [];
  private persistentFault: { fault: Fault; path: string | undefined } | undefined;
  url = '';
  /** Model requests (chat, generate, embed) being answered now, and the most there ever were. */
  inFlight = 0;
  maxInFlight = 0;
  /** Tokens in the usage of model responses sent whole, and how many model requests were answered whole. */
  readonly tokensSent = { prompt: 0, completion: 0 };
  answered = 0;
  /** The same, per Caelum call (`x-request-id`; a call's cascade steps add up under one id). */
  readonly sentByRequestId = new Map<string, { prompt: number; completion: number; requests: number }>();
  models: PeerModel[];
  resident: Set<string>;

  constructor(readonly options: OllamaPeerOptions = {}) {
    this.models = options.models ?? defaultModels;
    this.resident = new Set(options.resident ?? []);
  }

  /** The next `count` model requests (chat, generate, embed; or only `path`) fail this way. */
  failNext(fault: Fault, count = 1, path?: string): void {
    for (let i = 0; i < count; i++) this.faults.push({ fault, path });
  }

  /** Every model request (or every one to `path`) fails this way until `heal()`. */
  breakWith(fault: Fault, path?: string): void {
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

  /** Kills the host: every open connection is destroyed and the port closes. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: Record<string, any> = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return this.error(res, 400, 'invalid JSON body');
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      body,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    const model = req.method === 'POST' && ['/api/chat', '/api/generate', '/api/embed'].includes(path);
    if (model) {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      res.once('close', () => this.inFlight--);
    }
    if (this.options.latencyMs) await sleep(this.options.latencyMs);
    switch (`${req.method} ${path}`) {
      case 'GET /':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Ollama is running');
        return;
      case 'GET /api/version':
        return this.json(res, { version: this.options.version ?? '0.12.6' });
      case 'GET /api/tags':
        return this.json(res, { models: this.models.map((m) => this.describe(m)) });
      case 'GET /api/ps':
        return this.json(res, {
          models: this.models
            .filter((m) => this.resident.has(m.name))
            .map((m) => ({
              ...this.describe(m),
              expires_at: new Date(Date.now() + 300_000).toISOString(),
              size_vram: m.sizeBytes,
              context_length: 4096,
            })),
        });
      case 'POST /api/chat':
      case 'POST /api/generate':
        return this.generate(res, body, path === '/api/chat');
      case 'POST /api/embed':
        return this.embed(res, body);
      case 'POST /api/pull':
        return this.pull(res, body);
      case 'POST /api/show':
        return this.show(res, body);
      case 'DELETE /api/delete':
        return this.remove(res, body);
      default:
        return this.error(res, 404, `${req.method} ${path} not found`);
    }
  }

  private describe(model: PeerModel) {
    return {
      name: model.name,
      model: model.name,
      modified_at: '2026-10-01T10:00:00.000000000Z',
      size: model.sizeBytes,
      digest: digest(model.name),
      details: {
        parent_model: '',
        format: 'gguf',
        family: model.family,
        families: [model.family],
        parameter_size: model.parameterSize,
        quantization_level: 'Q4_K_M',
      },
    };
  }

  private takeFault(path: string): Fault | undefined {
    if (this.persistentFault && (!this.persistentFault.path || this.persistentFault.path === path))
      return this.persistentFault.fault;
    const index = this.faults.findIndex((f) => !f.path || f.path === path);
    return index === -1 ? undefined : this.faults.splice(index, 1)[0]!.fault;
  }

  /** Counts a response's tokens once it has been sent whole. */
  private count(res: http.ServerResponse, prompt: number, completion: number): void {
    countWhenSent(this, res, prompt, completion);
  }

  private findModel(name: unknown): PeerModel | undefined {
    const wanted = String(name ?? '');
    return this.models.find((m) => m.name === wanted || m.name === `${wanted}:latest`);
  }

  private async generate(res: http.ServerResponse, body: Record<string, any>, chat: boolean): Promise<void> {
    const fault = this.takeFault(chat ? '/api/chat' : '/api/generate');
    if (fault?.kind === 'status') return this.error(res, fault.status, fault.message ?? 'server busy');
    if (fault?.kind === 'stall') return; // never answers; the client's deadline must save it
    const model = this.findModel(body.model);
    if (!model) return this.error(res, 404, `model "${body.model}" not found, try pulling it first`);
    if (chat && Array.isArray(body.tools) && this.options.toolTurn) return this.toolChat(res, body, model);
    if (!chat && body.keep_alive === 0 && !body.prompt) {
      this.resident.delete(model.name);
      return this.json(res, {
        model: model.name,
        created_at: new Date().toISOString(),
        response: '',
        done: true,
        done_reason: 'unload',
      });
    }
    const prompt: string = chat
      ? String((body.messages ?? []).filter((m: any) => m.role === 'user').at(-1)?.content ?? '')
      : String(body.prompt ?? '');
    const system: string = chat
      ? (body.messages ?? [])
          .filter((m: any) => m.role !== 'user')
          .map((m: any) => m.content)
          .join(' ')
      : String(body.system ?? '');
    const text = (this.options.reply ?? ((p) => p.split(/\s+/).reverse().join(' ')))(prompt, model.name);
    const chunks = text.split(/(?<=\s)/).filter(Boolean);
    const numPredict = body.options?.num_predict;
    const emitted = typeof numPredict === 'number' && numPredict >= 0 ? chunks.slice(0, numPredict) : chunks;
    const loaded = this.resident.has(model.name);
    this.resident.add(model.name);
    const usage = {
      total_duration: 1_000_000 * (emitted.length + 5),
      load_duration: loaded ? 1_000_000 : 2_000_000_000,
      prompt_eval_count: countTokens(`${system} ${prompt}`),
      prompt_eval_duration: 1_000_000,
      eval_count: emitted.length,
      eval_duration: 1_000_000 * emitted.length,
    };
    const piece = (content: string, done: boolean) =>
      chat
        ? { model: model.name, created_at: new Date().toISOString(), message: { role: 'assistant', content }, done }
        : { model: model.name, created_at: new Date().toISOString(), response: content, done };
    const doneReason = emitted.length < chunks.length ? 'length' : 'stop';
    this.count(res, usage.prompt_eval_count, usage.eval_count);
    const logprob = body.logprobs === true ? this.options.logprob : undefined;
    const logprobsOf = (tokens: string[], offset: number) =>
      logprob
        ? {
            logprobs: tokens.map((token, i) => ({
              token,
              logprob: logprob(token, offset + i, model.name),
              bytes: [...Buffer.from(token)],
            })),
          }
        : {};
    if (body.stream === false) {
      return this.json(res, {
        ...piece(emitted.join(''), true),
        done_reason: doneReason,
        ...usage,
        ...logprobsOf(emitted, 0),
      });
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const [index, content] of emitted.entries()) {
      if (fault?.kind === 'reset-mid-stream' && index === fault.afterChunks) {
        res.socket?.destroy();
        return;
      }
      res.write(`${JSON.stringify({ ...piece(content, false), ...logprobsOf([content], index) })}\n`);
      if (this.options.chunkDelayMs) await sleep(this.options.chunkDelayMs);
    }
    res.end(`${JSON.stringify({ ...piece('', true), done_reason: doneReason, ...usage })}\n`);
  }

  /** A chat with `tools`, answered as Ollama does: tool calls in `message.tool_calls`, content empty. */
  private async toolChat(res: http.ServerResponse, body: Record<string, any>, model: PeerModel): Promise<void> {
    const tools: unknown[] = body.tools;
    const malformed = tools.find(
      (t: any) =>
        t?.type !== 'function' || typeof t.function?.name !== 'string' || typeof t.function.parameters !== 'object',
    );
    if (malformed) return this.error(res, 400, `invalid tool definition: ${JSON.stringify(malformed).slice(0, 200)}`);
    const messages = body.messages ?? [];
    const badMessage = messages.find(
      (m: any) => !['system', 'user', 'assistant', 'tool'].includes(m?.role) || typeof m.content !== 'string',
    );
    if (badMessage) return this.error(res, 400, `invalid message: ${JSON.stringify(badMessage).slice(0, 200)}`);
    const turn = this.options.toolTurn!(
      messages,
      tools.map((t: any) => t.function.name),
      model.name,
    );
    const content = turn.content ?? '';
    const toolCalls = (turn.toolCalls ?? []).map((call) => ({
      function: { name: call.name, arguments: call.arguments },
    }));
    const message = { role: 'assistant', content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
    this.resident.add(model.name);
    const prompt = messages
      .map((m: any) => `${m.content} ${m.tool_calls ? JSON.stringify(m.tool_calls) : ''}`)
      .join(' ');
    const usage = {
      total_duration: 5_000_000,
      load_duration: 1_000_000,
      prompt_eval_count: countTokens(`${prompt} ${JSON.stringify(tools)}`),
      prompt_eval_duration: 1_000_000,
      eval_count: countTokens(content) + countTokens(toolCalls.length ? JSON.stringify(toolCalls) : ''),
      eval_duration: 1_000_000,
    };
    const created_at = new Date().toISOString();
    this.count(res, usage.prompt_eval_count, usage.eval_count);
    if (body.stream === false)
      return this.json(res, { model: model.name, created_at, message, done: true, done_reason: 'stop', ...usage });
    // Streaming, Ollama sends the calls whole in one chunk, then the done chunk with the counters.
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write(`${JSON.stringify({ model: model.name, created_at, message, done: false })}\n`);
    res.end(
      `${JSON.stringify({ model: model.name, created_at, message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', ...usage })}\n`,
    );
  }

  private embed(res: http.ServerResponse, body: Record<string, any>): void {
    const fault = this.takeFault('/api/embed');
    if (fault?.kind === 'status') return this.error(res, fault.status, fault.message ?? 'server busy');
    if (fault?.kind === 'stall') return;
    const model = this.findModel(body.model);
    if (!model) return this.error(res, 404, `model "${body.model}" not found, try pulling it first`);
    const inputs: string[] = Array.isArray(body.input) ? body.input : [String(body.input ?? '')];
    // 768 dimensions like nomic-embed-text; texts sharing words get close vectors, so search
    // through the peer behaves like search through a real model on paraphrase-free text.
    const embeddings = inputs.map((text) => peerEmbedding(text, 768));
    this.resident.add(model.name);
    const promptTokens = inputs.reduce((n, t) => n + countTokens(t), 0);
    this.count(res, promptTokens, 0);
    this.json(res, {
      model: model.name,
      embeddings,
      total_duration: 5_000_000,
      load_duration: 1_000_000,
      prompt_eval_count: promptTokens,
    });
  }

  private async pull(res: http.ServerResponse, body: Record<string, any>): Promise<void> {
    const name = String(body.model ?? body.name ?? '');
    if (!/^[a-z0-9._-]+(:[a-z0-9._-]+)?$/i.test(name)) return this.error(res, 400, `invalid model name "${name}"`);
    const total = 3_000_000;
    const steps = [
      { status: 'pulling manifest' },
      ...[0, 1_000_000, 2_000_000, total].map((completed) => ({
        status: `pulling ${digest(name).slice(0, 12)}`,
        digest: `sha256:${digest(name)}`,
        total,
        completed,
      })),
      { status: 'verifying sha256 digest' },
      { status: 'writing manifest' },
      { status: 'success' },
    ];
    if (!this.findModel(name))
      this.models.push({
        name: name.includes(':') ? name : `${name}:latest`,
        sizeBytes: total,
        parameterSize: '1B',
        family: name.split(':')[0]!,
      });
    if (body.stream === false) return this.json(res, { status: 'success' });
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const step of steps) {
      res.write(`${JSON.stringify(step)}\n`);
      if (this.options.chunkDelayMs) await sleep(this.options.chunkDelayMs);
    }
    res.end();
  }

  /** /api/show as Ollama 0.12 answers it: details, parameters, template, model_info, capabilities. */
  private show(res: http.ServerResponse, body: Record<string, any>): void {
    const model = this.findModel(body.model ?? body.name);
    if (!model) return this.error(res, 404, `model '${body.model ?? body.name}' not found`);
    const { details, modified_at } = this.describe(model);
    const embedding = model.family.includes('bert');
    const architecture = embedding ? 'nomic-bert' : model.family;
    this.json(res, {
      license: 'Apache License Version 2.0, January 2004',
      modelfile: `# Modelfile generated by "ollama show"\nFROM /root/.ollama/models/blobs/sha256-${digest(model.name)}\n`,
      parameters: embedding
        ? 'num_ctx 8192'
        : 'stop "<|im_start|>"\nstop "<|im_end|>"\ntemperature 0.6\ntop_k 20\ntop_p 0.95',
      template: embedding
        ? '{{ .Prompt }}'
        : '{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n',
      details,
      model_info: {
        'general.architecture': architecture,
        'general.file_type': 15,
        'general.parameter_count': parameterCount(model.parameterSize),
        'general.quantization_version': 2,
        [`${architecture}.context_length`]: embedding ? 2048 : 40960,
        [`${architecture}.embedding_length`]: embedding ? 768 : 2560,
      },
      capabilities: embedding ? ['embedding'] : ['completion', 'tools', 'thinking'],
      modified_at,
    });
  }

  /** DELETE /api/delete: 200 with no body, or 404 for a model the host does not have. */
  private remove(res: http.ServerResponse, body: Record<string, any>): void {
    const model = this.findModel(body.model ?? body.name);
    if (!model) return this.error(res, 404, `model '${body.model ?? body.name}' not found`);
    this.models = this.models.filter((m) => m !== model);
    this.resident.delete(model.name);
    res.writeHead(200).end();
  }

  private json(res: http.ServerResponse, value: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
  }

  private error(res: http.ServerResponse, status: number, message: string): void {
    res
      .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
      .end(JSON.stringify({ error: message }));
  }
}

export function peerEmbedding(text: string, dimension: number): number[] {
  const vector = new Array<number>(dimension).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let seed = 2166136261;
    for (let i = 0; i < word.length; i++) seed = Math.imul(seed ^ word.charCodeAt(i), 16777619) >>> 0;
    for (let d = 0; d < dimension; d++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      vector[d]! += (seed / 2 ** 32) * 2 - 1;
    }
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

/** "4.0B" → 4e9, "999.89M" → 999890000, as model_info's general.parameter_count. */
function parameterCount(size: string): number {
  const match = /^([\d.]+)([KMBT]?)$/i.exec(size);
  if (!match) return 0;
  const scale = { '': 1, K: 1e3, M: 1e6, B: 1e9, T: 1e12 }[match[2]!.toUpperCase() as '' | 'K' | 'M' | 'B' | 'T'];
  return Math.round(Number(match[1]) * scale);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
