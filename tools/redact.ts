// Removes credentials from URLs and known secret shapes from text before they reach a result or log.

export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) url.searchParams.set(key, '***');
    }
    return url.toString();
  } catch {
    return value.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
  }
}

const secretPatterns = [/sk-ant-[A-Za-z0-9_-]{8,}/g, /\b(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/g];

export function redactText(text: string): string {
  return secretPatterns.reduce(
    (acc, pattern) => acc.replace(pattern, (match, prefix?: string) => (prefix ? `${prefix}***@` : 'sk-ant-***')),
    text,
  );
}
