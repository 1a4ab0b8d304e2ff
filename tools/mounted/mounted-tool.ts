// A tool of a mounted MCP server as an internal tool. No MCP types here: the servers/ layer owns
// the client and hands in a caller; this module names the tool, converts its JSON Schema to the zod
// schema the router validates with (the original schema is what findTools publishes), derives its
// kind from the server's annotations (with MCP's defaults: a tool that is not read-only may be
// destructive unless it says otherwise, and may reach the open world), and shapes the result.
import { z } from 'zod';
import type { AnyTool, Domain, ToolKind } from '../define-tool.js';
import { InputError } from '../errors.js';

export interface RemoteTool {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  inputSchema: Record<string, unknown>;
  annotations?:
    | {
        title?: string | undefined;
        readOnlyHint?: boolean | undefined;
        destructiveHint?: boolean | undefined;
        idempotentHint?: boolean | undefined;
        openWorldHint?: boolean | undefined;
      }
    | undefined;
}

export interface RemoteResult {
  content: Record<string, unknown>[];
  structuredContent?: Record<string, unknown> | undefined;
  isError?: boolean | undefined;
}

export interface RemoteCallOptions {
  signal: AbortSignal;
  /** The calling session's allowed roots (a mount with rootsAsArgs runs a process per set). */
  roots?: readonly string[];
  /**
   * A call that may write (the tool is not read-only): such calls to one server run one at a time,
   * since a server may read, change and write back its state (the memory server's file) unlocked.
   */
  exclusive?: boolean;
  onProgress: (progress: number, total?: number, message?: string) => void;
}

/** What a mounted tool needs of its server: a call by the server's own tool name. */
export interface RemoteCaller {
  readonly server: string;
  call(tool: string, args: Record<string, unknown>, options: RemoteCallOptions): Promise<RemoteResult>;
}

/** Curated metadata for a default mount's tool: example requests, tags, a harmless example. */
export interface MountedToolHints {
  requests?: string[];
  tags?: string[];
  example?: Record<string, unknown>;
}

export type MountState = 'stopped' | 'starting' | 'ready' | 'backoff' | 'broken' | 'disabled';

export interface MountStatus {
  name: string;
  supervisor: string;
  transport: 'stdio' | 'http';
  origin: 'default' | 'config';
  package?: string;
  state: MountState;
  enabled: boolean;
  pid?: number;
  tools: number;
  starts: number;
  crashes: number;
  calls: number;
  failuresInARow: number;
  /** When a broken server is tried again (ISO time). */
  retryAt?: string;
  lastError?: string;
  stderrTail?: string[];
  malformedLines: number;
  /** With rootsAsArgs: how many processes it has, one per session's set of allowed roots. */
  instances?: number;
  /** Something to know about it here, e.g. a missing browser. */
  note?: string;
  /** The first start's time to ready (spawn, initialize, tools/list), ms. */
  coldStartMs?: number;
}

const maxName = 64;

function sanitize(part: string): string {
  return part
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
}

/**
 * `<domain>_<server>_<tool>`, sanitised to [a-z0-9_], at most 64 characters, and not in `taken`: a
 * long name is cut and given a short hash, a collision gets a numeric suffix.
 */
export function mountedToolName(domain: Domain, server: string, tool: string, taken: ReadonlySet<string>): string {
  const prefix = `${sanitize(domain)}_${sanitize(server) || 'server'}_`;
  let base = `${prefix}${sanitize(tool) || 'tool'}`;
  if (base.length > maxName) {
    let hash = 0;
    for (const char of tool) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    const suffix = `_${hash.toString(36).slice(0, 6)}`;
    base = base.slice(0, maxName - suffix.length).replace(/_+$/, '') + suffix;
  }
  let name = base;
  for (let n = 2; taken.has(name); n++) {
    const suffix = `_${n}`;
    name = base.slice(0, maxName - suffix.length).replace(/_+$/, '') + suffix;
  }
  return name;
}

/** The kind from MCP tool annotations, with the spec's defaults for hints that are absent. */
export function kindFromAnnotations(annotations: RemoteTool['annotations']): ToolKind {
  const readOnly = annotations?.readOnlyHint === true;
  const destructive = !readOnly && annotations?.destructiveHint !== false;
  return {
    effect: readOnly ? 'readOnly' : destructive ? 'destructive' : 'action',
    openWorld: annotations?.openWorldHint !== false,
    idempotent: readOnly || annotations?.idempotentHint === true,
  };
}

/** The zod schema the router validates with; a schema zod cannot read falls back to any object. */
export function inputSchemaFor(schema: Record<string, unknown>): z.ZodObject {
  try {
    const converted = z.fromJSONSchema(schema);
    if (converted instanceof z.ZodObject) return converted;
  } catch {
    // An exotic schema: the server validates the arguments itself.
  }
  return z.looseObject({});
}

/** A minimal valid example: the required fields with a value of their type. */
export function exampleFor(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const example: Record<string, unknown> = {};
  for (const key of required) {
    const property = properties[key] ?? {};
    if (Array.isArray(property.enum) && property.enum.length > 0) example[key] = property.enum[0];
    else if ('default' in property) example[key] = property.default;
    else
      switch (property.type) {
        case 'number':
        case 'integer':
          example[key] = 1;
          break;
        case 'boolean':
          example[key] = false;
          break;
        case 'array':
          example[key] = [];
          break;
        case 'object':
          example[key] = {};
          break;
        default:
          example[key] = key;
      }
  }
  return example;
}

const contentSchema = z.record(z.string(), z.unknown());
const outputSchema = z.object({
  server: z.string().describe('the mounted server that answered'),
  tool: z.string().describe("the server's own name for the tool"),
  content: z.array(contentSchema).describe("the server's content blocks (text, image, resource)"),
  structuredContent: z.record(z.string(), z.unknown()).optional(),
});

/** Readable text of a result: its text blocks, and a line for each other block. */
export function contentText(content: readonly Record<string, unknown>[]): string {
  return content
    .map((block) =>
      block.type === 'text' && typeof block.text === 'string'
        ? block.text
        : block.type === 'image' || block.type === 'audio'
          ? `[${String(block.type)} ${String(block.mimeType ?? '')}, ${String(block.data ?? '').length} base64 characters]`
          : block.type === 'resource_link'
            ? `[resource ${String(block.uri ?? '')}]`
            : `[${String(block.type)} block]`,
    )
    .join('\n');
}

/** The first sentence (or line) of a description. */
export function leadSentence(description: string): string {
  const line = description.split(/\n/)[0] ?? '';
  const end = line.search(/[.!?](\s|$)/);
  return (end === -1 ? line : line.slice(0, end + 1)).trim().slice(0, 300);
}

/** First line of a description, or the whole of it when short, for the title. */
function titleOf(remote: RemoteTool, server: string): string {
  const title = remote.title ?? remote.annotations?.title;
  return title ? `${title} (${server})` : `${remote.name} (${server})`;
}

export function mountedTool(
  caller: RemoteCaller,
  domain: Domain,
  remote: RemoteTool,
  name: string,
  hints: MountedToolHints = {},
): AnyTool {
  const input = inputSchemaFor(remote.inputSchema);
  const description = (remote.description ?? '').trim();
  const example = hints.example ?? exampleFor(remote.inputSchema);
  const kind = kindFromAnnotations(remote.annotations);
  return {
    name,
    domain,
    tags: [caller.server, ...(hints.tags ?? [])],
    requests: hints.requests ?? [],
    title: titleOf(remote, caller.server),
    description:
      description.length >= 40
        ? `${description} (Mounted MCP server "${caller.server}", tool ${remote.name}.)`
        : `${description || remote.name}: tool ${remote.name} of the mounted MCP server "${caller.server}".`,
    kind,
    input,
    inputJsonSchema: remote.inputSchema,
    mounted: { server: caller.server, tool: remote.name, summary: leadSentence(description) || remote.name },
    output: outputSchema,
    examples: [example],
    async handler(args, context) {
      const result = await caller.call(remote.name, args, {
        signal: context.signal,
        roots: context.environment.allowedRoots,
        exclusive: kind.effect !== 'readOnly',
        onProgress: (progress, total, message) => context.progress(progress, total, message),
      });
      const text = contentText(result.content);
      // The server's own tool error (a missing file, a path outside its directories) is about the
      // arguments: the agent reads it and corrects the call.
      if (result.isError) throw new InputError('', `${caller.server}/${remote.name}: ${text || 'the tool failed'}`);
      return {
        server: caller.server,
        tool: remote.name,
        content: result.content,
        ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}),
      };
    },
    summarize: (output) => {
      const text = contentText(output.content as Record<string, unknown>[]);
      return text.length > 0 ? text : JSON.stringify(output.structuredContent ?? {});
    },
  } as AnyTool;
}
