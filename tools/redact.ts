// Removes credentials from URLs and known secret shapes from text before they reach a result or log.
import { scrubText, usernameMayBeToken } from './secrets.js';

export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    else if (url.username && usernameMayBeToken(url)) url.username = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (/pass|secret|token|key|auth|sig|credential/i.test(key)) url.searchParams.set(key, '***');
    }
    return scrubText(url.toString());
  } catch {
    return scrubText(value.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@'));
  }
}

/** Every registered secret value (tools/secrets.ts) and every known secret shape, replaced by ***. */
export function redactText(text: string): string {
  return scrubText(text);
}
