// JSON Schema from zod, compacted for agents: what tools/list, the catalogue resource and findTools
// publish.
import { z } from 'zod';

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
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, compact(v, io)]))
        : compact(value, io);
  }
  return out;
}

/**
 * Output schemas are published to one object level: each top-level field with its type and
 * description; nested objects keep only their type and description (ten high-level tools at two
 * levels came to 22 KB, over the 16 KB tools/list budget). The full schema still validates every result inside Caelum, and what is
 * published is a relaxation of it, so structuredContent always validates against it. This keeps
 * tools/list small: the execution block alone would otherwise repeat ~600 bytes per tool.
 */
function prune(node: Record<string, unknown>, depth: number): Record<string, unknown> {
  const isObject = node.type === 'object';
  const isArray = node.type === 'array';
  if (depth <= 0 && (isObject || isArray)) {
    const shallow: Record<string, unknown> = { type: node.type };
    if (node.description) shallow.description = node.description;
    const itemType = (node.items as { type?: unknown } | undefined)?.type;
    // Arrays of objects publish as plain arrays; arrays of scalars keep their item type.
    if (isArray && itemType !== undefined && itemType !== 'object') shallow.items = { type: itemType };
    return shallow;
  }
  if (isObject && node.properties) {
    const properties = Object.fromEntries(
      Object.entries(node.properties as Record<string, Record<string, unknown>>).map(([k, v]) => [
        k,
        prune(v, depth - 1),
      ]),
    );
    return { ...node, properties };
  }
  if (isArray && node.items && typeof node.items === 'object')
    return { ...node, items: prune(node.items as Record<string, unknown>, depth) };
  return node;
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
      // Published output schemas are a relaxation of the full one: pruned, and without `required`
      // (about 200 bytes a tool); results are still validated against the full schema inside.
      const { required: _required, ...relaxed } = prune(full, 1);
      converted = relaxed as JsonSchemaObject;
    } else {
      converted = full as JsonSchemaObject;
    }
    memo[io].set(schema, converted);
  }
  return converted;
}
