// defineTool: an internal tool as data plus a handler. The identity helper lets TypeScript infer the
// handler's types from the zod schemas; the checks here keep every tool's metadata honest.
import type { z } from 'zod';
import type { ToolContext } from './context.js';

export const domains = [
  'development',
  'infrastructure',
  'knowledge-base',
  'trading',
  'ml-training',
  'monitoring',
] as const;
export type Domain = (typeof domains)[number];

/** One field from which all four MCP annotations are derived, so they cannot disagree. */
export interface ToolKind {
  effect: 'readOnly' | 'action' | 'destructive';
  /** True when the tool reaches beyond this machine's files (network hosts, APIs). */
  openWorld?: boolean;
  /** True when repeating the call with the same input has no further effect. */
  idempotent?: boolean;
}

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  domain: Domain;
  tags: string[];
  /** A few requests in a user's words that this tool answers; findTools indexes them. */
  requests?: string[];
  title: string;
  description: string;
  kind: ToolKind;
  input: I;
  output: O;
  examples: z.input<I>[];
  handler: (input: z.output<I>, context: ToolContext) => Promise<z.input<O>>;
  /** Readable text for the result; defaults to a compact JSON rendering. */
  summarize?: (output: z.output<O>) => string;
  /** A mounted server's tool: its JSON Schema as the server publishes it (findTools shows this one). */
  inputJsonSchema?: Record<string, unknown>;
  /** Set for a tool of a mounted MCP server: the server's name and its own name for the tool. */
  mounted?: {
    server: string;
    tool: string;
    /**
     * What findTools indexes in place of the description: its lead sentence. Upstream descriptions
     * go on with usage notes ("only works within allowed directories", "use X instead") whose
     * words are not what the tool is for.
     */
    summary: string;
  };
}

export type AnyTool = ToolDefinition<z.ZodObject, z.ZodObject>;

const namePattern = /^[a-z][a-z0-9]*(_[a-z0-9]+){2,}$/;

export function annotationsFor(kind: ToolKind): ToolAnnotations {
  return {
    readOnlyHint: kind.effect === 'readOnly',
    destructiveHint: kind.effect === 'destructive',
    idempotentHint: kind.effect === 'readOnly' || kind.idempotent === true,
    openWorldHint: kind.openWorld === true,
  };
}

/** Problems with a tool definition, empty when it is well-formed. */
export function definitionProblems(tool: AnyTool): string[] {
  const problems: string[] = [];
  if (tool.name.length > 64) problems.push(`name is ${tool.name.length} characters; the limit is 64`);
  if (!namePattern.test(tool.name)) problems.push('name must be snake_case <domain>_<verb>_<noun> of [a-z0-9_]');
  const prefix = tool.domain.replace('-', '_') + '_';
  if (!tool.name.startsWith(prefix)) problems.push(`name must start with its domain, "${prefix}"`);
  if (tool.description.trim().length < 40)
    problems.push('description must tell a model what the tool does and when to use it');
  if (tool.examples.length === 0) problems.push('at least one example input is required');
  // A mounted server's fields are described (or not) by that server.
  if (!tool.mounted)
    for (const [key, field] of Object.entries(tool.input.shape)) {
      if (!(field as z.ZodType).description) problems.push(`input field "${key}" has no .describe()`);
    }
  return problems;
}

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  definition: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  const problems = definitionProblems(definition as unknown as AnyTool);
  if (problems.length > 0) throw new Error(`tool ${definition.name}: ${problems.join('; ')}`);
  return definition;
}
