// createServer: the MCP face of a Suite. It holds no per-session state of its own: every request
// is answered from the suite, so the same factory serves stdio and stateless Streamable HTTP.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  McpError,
  ErrorCode,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { annotationsFor } from '../tools/define-tool.js';
import { redactText } from '../tools/redact.js';
import type { Logger, ProgressReporter } from '../tools/context.js';
import type { Suite } from './composition.js';
import { caelumVersion } from './version.js';

const instructions =
  'Caelum routes work across a large internal tool catalogue. Use findTools to discover internal tools by keyword, then runTool to call one. getSystemStatus says what is configured and how to fix what is missing; getCostReport shows LLM costs and savings.';

const safeInteger = Number.MAX_SAFE_INTEGER;

/**
 * Drops what only costs the agent tokens: the dialect (2020-12 is MCP's default), the safe-integer
 * bounds zod puts on every int, string-typed propertyNames, and, in output schemas,
 * additionalProperties: false (clients then accept fields added later).
 */
function compact(node: unknown, io: 'input' | 'output'): unknown {
  if (Array.isArray(node)) return node.map((item) => compact(item, io));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema') continue;
    if ((key === 'minimum' && value === -safeInteger) || (key === 'maximum' && value === safeInteger)) continue;
    if (key === 'propertyNames' && JSON.stringify(value) === '{"type":"string"}') continue;
    if (io === 'output' && key === 'additionalProperties' && value === false) continue;
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, compact(v, io)])) : compact(value, io);
  }
  return out;
}

/**
 * Output schemas are published to a depth of two object levels; deeper objects keep only their type
 * and description. The full schema still validates every result inside Caelum, and what is
 * published is a relaxation of it, so structuredContent always validates against it. This keeps
 * tools/list small: the execution block alone would otherwise repeat ~600 bytes per tool.
 */
function prune(node: Record<string, unknown>, depth: number): Record<string, unknown> {
  const isObject = node.type === 'object';
  const isArray = node.type === 'array';
  if (depth <= 0 && (isObject || isArray)) {
    const shallow: Record<string, unknown> = { type: node.type };
    if (node.description) shallow.description = node.description;
    if (isArray) shallow.items = { type: (node.items as { type?: unknown } | undefined)?.type ?? 'object' };
    return shallow;
  }
  if (isObject && node.properties) {
    const properties = Object.fromEntries(Object.entries(node.properties as Record<string, Record<string, unknown>>).map(([k, v]) => [k, prune(v, depth - 1)]));
    return { ...node, properties };
  }
  if (isArray && node.items && typeof node.items === 'object') return { ...node, items: prune(node.items as Record<string, unknown>, depth) };
  return node;
}

export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Tool['inputSchema'] {
  const full = compact(z.toJSONSchema(schema, { io, unrepresentable: 'any' }), io) as Record<string, unknown>;
  return (io === 'output' ? prune(full, 2) : full) as Tool['inputSchema'];
}

const toolListCache = new WeakMap<Suite, Tool[]>();
const invalidating = new WeakSet<Suite>();

/** The tools/list payload, built once per catalogue version. */
export function listTools(suite: Suite): Tool[] {
  let tools = toolListCache.get(suite);
  if (!tools) {
    tools = suite.dispatcher.tools().map((tool) => ({
      name: tool.name,
      title: tool.title,
      description: suite.dispatcher.description(tool),
      inputSchema: jsonSchema(tool.input, 'input'),
      outputSchema: jsonSchema(suite.dispatcher.outputSchema(tool), 'output'),
      annotations: { title: tool.title, ...annotationsFor(tool.kind) },
    }));
    toolListCache.set(suite, tools);
    if (!invalidating.has(suite)) {
      invalidating.add(suite);
      suite.registry.onChange(() => toolListCache.delete(suite));
    }
  }
  return tools;
}

export function catalogueDocument(suite: Suite): Record<string, unknown> {
  return {
    highLevel: suite.dispatcher.tools().map((tool) => ({ name: tool.name, owner: tool.owner, title: tool.title, effect: tool.kind.effect })),
    internal: suite.registry.all().map((tool) => ({
      name: tool.name,
      domain: tool.domain,
      tags: tool.tags,
      title: tool.title,
      effect: tool.kind.effect,
      openWorld: tool.kind.openWorld === true,
      description: tool.description,
      inputSchema: jsonSchema(tool.input, 'input'),
    })),
  };
}

const resources = [
  { uri: 'caelum://catalog', name: 'catalog', title: 'Internal tool catalogue', description: 'Every internal tool with its domain, tags, effect and input schema.', mimeType: 'application/json' },
  { uri: 'caelum://costs', name: 'costs', title: 'LLM cost report', description: 'Cost ledger totals by model: calls, tokens, cost, all-Claude baseline and saving.', mimeType: 'application/json' },
];

export interface CreatedServer {
  server: Server;
  close(): Promise<void>;
}

/**
 * Builds the protocol server. `source` may be a promise: stdio start-up answers `initialize` while
 * the tool catalogue is still loading, and requests that need the suite wait for it.
 */
export function createServer(source: Suite | Promise<Suite>): CreatedServer {
  const ready = Promise.resolve(source);
  const server = new Server(
    { name: 'caelum', title: 'Caelum', version: caelumVersion },
    {
      capabilities: { tools: { listChanged: true }, resources: { listChanged: true, subscribe: true }, logging: {} },
      instructions,
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: listTools(await ready) }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const suite = await ready;
    const token = request.params._meta?.progressToken;
    let last = -Infinity;
    const progress: ProgressReporter | undefined =
      token === undefined
        ? undefined
        : (value, total, message) => {
            if (value <= last) return;
            last = value;
            void extra
              .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: value, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) } })
              .catch(() => undefined);
          };
    const logger = clientForwardingLogger(suite.logger.child({ call: String(extra.requestId) }), (level, data) =>
      extra.sendNotification({ method: 'notifications/message', params: { level, logger: 'caelum', data } }).catch(() => undefined),
    );
    const result = await suite.dispatcher.call(request.params.name, request.params.arguments, { signal: extra.signal, progress, logger });
    return {
      content: [{ type: 'text', text: result.text }],
      ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}),
      ...(result.isError ? { isError: true } : {}),
    };
  });

  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: [] }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const suite = await ready;
    const uri = request.params.uri;
    let body: unknown;
    if (uri === 'caelum://catalog') body = catalogueDocument(suite);
    else if (uri === 'caelum://costs') body = await suite.dispatcher.context({ signal: extra.signal }).ledger.summarize({ groupBy: 'model', signal: extra.signal });
    else throw new McpError(ErrorCode.InvalidParams, `uri: unknown resource ${uri}; resources/list names the available ones`);
    return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }] };
  });
  // Updates to caelum://catalog are sent to every connected client, so subscribing needs no state.
  server.setRequestHandler(SubscribeRequestSchema, () => ({}));
  server.setRequestHandler(UnsubscribeRequestSchema, () => ({}));

  let unsubscribe = () => {};
  let closed = false;
  void ready.then(
    (suite) => {
      if (closed) return;
      unsubscribe = suite.registry.onChange(() => {
        void server.sendToolListChanged().catch(() => undefined);
        void server.sendResourceUpdated({ uri: 'caelum://catalog' }).catch(() => undefined);
      });
    },
    () => undefined,
  );

  return {
    server,
    async close() {
      closed = true;
      unsubscribe();
      await server.close();
    },
  };
}

/**
 * Logs to stderr as usual and forwards warnings and errors to the client as MCP log messages,
 * scrubbed of secrets and without stack traces.
 */
function clientForwardingLogger(base: Logger, forward: (level: 'warning' | 'error', data: unknown) => unknown, bound: Record<string, unknown> = {}): Logger {
  const send = (level: 'warning' | 'error', event: string, fields: Record<string, unknown> | undefined) => {
    const { error, ...rest } = fields ?? {};
    const message = error && typeof error === 'object' ? (error as { message?: unknown }).message : error;
    const data = { event, ...bound, ...rest, ...(message !== undefined ? { message } : {}) };
    forward(level, JSON.parse(redactText(JSON.stringify(data))));
  };
  return {
    debug: (event, fields) => base.debug(event, fields),
    info: (event, fields) => base.info(event, fields),
    warn(event, fields) {
      base.warn(event, fields);
      send('warning', event, fields);
    },
    error(event, fields) {
      base.error(event, fields);
      send('error', event, fields);
    },
    child: (fields) => clientForwardingLogger(base.child(fields), forward, { ...bound, ...fields }),
  };
}
