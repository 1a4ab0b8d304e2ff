// JSON Schema from zod, compacted for agents: what tools/list, the catalogue resource and findTools
// publish.
import { z } from 'zod';

/** `anyOf` of same-typed constants (zod's union of literals), as the shorter `enum`. */
function constants(value: unknown): { type: unknown; enum: unknown[] } | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const branches = value as Record<string, unknown>[];
  const type = branches[0]!.type;
  const simple = branches.every((b) => 'const' in b && b.type === type && Object.keys(b).length === 2);
  return simple
    ? {
        type: type === 'number' && branches.every((b) => Number.isInteger(b.const)) ? 'integer' : type,
        enum: branches.map((b) => b.const),
      }
    : undefined;
}

/**
 * Drops what only costs the agent tokens: the dialect (2020-12 is MCP's default), string-typed
 * propertyNames, string length, array size and numeric bounds (a value past one is rejected with a
 * message that names the limit; they were ~700 and then ~360 bytes of tools/list),
 * `additionalProperties: {}`, defaults of false and {}, and, in output schemas, additionalProperties: false
 * (clients then accept fields added later). A union of literals becomes an enum.
 */
function compact(node: unknown, io: 'input' | 'output'): unknown {
  if (Array.isArray(node)) return node.map((item) => compact(item, io));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema') continue;
    if (key === 'propertyNames' && JSON.stringify(value) === '{"type":"string"}') continue;
    if (key === 'minLength' || key === 'maxLength' || key === 'minItems' || key === 'maxItems') continue;
    if (key === 'minimum' || key === 'maximum') continue;
    // additionalProperties: {} (any value) is what JSON Schema assumes anyway, and a flag that is
    // off or an object that is empty unless given needs no default.
    if (key === 'additionalProperties' && JSON.stringify(value) === '{}') continue;
    if (key === 'default' && (value === false || JSON.stringify(value) === '{}')) continue;
    if (key === 'anyOf' && constants(value)) {
      Object.assign(out, constants(value));
      continue;
    }
    if (io === 'output' && key === 'additionalProperties' && value === false) continue;
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, compact(v, io)]))
        : compact(value, io);
  }
  return out;
}

/**
 * The published output schema names the top-level fields every result carries and nothing more:
 * each is `{}` (any value). Types, nested structure, enums, descriptions and `required` stay out,
 * and so do optional fields (set only by some inputs or outcomes; the result shows them). With one
 * level of types and descriptions, fifteen high-level tools spent ~4 KB of tools/list on output
 * schemas, and the optional names were ~450 bytes more; a client uses them to check
 * structuredContent and a model does not read them (it reads the result). The full schema still
 * validates every result inside Caelum, and what is published is a relaxation of it, so
 * structuredContent always validates against it.
 */
function published(full: Record<string, unknown>): JsonSchemaObject {
  const all = Object.keys((full.properties ?? {}) as Record<string, unknown>);
  const required = (full.required ?? []) as string[];
  const always = all.filter((field) => required.includes(field));
  const fields = always.length > 0 ? always : all;
  return { type: 'object', properties: Object.fromEntries(fields.map((field) => [field, {}])) };
}

export type JsonSchemaObject = {
  type: 'object';
  properties?: Record<string, object>;
  required?: string[];
  [key: string]: unknown;
};

const memo = {
  input: new WeakMap<z.ZodType, JsonSchemaObject>(),
  output: new WeakMap<z.ZodType, JsonSchemaObject>(),
  full: new WeakMap<z.ZodType, JsonSchemaObject>(),
};

/**
 * The JSON Schema of a zod schema as Caelum publishes it, memoised per schema object (tool
 * definitions are immutable), so listings and searches do not convert the same schemas again.
 * `full` gives the unpruned output schema that every result really satisfies.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' | 'full'): JsonSchemaObject {
  let converted = memo[io].get(schema);
  if (!converted) {
    const mode = io === 'input' ? 'input' : 'output';
    const full = compact(z.toJSONSchema(schema, { io: mode, unrepresentable: 'any' }), mode) as Record<string, unknown>;
    if (io === 'output') {
      converted = published(full);
    } else {
      converted = full as JsonSchemaObject;
    }
    memo[io].set(schema, converted);
  }
  return converted;
}

/** The input schema of an internal tool as findTools and the catalogue publish it. */
export function toolInputSchema(tool: {
  input: z.ZodType;
  inputJsonSchema?: Record<string, unknown> | undefined;
}): JsonSchemaObject {
  if (!tool.inputJsonSchema) return jsonSchema(tool.input, 'input');
  const { $schema: _dialect, ...rest } = tool.inputJsonSchema;
  return { ...rest, type: 'object' } as JsonSchemaObject;
}
