// The dashboard's JSON API: each route reads what the MCP tools read, by running the same internal
// tools through the router (so the numbers on the page are the tools' numbers), and scrubs the
// answer of secrets like every tool result. Routes are read-only; actions go through actions.ts.
import { z } from 'zod';
import type { Suite } from '../composition.js';
import { scrubDeep } from '../../tools/secrets.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiContext {
  suite: Suite;
  params: URLSearchParams;
  signal: AbortSignal;
}

export type ToolAnswer =
  { ok: true; output: Record<string, unknown>; text: string } | { ok: false; code: string; message: string };

/** Runs an internal tool as an MCP call would (validated input, budgets), for a view. */
export async function tool(context: ApiContext, name: string, args: Record<string, unknown>): Promise<ToolAnswer> {
  const { suite, signal } = context;
  const outcome = await suite.dispatcher.router.invoke(name, args, suite.dispatcher.context({ signal }));
  if (outcome.ok) return { ok: true, output: scrubDeep(outcome.output), text: outcome.text };
  return { ok: false, code: outcome.error.code, message: outcome.error.message };
}

/** Query parameters checked with zod; a bad one is a 400 naming the parameter and the fix. */
export function params<T extends z.ZodObject>(context: ApiContext, schema: T): z.output<T> {
  const raw: Record<string, string> = {};
  for (const [key, value] of context.params) raw[key] = value;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // A number parameter given text fails as "received NaN"; say what it wants instead.
    const message = issue.message.replace(/expected number, received NaN/, 'expected a number');
    throw new ApiError(400, `${issue.path.join('.') || 'query'}: ${message}`);
  }
  return parsed.data;
}

export interface ApiRoute {
  /** Exact path under /api/, e.g. "savings". */
  path: string;
  handler(context: ApiContext): Promise<unknown>;
}
