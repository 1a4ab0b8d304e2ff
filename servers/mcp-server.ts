// createServer: the MCP face of a Suite, made once per session (stdio, a socket session) or per
// request (stateless HTTP). What a session keeps is protocol state only: its logging level and its
// resource subscriptions; every answer comes from the suite.
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type LoggingLevel,
  type ServerCapabilities,
  type Tool,
  type ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { annotationsFor, type ToolKind } from '../tools/define-tool.js';
import { jsonSchema } from '../tools/json-schema.js';
import { scrubDeep, scrubText } from '../tools/secrets.js';
import type { ProgressReporter } from '../tools/context.js';
import { clientForwardingLogger, defaultClientLevel } from './client-logger.js';
import { complete } from './completions.js';
import type { Suite } from './composition.js';
import { getPrompt, listPrompts, promptsWith, type PromptDefinition } from './prompts.js';
import { listResources, readResource, resourceTemplates } from './resources.js';
import { onSnapshotsChanged } from './snapshot-watch.js';
import { StrictServer } from './strict-server.js';
import { caelumVersion } from './version.js';

export { catalogueDocument } from './resources.js';

const instructions =
  'Caelum routes work across a large internal tool catalogue. Use findTools to discover internal tools by keyword, then runTool to call one. getSystemStatus says what is configured and how to fix what is missing; getCostReport shows LLM costs and savings. Every tool result also carries `execution`: the supervisor, the internal steps that ran (tool, durationMs, ok, error code), and each LLM step (backend, host, model, tokens, cost, baseline cost, saving).';

const toolListCache = new WeakMap<Suite, Tool[]>();
const invalidating = new WeakSet<Suite>();

/**
 * The four hints, less the two the spec calls meaningful only when readOnlyHint is false
 * (destructiveHint, idempotentHint) on read-only tools, and less idempotentHint where it is false,
 * the spec's default (22 bytes of tools/list per tool that changes state).
 */
function publishedAnnotations(kind: ToolKind): ToolAnnotations {
  const { destructiveHint, idempotentHint, ...always } = annotationsFor(kind);
  if (always.readOnlyHint) return always;
  return idempotentHint ? { ...always, destructiveHint, idempotentHint } : { ...always, destructiveHint };
}

/** The tools/list payload, built once per catalogue version. */
export function listTools(suite: Suite): Tool[] {
  let tools = toolListCache.get(suite);
  if (!tools) {
    // No title: a client shows the camelCase name instead, and an agent calls by name (the titles
    // were ~630 bytes of tools/list); caelum://catalog still lists them.
    tools = suite.dispatcher.tools().map((tool) => ({
      name: tool.name,
      description: suite.dispatcher.description(tool),
      inputSchema: jsonSchema(tool.input, 'input'),
      // The result's own fields. Every result also carries the execution block, which the
      // server instructions describe once instead of fifteen times; the published schema does
      // not forbid extra fields, so results still validate against it.
      outputSchema: jsonSchema(tool.output, 'output'),
      annotations: publishedAnnotations(tool.kind),
    }));
    toolListCache.set(suite, tools);
    if (!invalidating.has(suite)) {
      invalidating.add(suite);
      suite.registry.onChange(() => toolListCache.delete(suite));
    }
  }
  return tools;
}

export interface ServerOptions {
  /**
   * Whether the transport can deliver messages the server starts on its own: true for stdio and
   * socket sessions, false for stateless HTTP, where a message not tied to a request has nowhere to
   * go. Only when true does the server advertise and send tools/resources list_changed and resource
   * updates (and accept resources/subscribe). Default true.
   */
  notifications?: boolean;
  /** The session's own roots (a front-end's working directory), over the suite's configured ones. */
  allowedRoots?: string[];
  testRunsAllowed?: string[];
  /** A line added to every tool result, e.g. that this process serves in-process and why. */
  notice?: string;
  /** Prompts this server offers besides Caelum's own (listed after them; names must differ). */
  extraPrompts?: PromptDefinition[];
}

export interface CreatedServer {
  server: Server;
  close(): Promise<void>;
}

function capabilitiesFor(notifications: boolean): ServerCapabilities {
  return {
    tools: notifications ? { listChanged: true } : {},
    resources: notifications ? { listChanged: true, subscribe: true } : {},
    prompts: {},
    completions: {},
    logging: {},
  };
}

/**
 * Builds the protocol server. `source` may be a promise: stdio start-up answers `initialize` while
 * the tool catalogue is still loading, and requests that need the suite wait for it.
 */
export function createServer(source: Suite | Promise<Suite>, options: ServerOptions = {}): CreatedServer {
  const notifications = options.notifications ?? true;
  const ready = Promise.resolve(source);
  const served = promptsWith(options.extraPrompts);
  const server = new StrictServer(
    { name: 'caelum', title: 'Caelum', version: caelumVersion },
    { capabilities: capabilitiesFor(notifications), instructions },
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
  // This session's logging level; on stateless HTTP every request is its own session, so there
  // the default always applies.
  let level: LoggingLevel = defaultClientLevel;
  server.setRequestHandler(SetLevelRequestSchema, (request) => {
    level = request.params.level;
    return {};
  });

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
                  ...(message ? { message: scrubText(message) } : {}),
                },
              })
              .catch(() => undefined);
          };
    const logger = clientForwardingLogger(
      suite.logger.child({ call: String(extra.requestId) }),
      () => level,
      (messageLevel, data) =>
        extra
          .sendNotification({
            method: 'notifications/message',
            params: { level: messageLevel, logger: 'caelum', data },
          })
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

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: await listResources(await ready) }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) =>
    // Resources (host status, the catalogue, snapshots) leave scrubbed, as tool results do.
    scrubDeep(await readResource(await ready, request.params.uri, extra.signal)),
  );
  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: listPrompts(served) }));
  server.setRequestHandler(GetPromptRequestSchema, (request) =>
    getPrompt(request.params.name, request.params.arguments, served),
  );
  server.setRequestHandler(CompleteRequestSchema, async (request) => complete(await ready, request.params, served));

  const stops: (() => void)[] = [];
  let closed = false;
  if (notifications) {
    const subscribed = new Set<string>();
    server.setRequestHandler(SubscribeRequestSchema, (request) => {
      subscribed.add(request.params.uri);
      return {};
    });
    server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
      subscribed.delete(request.params.uri);
      return {};
    });
    const quietly = (sending: Promise<void>) => void sending.catch(() => undefined);
    void ready.then(
      (suite) => {
        if (closed) return;
        stops.push(
          suite.registry.onChange(() => {
            quietly(server.sendToolListChanged());
            if (subscribed.has('caelum://catalog')) quietly(server.sendResourceUpdated({ uri: 'caelum://catalog' }));
          }),
          onSnapshotsChanged(suite, () => quietly(server.sendResourceListChanged())),
        );
      },
      () => undefined,
    );
  }

  return {
    server,
    async close() {
      closed = true;
      for (const stop of stops) stop();
      await server.close();
    },
  };
}
