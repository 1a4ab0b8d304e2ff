// Judges the pending authentication findings for the whole project: a rate limiter mounted on the
// app, a hook that hashes passwords before saving, a TTL index on reset tokens, or cookie-only
// sessions (which have no server-side id to fix) each live in one file and cover the others.
import type { PatternHit } from './config-rules.js';
import type { AuthFacts, Mitigation } from './auth-rules.js';

export function authProjectHits(
  files: readonly { file: string; auth?: AuthFacts }[],
): { file: string; hit: PatternHit }[] {
  const facts = files.flatMap((f) => (f.auth ? [f.auth] : []));
  const mitigated: Record<Mitigation, boolean> = {
    'rate-limit': facts.some((f) => f.globalRateLimit),
    'hash-hook': facts.some((f) => f.hashHook),
    ttl: facts.some((f) => f.ttl),
    'cookie-session': facts.some((f) => f.cookieSession) && !facts.some((f) => f.serverSession),
  };
  return files.flatMap((f) =>
    (f.auth?.pending ?? []).filter((p) => !mitigated[p.unless]).map((p) => ({ file: f.file, hit: p.hit })),
  );
}
