// A loopback server that speaks Anthropic's Messages API (POST /v1/messages): the same response
// shape, usage with cache creation/read fields, SSE streaming events, and typed errors (401, 400,
// 429, 529). Scriptable replies and usage, so ledger totals can be checked to the cent.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AnthropicUsageScript {
  cacheCreation5m?: number;
  cacheCreation1h?: number;
  cacheRead?: number;
}

export interface AnthropicPeerOptions {
  apiKey?: string;
  reply?: (prompt: string, model: string) => string;
  usage?: AnthropicUsageScript;
  /** The stop reason of a reply, e.g. "refusal" or "max_tokens". Default "end_turn". */
  stopReason?: (prompt: string) => string;
  /**
   * The reply to a request that carries `tools`: tool_use blocks (stop_reason "tool_use") or
   * words. It sees the request's messages, tool_result blocks included. Unset, `reply` answers.
   */
  toolTurn?: (
    messages: { role: string; content: unknown }[],
    tools: string[],
    model: string,
  ) => { text?: string; toolCalls?: { name: string; input: unknown }[] };
  /** Delay before answering, in ms. */
  latencyMs?: number;
  /** Keep only counters, not every request (a load test sends thousands). */
  keepRequests?: boolean;
}

/** What the peer answered in full: the usage it reported, per request id (`x-request-id`) and in all. */
export interface AnthropicSent {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  byRequestId: Map<string, { inputTokens: number; outputTokens: number; model: string }>;
}

export interface AnthropicRequestLog {
  headers: http.IncomingHttpHeaders;
  body: Record<string, any>;
}

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

export class AnthropicPeer {
  readonly requests: AnthropicRequestLog[] = [];
  private server: http.Server | undefined;
  private readonly failures: { status: number; type: string; message: string }[] = [];
  url = '';
  inFlight = 0;
  maxInFlight = 0;
  readonly sent: AnthropicSent = { requests: 0, inputTokens: 0, outputTokens: 0, byRequestId: new Map() };

  constructor(readonly options: AnthropicPeerOptions = {}) {}

  failNext(status: number, type: string, message: string): void {
    this.failures.push({ status, type, message });
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private error(res: http.ServerResponse, status: number, type: string, message: string): void {
    res
      .writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_peer' })
      .end(JSON.stringify({ type: 'error', error: { type, message } }));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? JSON.parse(raw) : {};
    if (this.options.keepRequests !== false) this.requests.push({ headers: req.headers, body });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.once('close', () => this.inFlight--);
    if (this.options.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/v1/messages')
      return this.error(res, 404, 'not_found_error', 'Not found');
    // The API takes the key as x-api-key or, as SDK 1.x sends it, a Bearer token.
    const presented = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer /, '');
    if (this.options.apiKey && presented !== this.options.apiKey)
      return this.error(res, 401, 'authentication_error', 'invalid x-api-key');
    const failure = this.failures.shift();
    if (failure) return this.error(res, failure.status, failure.type, failure.message);
    if (typeof body.model !== 'string' || !Array.isArray(body.messages) || typeof body.max_tokens !== 'number')
      return this.error(res, 400, 'invalid_request_error', 'model, messages and max_tokens are required');
    if (Array.isArray(body.tools) && this.options.toolTurn) {
      const problem = toolRequestProblem(body);
      if (problem) return this.error(res, 400, 'invalid_request_error', problem);
    }
    const prompt = body.messages
      .map((m: { content: unknown }) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
      .join(' ');
    const system = typeof body.system === 'string' ? body.system : '';
    const turn =
      Array.isArray(body.tools) && this.options.toolTurn
        ? this.options.toolTurn(
            body.messages,
            body.tools.map((t: { name: string }) => t.name),
            body.model,
          )
        : undefined;
    const text = turn
      ? (turn.text ?? '')
      : (this.options.reply ?? ((p) => `Claude says: ${p}`))(body.messages.at(-1)?.content ?? '', body.model);
    const toolUses = (turn?.toolCalls ?? []).map((call, i) => ({
      type: 'tool_use',
      id: `toolu_peer${this.requests.length}_${i}`,
      name: call.name,
      input: call.input,
    }));
    const script = this.options.usage ?? {};
    const usage = {
      input_tokens: words(`${system} ${prompt}`),
      cache_creation_input_tokens: (script.cacheCreation5m ?? 0) + (script.cacheCreation1h ?? 0),
      cache_read_input_tokens: script.cacheRead ?? 0,
      cache_creation: {
        ephemeral_5m_input_tokens: script.cacheCreation5m ?? 0,
        ephemeral_1h_input_tokens: script.cacheCreation1h ?? 0,
      },
      output_tokens: words(text) + (toolUses.length ? words(JSON.stringify(toolUses)) : 0),
      service_tier: 'standard',
    };
    const message = {
      id: `msg_peer${this.requests.length}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [...(text || !toolUses.length ? [{ type: 'text', text }] : []), ...toolUses],
      stop_reason: toolUses.length
        ? 'tool_use'
        : (this.options.stopReason?.(body.messages.at(-1)?.content ?? '') ?? 'end_turn'),
      stop_sequence: null,
      usage,
    };
    // Counted once the whole answer is written: a caller that vanished mid-answer was not sent it.
    res.once('finish', () => {
      const input = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens;
      this.sent.requests++;
      this.sent.inputTokens += input;
      this.sent.outputTokens += usage.output_tokens;
      const id = req.headers['x-request-id'];
      if (typeof id === 'string')
        this.sent.byRequestId.set(id, { inputTokens: input, outputTokens: usage.output_tokens, model: body.model });
    });
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_peer' }).end(JSON.stringify(message));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', {
      type: 'message_start',
      message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
    });
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    for (const piece of text.split(/(?<=\s)/))
      send('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: piece },
      });
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }
}

/**
 * What the Messages API refuses in a request with tools: a tool without a name or an object
 * input_schema, and a tool_result that does not answer a tool_use of the assistant turn before it.
 */
function toolRequestProblem(body: Record<string, any>): string | undefined {
  for (const tool of body.tools) {
    if (typeof tool?.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name))
      return `tools: invalid tool name ${JSON.stringify(tool?.name)}`;
    if (tool.input_schema?.type !== 'object') return `tools.${tool.name}.input_schema: type must be "object"`;
  }
  for (const [index, message] of body.messages.entries()) {
    if (!Array.isArray(message.content)) continue;
    const results = message.content.filter((b: { type: string }) => b.type === 'tool_result');
    if (!results.length) continue;
    const previous = body.messages[index - 1];
    const uses = new Set(
      (Array.isArray(previous?.content) ? previous.content : [])
        .filter((b: { type: string }) => b.type === 'tool_use')
        .map((b: { id: string }) => b.id),
    );
    for (const result of results)
      if (message.role !== 'user' || !uses.has(result.tool_use_id))
        return `messages.${index}: tool_result ${result.tool_use_id} has no matching tool_use in the previous message`;
  }
  return undefined;
}
