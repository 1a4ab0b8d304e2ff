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
import { annotationsFor } from '../tools/define-tool.js';
import { schemaText } from '../tools/knowledge-base/common.js';
import { jsonSchema } from '../tools/json-schema.js';
import { redactText } from '../tools/redact.js';
import type { Logger, ProgressReporter } from '../tools/context.js';
import type { Suite } from './composition.js';
import { caelumVersion } from './version.js';

const instructions =
  'Caelum routes work across a large internal tool catalogue. Use findTools to discover internal tools by keyword, then runTool to call one. getSystemStatus says what is configured and how to fix what is missing; getCostReport shows LLM costs and savings.';

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
      // The title is on the tool itself; repeating it in the annotations only adds bytes.
      annotations: annotationsFor(tool.kind),
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
    highLevel: suite.dispatcher
      .tools()
      .map((tool) => ({ name: tool.name, owner: tool.owner, title: tool.title, effect: tool.kind.effect })),
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
  {
    uri: 'caelum://catalog',
    name: 'catalog',
    title: 'Internal tool catalogue',
    description: 'Every internal tool with its domain, tags, effect and input schema.',
    mimeType: 'application/json',
  },
  {
    uri: 'caelum://costs',
    name: 'costs',
    title: 'LLM cost report',
    description: 'Cost ledger totals by model: calls, tokens, cost, all-Claude baseline and saving.',
    mimeType: 'application/json',
  },
  {
    uri: 'caelum://kb/schema',
    name: 'kb-schema',
    title: 'Knowledge graph schema',
    description:
      'Node and relationship tables of the knowledge graph, with keys and types, for writing Cypher (under 1,500 tokens; cached per schema version).',
    mimeType: 'text/plain',
  },
];

export interface CreatedServer {
  server: Server;
  close(): Promise<void>;
}

/**
 * Builds the protocol server. `source` may be a promise: stdio start-up answers `initialize` while
 * the tool catalogue is still loading, and requests that need the suite wait for it.
 */
export interface ServerOptions {
  /** Whether the transport can deliver server-initiated messages (list changes, resource updates). */
  notifications?: boolean;
  /** The session's own roots (a front-end's working directory), over the suite's configured ones. */
  allowedRoots?: string[];
  testRunsAllowed?: string[];
  /** A line added to every tool result, e.g. that this process serves in-process and why. */
  notice?: string;
}

export function createServer(source: Suite | Promise<Suite>, options: ServerOptions = {}): CreatedServer {
  const ready = Promise.resolve(source);
  const server = new Server(
    { name: 'caelum', title: 'Caelum', version: caelumVersion },
    {
      capabilities: { tools: { listChanged: true }, resources: { listChanged: true, subscribe: true }, logging: {} },
      instructions,
    },
  );
  let sessionEnvironment: Suite['environment'] | undefined;
  const environmentFor = (suite: Suite) => {
    if (!options.allowedRoots?.length) return undefined;
    sessionEnvironment ??= {
      ...suite.environment,
      allowedRoots: options.allowedRoots,
      testRunsAllowed: options.testRunsAllowed ?? suite.environment.testRunsAllowed ?? [],
    };
    return sessionEnvironment;
  };

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
              .sendNotification({
                method: 'notifications/progress',
                params: {
                  progressToken: token,
                  progress: value,
                  ...(total !== undefined ? { total } : {}),
                  ...(message ? { message } : {}),
                },
              })
              .catch(() => undefined);
          };
    const logger = clientForwardingLogger(suite.logger.child({ call: String(extra.requestId) }), (level, data) =>
      extra
        .sendNotification({ method: 'notifications/message', params: { level, logger: 'caelum', data } })
        .catch(() => undefined),
    );
    const environment = environmentFor(suite);
    const result = await suite.dispatcher.call(request.params.name, request.params.arguments, {
      signal: extra.signal,
      progress,
      logger,
      ...(environment ? { environment } : {}),
    });
    return {
      content: [{ type: 'text', text: options.notice ? `${result.text}\n\nNote: ${options.notice}` : result.text }],
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
    if (uri === 'caelum://kb/schema') {
      try {
        const text = await schemaText(await suite.knowledge.graph());
        return { contents: [{ uri, mimeType: 'text/plain', text }] };
      } catch (error) {
        throw new McpError(
          ErrorCode.InternalError,
          `the knowledge graph is not available: ${(error as Error).message}`,
        );
      }
    }
    if (uri === 'caelum://catalog') body = catalogueDocument(suite);
    else if (uri === 'caelum://costs')
      body = await suite.dispatcher
        .context({ signal: extra.signal })
        .ledger.summarize({ groupBy: 'model', signal: extra.signal });
    else
      throw new McpError(
        ErrorCode.InvalidParams,
        `uri: unknown resource ${uri}; resources/list names the available ones`,
      );
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
function clientForwardingLogger(
  base: Logger,
  forward: (level: 'warning' | 'error', data: unknown) => unknown,
  bound: Record<string, unknown> = {},
): Logger {
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
