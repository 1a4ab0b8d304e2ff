// The official SARIF 2.1.0 JSON schema (OASIS, as shipped by @microsoft/jest-sarif), compiled with
// Ajv 8. The file declares draft-04 and names itself with `id`; the keywords it uses (type,
// properties, items, required, minimum, pattern, enum, anyOf, $ref, format, uniqueItems,
// additionalProperties) mean the same in draft-07, so only those two header fields are adapted.
// Formats are checked to RFC 3986 / RFC 3339 here, because a URI with a raw space, '%' or
// non-ASCII character is exactly the defect this has to catch.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject } from 'ajv';

const require = createRequire(import.meta.url);
const schemaPath = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');

const uriCharacters = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#[\]]|%[0-9A-Fa-f]{2})*$/;
const oneFragment = (value: string) => value.split('#').length <= 2;

export function isUri(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) && uriCharacters.test(value) && oneFragment(value);
}

export function isUriReference(value: string): boolean {
  if (!uriCharacters.test(value) || !oneFragment(value)) return false;
  // A relative reference's first segment may not hold a ':' (it would read as a scheme).
  const first = value.split(/[/?#]/)[0]!;
  return !first.includes(':') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value);
}

const dateTime = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function compile() {
  const raw = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  const { $schema: _draft, id, ...schema } = raw;
  // unicodeRegExp off: the schema's `language` pattern has a stray ']' that only non-unicode
  // regular expressions (which draft-04 validators used) accept.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  ajv.addFormat('uri', isUri);
  ajv.addFormat('uri-reference', isUriReference);
  ajv.addFormat('date-time', (value: string) => dateTime.test(value) && !Number.isNaN(Date.parse(value)));
  return ajv.compile({ ...schema, $id: id as string });
}

let validator: ReturnType<typeof compile> | undefined;

/** Schema violations of a SARIF log, as readable lines; empty when it is valid. */
export function sarifSchemaErrors(log: unknown): string[] {
  validator ??= compile();
  if (validator(log)) return [];
  return (validator.errors ?? []).map(
    (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}
