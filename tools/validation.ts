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

/** Finds the first string over 1 MiB, or nesting past the depth limit; the path is built only then. */
function findOversize(value: unknown, depth: number): { path: (string | number)[]; problem: string } | undefined {
  if (typeof value === 'string') {
    return value.length > maxStringLength
      ? {
          path: [],
          problem: `string of ${value.length} characters is over the 1 MiB limit (${maxStringLength}); pass a shorter value or a file path instead`,
        }
      : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= maxDepth) return { path: [], problem: `nesting deeper than ${maxDepth} levels; flatten the value` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findOversize(value[i], depth + 1);
      if (found) return (found.path.unshift(i), found);
    }
    return undefined;
  }
  for (const key in value) {
    const found = findOversize((value as Record<string, unknown>)[key], depth + 1);
    if (found) return (found.path.unshift(key), found);
  }
  return undefined;
}

/** Rejects strings over 1 MiB and absurdly deep nesting before zod sees the value. */
export function checkSizes(value: unknown, field: string): void {
  const found = findOversize(value, 0);
  if (found)
    throw new InputError(
      found.path.reduce<string>((acc, key) => join(acc, key), field),
      found.problem,
    );
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: string): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const field =
        issue.path.reduce<string>((acc, key) => join(acc, typeof key === 'symbol' ? String(key) : key), prefix) ||
        '(input)';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Validates raw arguments against an object schema. Throws InputError naming the field; the message
 * ends with the valid fields and an example, so a model can correct its next call.
 */
export function parseArguments<S extends z.ZodObject>(
  schema: S,
  raw: unknown,
  prefix: string,
  example: unknown,
): z.output<S> {
  const value = raw ?? {};
  const hint = (): string =>
    `Valid fields: ${Object.keys(schema.shape).join(', ') || '(none)'}. Example: ${JSON.stringify(example)}`;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(
      prefix,
      `expected an object of named arguments, got ${Array.isArray(value) ? 'an array' : typeof value}. ${hint()}`,
    );
  }
  checkSizes(value, prefix);
  for (const key in value) {
    if (!(key in schema.shape)) throw new InputError(join(prefix, key), `unknown field. ${hint()}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InputError('', `${formatIssues(parsed.error.issues, prefix)}. ${hint()}`);
  return parsed.data;
}
