// What a committed secret looks like, shared by the JS/TS rules, the Python rules and the
// any-file secret scan: provider token formats (high confidence on their own) and the
// name-plus-literal heuristic (a variable called like a secret holding a non-placeholder string).

export const secretName =
  /(secret|passwd|password|passphrase|api_?key|apikey|access_?key|private_?key|client_?secret|secret_?key|auth_?token|access_?token|jwt_?key|signing_?key|encryption_?key|credentials?)$/i;
export const notSecretName =
  /(error|message|msg|label|placeholder|field|hint|url|uri|path|route|regex|pattern|name|text|title|prompt|length|min|max|policy|confirm|reset|expires|header|type|id|question|input|selector|column|env|key_?name)$/i;

export const tokenPatterns: readonly { name: string; pattern: RegExp }[] = [
  { name: 'AWS access key id', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'GitHub token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { name: 'Slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/ },
  { name: 'Stripe live key', pattern: /\b(sk|rk)_live_[A-Za-z0-9]{20,}/ },
  { name: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: 'private key', pattern: /-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----/ },
  { name: 'Anthropic key', pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/ },
  { name: 'OpenAI key', pattern: /\bsk-(proj-)?[A-Za-z0-9]{32,}\b/ },
];

/** Names around a value that make predictability or a fast hash a security problem. */
export const tokenContext =
  /(token|secret|password|passwd|salt|nonce|otp|csrf|session|reset|api_?key|auth|captcha|verification|invite|magic)/i;
export const passwordContext = /(pass|pwd|password|credential)/i;

const placeholder =
  /^(x+|\*+|\.+|changeme|change_me|todo|tbd|your[-_ ].*|<.*>|\$\{.*\}|%.*%|test|example|dummy|secret|password|null|undefined|none|false|true)$/i;

/** The provider token format a string contains, if any. */
export function tokenKind(text: string): string | undefined {
  return tokenPatterns.find(({ pattern }) => pattern.test(text))?.name;
}

/** True when `name = literal` looks like a hard-coded credential rather than a label or a placeholder. */
export function looksLikeSecretAssignment(name: string, literal: string): boolean {
  if (
    literal.length < 6 ||
    /\s/.test(literal) ||
    placeholder.test(literal) ||
    (/^[a-z_]+$/.test(literal) && literal.length < 10)
  )
    return false;
  return secretName.test(name) && !notSecretName.test(name);
}

/** Shannon entropy in bits per character, to tell a random key from a word. */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** A value with only its first characters kept, so a report can point at a secret without repeating it. */
export function mask(value: string): string {
  return value.length <= 8 ? '*'.repeat(value.length) : `${value.slice(0, 4)}…(${value.length} chars)`;
}

/** The line with every provider token and every long quoted or assigned value masked. */
export function redactLine(line: string): string {
  let result = line;
  for (const { pattern } of tokenPatterns)
    result = result.replace(new RegExp(pattern.source, 'g'), (match) => mask(match));
  return result
    .replace(
      /(["'`])([^"'`\s]{8,})\1/g,
      (_match, quote: string, value: string) => `${quote}${value.includes('…(') ? value : mask(value)}${quote}`,
    )
    .replace(
      /(=\s*)([^\s"'`;,]{8,})/g,
      (_match, prefix: string, value: string) => `${prefix}${value.includes('…(') ? value : mask(value)}`,
    );
}
