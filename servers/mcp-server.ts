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
import type { Logger, ProgressReporter } from '../tools/context.js';
import type { Suite } from './composition.js';
import { caelumVersion } from './version.js';

const instructions =
  'Caelum routes work across a large internal tool catalogue. Use findTools to discover internal tools by keyword, then runTool to call one. getSystemStatus says what is configured and how to fix what is missing; getCostReport shows LLM costs and savings.';

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Tool['inputSchema'] {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest as Tool['inputSchema'];
}

const toolListCache = new WeakMap<Suite, Tool[]>();

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
    suite.registry.onChange(() => toolListCache.delete(suite));
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

export function createServer(suite: Suite): CreatedServer {
  const server = new Server(
    { name: 'caelum', title: 'Caelum', version: caelumVersion },
    {
      capabilities: { tools: { listChanged: true }, resources: { listChanged: true, subscribe: true }, logging: {} },
      instructions,
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listTools(suite) }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
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

  const unsubscribe = suite.registry.onChange(() => {
    void server.sendToolListChanged().catch(() => undefined);
    void server.sendResourceUpdated({ uri: 'caelum://catalog' }).catch(() => undefined);
  });

  return {
    server,
    async close() {
      unsubscribe();
      await server.close();
    },
  };
}

/** Logs to stderr as usual and forwards warnings and errors to the client as MCP log messages. */
function clientForwardingLogger(base: Logger, forward: (level: 'warning' | 'error', data: unknown) => unknown): Logger {
  return {
    debug: base.debug,
    info: base.info,
    warn(event, fields) {
      base.warn(event, fields);
      forward('warning', { event, ...fields });
    },
    error(event, fields) {
      base.error(event, fields);
      forward('error', { event, message: typeof fields?.error === 'object' ? (fields.error as { message?: string }).message : undefined, tool: fields?.tool });
    },
    child: (fields) => clientForwardingLogger(base.child(fields), forward),
  };
}
