// URL templates in playbook steps. The only templating is {server} and {host}, filled from the server
// record; a value must be a plain host name (letters, digits, ".", "-", "_"), so "/", "@", ":", "?",
// "#", "%" and spaces can never move a call to another host, port, user or path. The result must be an
// http(s) URL whose host is the one the template names.
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { redactUrl } from '../../redact.js';

export const placeholders = ['server', 'host'] as const;
export type Placeholder = (typeof placeholders)[number];

/** A host name or IPv4 address: what {server} and {host} may hold. */
export const hostNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;

export const urlTemplateSchema = z
  .string()
  .max(2048)
  .superRefine((template, context) => {
    const problem = templateProblem(template);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

export function templateProblem(template: string): string | undefined {
  if (!/^https?:\/\//i.test(template)) return 'must start with http:// or https://';
  for (const match of template.matchAll(/\{([^{}]*)\}/g)) {
    if (!(placeholders as readonly string[]).includes(match[1]!))
      return `unknown placeholder {${match[1]}}; only {server} and {host} are filled`;
  }
  const stripped = template.replace(/\{(server|host)\}/g, 'x');
  if (/[{}]/.test(stripped)) return 'has an unbalanced "{" or "}"';
  try {
    new URL(stripped);
  } catch {
    return 'is not a valid URL once {server} and {host} are filled';
  }
  return undefined;
}

export function checkHostValue(field: string, value: string): void {
  if (!hostNamePattern.test(value))
    throw new InputError(
      field,
      `"${value.slice(0, 80)}" is not a plain host name (letters, digits, ".", "-", "_"; no "/", "@", ":" or spaces); pass the server's name as the fleet lists it`,
    );
}

/** Fills {server} and {host}; throws InputError when a value or the result is not allowed. */
export function fillUrl(template: string, values: Record<Placeholder, string>): string {
  checkHostValue('server', values.server);
  checkHostValue('host', values.host);
  const filled = template.replace(/\{(server|host)\}/g, (_all, key: Placeholder) => values[key]);
  let url: URL;
  try {
    url = new URL(filled);
  } catch {
    throw new InputError('server', `the step URL ${redactUrl(filled)} is not a valid URL; check the server name`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InputError('server', `the step URL ${redactUrl(filled)} is not http(s)`);
  const expectedHost = authorityOf(template).replace(/\{(server|host)\}/g, (_all, key: Placeholder) => values[key]);
  if (!sameHost(url, expectedHost))
    throw new InputError('server', `the step URL ${redactUrl(filled)} does not reach the host its template names`);
  return filled;
}

/** host[:port] of a template, without any user:password@. */
function authorityOf(template: string): string {
  const rest = template.replace(/^https?:\/\//i, '');
  const authority = rest.split(/[/?#]/, 1)[0] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1);
}

function sameHost(url: URL, expected: string): boolean {
  try {
    return new URL(`${url.protocol}//${expected}`).host.toLowerCase() === url.host.toLowerCase();
  } catch {
    return false;
  }
}
