// Secrets by value: the credentials this process was given (Claude key, provider keys, passwords in
// configured URLs, environment variables named like secrets) are registered once, at start-up, and
// every way out of the process scrubs them: tool results (text and structured content), log lines,
// MCP log messages, resources and CLI output. Known shapes (Anthropic keys, URL passwords, bearer
// tokens) are scrubbed too, registered or not.
//
// The registry is one per process, not per suite: the secret set is a property of what the process
// was given, and every sink must see the same set, including the stderr logger and the CLI printer
// that exist before (or without) a suite. Values are only ever added; scrubbing one more is harmless.
//
// Lengths. A value shorter than 4 characters is never registered: scrubbing "abc" out of every
// result would destroy the output, and such a credential offers no protection anyway. A value that
// came from a credential position (an API key setting, a URL password, DATABASE_URL) counts from 4
// characters; a value registered only because its variable's NAME looks secret counts from 8 (so
// SSH_AUTH_SOCK=1 or SOME_TOKEN_TTL=3600 do not blank numbers everywhere). Values shorter than 12
// characters are matched only as a whole token (not inside a longer run of letters and digits), so a
// 4-character URL password "pass" is scrubbed from "user:pass@" but not from "4 passed".

const replacement = '***';
const credentialMinimum = 4;
const nameOnlyMinimum = 8;
const wholeTokenBelow = 12;

/** Environment variable names whose values are treated as secrets. */
export const secretNamePattern =
  /(^|_)(API_?KEY|KEYS?|TOKENS?|SECRETS?|PASS|PASSWORD|PASSWD|PWD|CREDENTIALS?|AUTH|PRIVATE|COOKIE)(_|$)|(PASSWORD|PASSWD|SECRET|TOKEN|APIKEY)$/i;
/** Names that match the pattern above but never hold a secret. */
const notSecretNames = new Set(['PWD', 'OLDPWD', 'SSH_AUTH_SOCK', 'SSH_AGENT_PID']);
/** Config keys whose string values are credentials wherever they appear in the configuration. */
const secretKeyPattern = /(api_?key|apikey|password|passwd|secret|token|credential)$/i;
const secretQueryPattern = /pass|secret|token|key|auth|sig|credential/i;

const knownShapes: [RegExp, string | ((match: string, ...groups: string[]) => string)][] = [
  [/sk-ant-[A-Za-z0-9_-]{8,}/g, 'sk-ant-***'],
  // user:password@ in any scheme://, postgres:// included.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'<>]+:)[^\s@"'<>/]+@/gi, (_m, prefix) => `${prefix}***@`],
  [/\b(authorization["']?\s*[:=]\s*["']?(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}/gi, (_m, p) => `${p}***`],
  [/\b(_authToken\s*=\s*)[^\s"']{4,}/g, (_m, p) => `${p}***`],
];

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decodeQuietly(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export class SecretSet {
  private readonly values = new Set<string>();
  private pattern: RegExp | null | undefined;
  private loosePattern: RegExp | null | undefined;

  /** How many distinct forms are registered (a value, its percent-encoded and JSON-escaped forms). */
  get size(): number {
    return this.values.size;
  }

  /**
   * Registers a secret value with its encoded forms. `credential`: it came from a credential
   * position (4 characters suffice); otherwise only its name looked secret (8 needed).
   */
  add(value: string | undefined, credential = true): void {
    if (typeof value !== 'string') return;
    const trimmed = value.trim();
    if (trimmed.length < (credential ? credentialMinimum : nameOnlyMinimum)) return;
    const forms = new Set([trimmed, value]);
    for (const form of [...forms]) {
      forms.add(encodeURIComponent(form));
      forms.add(decodeQuietly(form));
      forms.add(JSON.stringify(form).slice(1, -1));
    }
    let added = false;
    for (const form of forms) {
      if (form.length < credentialMinimum || this.values.has(form)) continue;
      this.values.add(form);
      added = true;
    }
    if (added) {
      this.pattern = undefined;
      this.loosePattern = undefined;
    }
  }

  /**
   * The credentials inside a URL: its password (or a bare username, as in https://TOKEN@host) and
   * secret query values. A database URL's bare username is a role name (postgres://postgres@host),
   * not a credential: registering it would blank that word out of every result.
   */
  addUrl(value: string | undefined): void {
    if (typeof value !== 'string') return;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      const match = /\/\/([^:/@\s]*)(?::([^@\s]*))?@/.exec(value);
      if (match) this.add(match[2] ?? match[1]);
      return;
    }
    if (url.password) this.add(url.password);
    else if (url.username && usernameMayBeToken(url)) this.add(url.username);
    for (const [key, parameter] of url.searchParams) if (secretQueryPattern.test(key)) this.add(parameter);
  }

  /**
   * Walks a configuration object: string values under secret-looking keys are credentials, and
   * every string that is a URL gives up its userinfo and secret query values.
   */
  addFromConfig(config: unknown, depth = 0): void {
    if (depth > 8 || config === null || typeof config !== 'object') return;
    for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
      if (typeof value === 'string') {
        if (secretKeyPattern.test(key)) this.add(value);
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) this.addUrl(value);
      } else if (value && typeof value === 'object') this.addFromConfig(value, depth + 1);
    }
  }

  /** Environment variables named like secrets, and the credentials of every URL inside any variable (lists included). */
  addFromEnv(env: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(env)) {
      if (!value) continue;
      if (secretNamePattern.test(name) && !notSecretNames.has(name)) this.add(value, /API_KEY$|_TOKEN$/.test(name));
      if (value.includes('@'))
        for (const [url] of value.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s,;]+/gi)) if (url.includes('@')) this.addUrl(url);
    }
  }

  /** Whether `text` holds a registered value (in any registered form). */
  contains(text: string): boolean {
    const pattern = this.compiled();
    if (!pattern) return false;
    pattern.lastIndex = 0;
    return pattern.test(text);
  }

  /** `text` with every registered value and every known secret shape replaced by ***. */
  scrub(text: string): string {
    let out = text;
    const pattern = this.compiled();
    if (pattern) out = out.replace(pattern, replacement);
    for (const [shape, by] of knownShapes) out = out.replace(shape, by as string);
    return out;
  }

  /**
   * Whether `text` (a result's JSON text) may hold a registered value or a known shape. A superset:
   * values are matched without the whole-token rule, since in JSON text a value right after "\n"
   * follows the letter n, which the rule would take for part of a longer word.
   */
  private matches(text: string): boolean {
    const loose = this.looseCompiled();
    if (loose) {
      loose.lastIndex = 0;
      if (loose.test(text)) return true;
    }
    return knownShapes.some(([shape]) => {
      shape.lastIndex = 0;
      return shape.test(text);
    });
  }

  /**
   * A copy of a JSON-like value with every string (and key) scrubbed; the same value when nothing
   * changes. One pass over its JSON text first: most results hold no secret, and that pass costs
   * a tenth of a walk over every string (about 10 ms for 1.4 MB).
   */
  scrubDeep<T>(value: T): T {
    if (typeof value === 'string') return this.scrub(value) as T;
    if (value === null || typeof value !== 'object') return value;
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch {
      text = undefined;
    }
    return text === undefined || this.matches(text) ? this.walk(value, 0) : value;
  }

  private walk<T>(value: T, depth: number): T {
    if (typeof value === 'string') return this.scrub(value) as T;
    if (depth > 64 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((item: unknown) => {
        const next = this.walk(item, depth + 1);
        if (next !== item) changed = true;
        return next;
      });
      return (changed ? out : value) as T;
    }
    if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const nextKey = this.scrub(key);
      const next = this.walk(item, depth + 1);
      if (next !== item || nextKey !== key) changed = true;
      out[nextKey] = next;
    }
    return (changed ? out : value) as T;
  }

  private looseCompiled(): RegExp | null {
    if (this.loosePattern !== undefined) return this.loosePattern;
    const all = [...this.values].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.loosePattern = all.length ? new RegExp(all.join('|'), 'g') : null;
    return this.loosePattern;
  }

  private compiled(): RegExp | null {
    if (this.pattern !== undefined) return this.pattern;
    const all = [...this.values].sort((a, b) => b.length - a.length);
    const long = all.filter((v) => v.length >= wholeTokenBelow).map(escapeRegExp);
    const short = all.filter((v) => v.length < wholeTokenBelow).map(escapeRegExp);
    const parts = [
      ...(long.length ? [long.join('|')] : []),
      ...(short.length ? [`(?<![A-Za-z0-9])(?:${short.join('|')})(?![A-Za-z0-9])`] : []),
    ];
    this.pattern = parts.length ? new RegExp(parts.join('|'), 'g') : null;
    return this.pattern;
  }
}

/** This process's secrets. */
export const secrets = new SecretSet();

/** Registers what a loaded configuration and the environment it came from hold. */
export function registerSecrets(config: unknown, env?: Record<string, string | undefined>): void {
  secrets.addFromConfig(config);
  if (env) secrets.addFromEnv(env);
}

export function scrubText(text: string): string {
  return secrets.scrub(text);
}

export function scrubDeep<T>(value: T): T {
  return secrets.scrubDeep(value);
}

/** Whether a URL's bare username can be a credential (https://TOKEN@host), not a database role name. */
export function usernameMayBeToken(url: URL): boolean {
  return !/^(postgres|postgresql|mysql|mariadb|mongodb|mongodb\+srv|redis|rediss|amqp|amqps):$/.test(url.protocol);
}
