// The classes of dangerous sinks the taint engine knows, each with its CWE, a default severity and
// the advice a fix starts from. A sanitiser clears one or more classes (a bit each), so escaping
// HTML protects an innerHTML sink but not a SQL query.
import type { Severity } from './finding.js';

export interface SinkClass {
  bit: number;
  cwe: string;
  rule: string;
  title: string;
  severity: Severity;
  advice: string;
}

export const sinkClasses = {
  sql: {
    bit: 1 << 0,
    cwe: 'CWE-89',
    rule: 'sql-injection',
    title: 'SQL injection',
    severity: 'critical',
    advice:
      'Pass user input as a bound parameter (placeholders: ?, $1, :name, or a tagged sql`` template), never by concatenation.',
  },
  nosql: {
    bit: 1 << 1,
    cwe: 'CWE-943',
    rule: 'nosql-injection',
    title: 'NoSQL injection',
    severity: 'high',
    advice:
      'Never build $where/JavaScript from input; coerce query values to the expected type (String(x)) or sanitise operators (mongo-sanitize, mongoose sanitizeFilter).',
  },
  command: {
    bit: 1 << 2,
    cwe: 'CWE-78',
    rule: 'command-injection',
    title: 'OS command injection',
    severity: 'critical',
    advice: 'Use execFile/spawn with an argument array and no shell, and validate the input against an allow-list.',
  },
  code: {
    bit: 1 << 3,
    cwe: 'CWE-95',
    rule: 'code-injection',
    title: 'Code injection (eval)',
    severity: 'critical',
    advice: 'Do not evaluate input as code. Parse it (JSON.parse, Number, a real expression parser) instead.',
  },
  path: {
    bit: 1 << 4,
    cwe: 'CWE-22',
    rule: 'path-traversal',
    title: 'Path traversal',
    severity: 'high',
    advice:
      'Resolve the path against a fixed base directory and reject it unless the result stays inside (path.resolve + startsWith(base + path.sep)), or use path.basename.',
  },
  redirect: {
    bit: 1 << 5,
    cwe: 'CWE-601',
    rule: 'open-redirect',
    title: 'Open redirect',
    severity: 'medium',
    advice: 'Redirect only to relative paths or to hosts on an allow-list; parse the URL and compare its origin.',
  },
  ssrf: {
    bit: 1 << 6,
    cwe: 'CWE-918',
    rule: 'ssrf',
    title: 'Server-side request forgery',
    severity: 'high',
    advice:
      'Do not let input choose the host: fix the scheme and host, or check the parsed URL against an allow-list (and block private addresses).',
  },
  xss: {
    bit: 1 << 7,
    cwe: 'CWE-79',
    rule: 'xss',
    title: 'Cross-site scripting',
    severity: 'high',
    advice:
      'Escape output for its context (a template engine with auto-escaping, escape-html, DOMPurify for HTML), or send JSON.',
  },
  deserialization: {
    bit: 1 << 8,
    cwe: 'CWE-502',
    rule: 'unsafe-deserialization',
    title: 'Unsafe deserialization',
    severity: 'critical',
    advice: 'Parse untrusted data with JSON.parse or a safe schema (js-yaml 4 load / safeLoad); never node-serialize.',
  },
  regex: {
    bit: 1 << 9,
    cwe: 'CWE-1333',
    rule: 'redos',
    title: 'Regular expression denial of service',
    severity: 'medium',
    advice:
      'Remove nested or overlapping quantifiers, or escape input before building a RegExp from it (and bound its length).',
  },
  mass: {
    bit: 1 << 10,
    cwe: 'CWE-915',
    rule: 'mass-assignment',
    title: 'Mass assignment',
    severity: 'high',
    advice:
      'Copy only the fields the caller may set (an explicit pick or a validated schema), never the whole request body.',
  },
  idor: {
    bit: 1 << 11,
    cwe: 'CWE-639',
    rule: 'missing-authorization',
    title: 'Missing authorization (IDOR)',
    severity: 'high',
    advice:
      'Check that the record belongs to the authenticated user (compare with req.user / the session) before reading or changing it.',
  },
  prototype: {
    bit: 1 << 12,
    cwe: 'CWE-1321',
    rule: 'prototype-pollution',
    title: 'Prototype pollution',
    severity: 'high',
    advice:
      'Reject __proto__, constructor and prototype keys, or use Object.create(null) / a Map for input-keyed data.',
  },
  xxe: {
    bit: 1 << 13,
    cwe: 'CWE-611',
    rule: 'xxe',
    title: 'XML external entities',
    severity: 'high',
    advice: 'Parse XML with entity expansion and DTD loading off (libxmljs: noent false, no dtdload).',
  },
  header: {
    bit: 1 << 14,
    cwe: 'CWE-113',
    rule: 'header-injection',
    title: 'HTTP header injection',
    severity: 'medium',
    advice: 'Strip CR/LF from values placed in headers, or let the framework encode them.',
  },
  url: {
    bit: 1 << 15,
    cwe: 'CWE-79',
    rule: 'xss-url',
    title: 'Cross-site scripting through a URL',
    severity: 'medium',
    advice:
      'Parse the URL and allow only http: and https: (new URL(x) and a protocol allow-list), or a sanitize-url function; HTML escaping does not stop javascript: URLs.',
  },
  log: {
    bit: 1 << 16,
    cwe: 'CWE-117',
    rule: 'log-injection',
    title: 'Log injection',
    severity: 'low',
    advice:
      "Log input as a field of a structured entry (logger.info({ q })), or strip CR/LF first (.replace(/[\\r\\n]/g, '')).",
  },
} satisfies Record<string, SinkClass>;

export type SinkClassName = keyof typeof sinkClasses;

export const allSinkBits = Object.values(sinkClasses).reduce((bits, c) => bits | c.bit, 0);

export function bitsOf(...names: SinkClassName[]): number {
  return names.reduce((bits, name) => bits | sinkClasses[name].bit, 0);
}
