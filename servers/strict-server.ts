// The SDK's Server, with request params checked before any handler runs. The SDK parses a request
// against the schema given to setRequestHandler and lets the ZodError escape, so a client that
// leaves out `name` in tools/call, or sends logging/setLevel "loud", gets -32603 Internal error
// with a multi-line dump of zod issues. Here every registered method (the SDK's own initialize,
// ping and logging/setLevel included) checks its params first and answers -32602 Invalid params
// with one line that names the field and what it accepts; -32603 stays for our own faults.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { AnyObjectSchema, SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  ErrorCode,
  type Notification,
  type Request,
  type Result,
  type ServerNotification,
  type ServerRequest,
  type ServerResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type Handler = (request: unknown, extra: unknown) => Promise<unknown>;

function fieldName(path: readonly PropertyKey[]): string {
  let name = '';
  for (const key of path) name += typeof key === 'number' ? `[${key}]` : `${name ? '.' : ''}${String(key)}`;
  return name || 'the request';
}

const quoted = (values: readonly unknown[]) => values.map((value) => JSON.stringify(value)).join(', ');

function describeIssue(issue: Issue, input: unknown, base: readonly PropertyKey[]): string {
  const path = [...base, ...issue.path];
  const field = fieldName(path);
  const got = valueAt(input, path);
  switch (issue.code) {
    case 'invalid_type':
      return got === undefined
        ? `${field} is required (${issue.expected === 'record' ? 'object' : issue.expected})`
        : `${field} must be ${article(issue.expected)}, not ${describeValue(got)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `${field} must be ${quoted(issue.values)}, not ${describeValue(got)}`
        : `${field} must be one of ${quoted(issue.values)}; got ${describeValue(got)}`;
    case 'invalid_union':
      return describeUnion(issue, input, path);
    case 'unrecognized_keys':
      return `${field} has unknown field(s) ${quoted(issue.keys)}`;
    default:
      return `${field}: ${issue.message.replace(/\s+/g, ' ')}`;
  }
}

/**
 * A union (such as completion/complete's `ref`) fails once per branch. When every branch rejects
 * the same field's value, that field is the discriminator: name all the values it accepts.
 * Otherwise report the branch that came closest (fewest issues).
 */
function describeUnion(issue: Extract<Issue, { code: 'invalid_union' }>, input: unknown, path: PropertyKey[]): string {
  const branches = issue.errors;
  if (branches.length === 0) return `${fieldName(path)}: ${issue.message}`;
  const first = branches[0]!.find((i) => i.code === 'invalid_value');
  if (first) {
    const key = JSON.stringify(first.path);
    const values: unknown[] = [];
    const allReject = branches.every((branch) =>
      branch.some((i) => {
        if (i.code !== 'invalid_value' || JSON.stringify(i.path) !== key) return false;
        values.push(...i.values);
        return true;
      }),
    );
    if (allReject) {
      const field = [...path, ...first.path];
      return `${fieldName(field)} must be one of ${quoted(values)}; got ${describeValue(valueAt(input, field))}`;
    }
  }
  const closest = [...branches].sort((a, b) => a.length - b.length)[0]!;
  return closest.map((inner) => describeIssue(inner, input, path)).join('; ');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** zod's type names, in JSON's words. */
const article = (type: string) => {
  const name = type === 'record' ? 'object' : type;
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
};

/** One line for a failed parse of a request: the method, then up to three field problems. */
export function invalidParamsMessage(method: string, issues: readonly Issue[], request: unknown): string {
  const problems = issues.slice(0, 3).map((issue) => describeIssue(issue, request, []));
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return `Invalid params for ${method}: ${problems.join('; ')}${more}`;
}

/**
 * A JSON-RPC error whose message goes out as written. (The SDK's McpError prefixes its message with
 * "MCP error <code>: ", and its client adds the prefix again on the way in.)
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const invalidParams = (message: string) => new ProtocolError(ErrorCode.InvalidParams, message);

export class StrictServer extends Server {
  override setRequestHandler<T extends AnyObjectSchema>(
    requestSchema: T,
    handler: (
      request: SchemaOutput<T>,
      extra: RequestHandlerExtra<ServerRequest | Request, ServerNotification | Notification>,
    ) => ServerResult | Result | Promise<ServerResult | Result>,
  ): void {
    super.setRequestHandler(requestSchema, handler);
    const schema = requestSchema as unknown as z.ZodType;
    const method = (schema as unknown as z.ZodObject).shape.method.def.values[0] as string;
    // The SDK keeps its handlers in a private map; this wraps the one just registered (an exact
    // SDK version is pinned, and tests/servers/invalid-params.test.ts fails if the map moves).
    const handlers = (this as unknown as { _requestHandlers: Map<string, Handler> })._requestHandlers;
    const registered = handlers.get(method)!;
    handlers.set(method, (request, extra) => {
      const parsed = schema.safeParse(request);
      if (!parsed.success)
        return Promise.reject(invalidParams(invalidParamsMessage(method, parsed.error.issues, request)));
      return registered(request, extra);
    });
  }
}
