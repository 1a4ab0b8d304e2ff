// Checks a PostgreSQL connection string that an agent passes in, before pg ever sees it. pg (through
// pg-connection-string) reads sslcert, sslkey, sslrootcert and sslcrl with readFileSync while it
// parses, so `sslcert=/dev/zero` fills memory and a FIFO blocks the event loop for good; a host that
// is a path opens a local unix socket. None of that may be named by an agent: only the configured
// DATABASE_URL (the operator's choice) may use them. The check parses the URL itself and never
// touches the file system.
import { InputError } from './errors.js';

/** Parameters that make pg or libpq read a local file. */
const fileParameters = new Set(['sslcert', 'sslkey', 'sslrootcert', 'sslcrl', 'passfile', 'service', 'servicefile']);

/** Parameters that only shape the session; anything else is refused, so a new file option cannot slip in. */
const allowedParameters = new Set([
  'sslmode',
  'ssl',
  'application_name',
  'fallback_application_name',
  'connect_timeout',
  'client_encoding',
  'options',
  'keepalives',
  'keepalives_idle',
  'target_session_attrs',
  'statement_timeout',
  'query_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'uselibpqcompat',
]);

/** Seconds pg waits for a connection when the string names no connect_timeout. */
export const defaultConnectTimeoutMs = 10_000;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Returns the connection string to use: the configured one as is, or an agent's once checked.
 * Throws an InputError naming `field` when the agent's string names a local file or socket.
 */
export function checkAgentConnectionString(value: string, field: string, configured?: string): string {
  if (configured !== undefined && value === configured) return value;
  if (!/^postgres(ql)?:\/\//i.test(value))
    throw new InputError(
      field,
      'expected a postgres:// or postgresql:// URL (socket paths and other schemes are refused)',
    );
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(
      field,
      'is not a valid URL; give postgres://user[:password]@host[:port]/database with one network host',
    );
  }
  if (!url.hostname) throw new InputError(field, 'names no host; give postgres://user[:password]@host[:port]/database');
  if (!url.username) throw new InputError(field, 'names no user; give postgres://user[:password]@host[:port]/database');
  for (const host of url.host.split(',')) {
    const name = decoded(host);
    if (name.includes('/') || name.includes('\\') || name.startsWith('@'))
      throw new InputError(field, `host "${name}" is a local socket path; give a network host name and port`);
  }
  for (const key of new Set(url.searchParams.keys())) {
    const lower = key.toLowerCase();
    if (fileParameters.has(lower))
      throw new InputError(
        field,
        `parameter ${key} names a local file, which an agent may not do; configure DATABASE_URL for certificate or password files`,
      );
    if (lower === 'host' || lower === 'hostaddr' || lower === 'port' || lower === 'dbname' || lower === 'user') {
      const target = url.searchParams.get(key) ?? '';
      if (target.includes('/'))
        throw new InputError(field, `parameter ${key}="${target}" is a local path; give a network host name`);
      continue;
    }
    if (!allowedParameters.has(lower))
      throw new InputError(
        field,
        `parameter ${key} is not accepted from an agent; allowed: ${[...allowedParameters].sort().join(', ')}`,
      );
  }
  return value;
}
