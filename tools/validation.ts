// Input checks shared by the internal router and the supervisors' high-level tools: size limits,
// unknown fields and zod issues, each turned into a message that names the field and the fix.
import type { z } from 'zod';
import { InputError } from './errors.js';

export const maxStringLength = 1024 * 1024;
const maxDepth = 32;

function join(prefix: string, key: string | number): string {
  if (typeof key === 'number') return `${prefix}[${key}]`;
  return prefix ? `${prefix}.${key}` : key;
}

/** Rejects strings over 1 MiB and absurdly deep nesting before zod sees the value. */
export function checkSizes(value: unknown, field: string, depth = 0): void {
  if (depth > maxDepth) throw new InputError(field, `nesting deeper than ${maxDepth} levels; flatten the value`);
  if (typeof value === 'string') {
    if (value.length > maxStringLength) {
      throw new InputError(field, `string of ${value.length} characters is over the 1 MiB limit (${maxStringLength}); pass a shorter value or a file path instead`);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => checkSizes(item, join(field, index), depth + 1));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) checkSizes(item, join(field, key), depth + 1);
  }
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: string): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const field = issue.path.reduce<string>((acc, key) => join(acc, typeof key === 'symbol' ? String(key) : key), prefix) || '(input)';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Validates raw arguments against an object schema. Throws InputError naming the field; the message
 * ends with the valid fields and an example, so a model can correct its next call.
 */
export function parseArguments<S extends z.ZodObject>(schema: S, raw: unknown, prefix: string, example: unknown): z.output<S> {
  const value = raw ?? {};
  const hint = () => `Valid fields: ${Object.keys(schema.shape).join(', ') || '(none)'}. Example: ${JSON.stringify(example)}`;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(prefix, `expected an object of named arguments, got ${Array.isArray(value) ? 'an array' : typeof value}. ${hint()}`);
  }
  checkSizes(value, prefix);
  const unknown = Object.keys(value).filter((key) => !(key in schema.shape));
  if (unknown.length > 0) {
    throw new InputError(join(prefix, unknown[0]!), `unknown field. ${hint()}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InputError('', `${formatIssues(parsed.error.issues, prefix)}. ${hint()}`);
  return parsed.data;
}
