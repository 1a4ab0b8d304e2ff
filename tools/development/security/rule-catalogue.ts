// Every rule the analysis reports, with its CWE, what it detects, how it decides, and the fix: the
// taint classes come from sink-classes.ts; the pattern and project rules are described here.
import { sinkClasses } from './sink-classes.js';
import type { Severity } from './finding.js';
import { defaultLimits } from '../analysis/findings.js';

export interface RuleEntry {
  rule: string;
  cwe?: string;
  title: string;
  /**
   * The rule's default severity: the worst its findings get. SARIF's rule-level level and
   * security-severity come from it; a rule without one counts as medium.
   */
  severity?: Severity;
  kind: 'taint' | 'pattern' | 'project' | 'quality';
  languages: string[];
  detects: string;
  fix: string;
}

const patternRules: RuleEntry[] = [
  {
    rule: 'hardcoded-secret',
    cwe: 'CWE-798',
    title: 'Hard-coded secret',
    severity: 'critical',
    kind: 'pattern',
    languages: ['ts', 'js', 'python'],
    detects:
      'provider token formats (AWS, GitHub, Slack, Stripe, Google, OpenAI, Anthropic, private keys) anywhere, and secret-named variables, settings and JWT/HMAC/session keys holding non-placeholder literals; test files are exempt',
    fix: 'Load the value from the environment or a secret store, and rotate the exposed one.',
  },
  {
    rule: 'weak-password-hash',
    cwe: 'CWE-916',
    title: 'Fast hash for passwords',
    severity: 'high',
    kind: 'pattern',
    languages: ['ts', 'js', 'python'],
    detects:
      'md5/sha1 (crypto.createHash, CryptoJS, hashlib) applied where the argument or the enclosing name mentions a password or credential',
    fix: 'bcrypt, scrypt or argon2 with a per-user salt.',
  },
  {
    rule: 'weak-hash',
    cwe: 'CWE-328',
    title: 'Broken hash',
    severity: 'low',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects: 'md5/sha1 used for signatures or integrity',
    fix: 'SHA-256 or better; HMAC for authenticity.',
  },
  {
    rule: 'insecure-randomness',
    cwe: 'CWE-338',
    title: 'Predictable randomness for secrets',
    severity: 'medium',
    kind: 'pattern',
    languages: ['ts', 'js', 'python'],
    detects:
      'Math.random / random.* whose result becomes a token, password, OTP, reset code or session id (judged by the names around it)',
    fix: "crypto.randomBytes / randomUUID, or Python's secrets module.",
  },
  {
    rule: 'jwt-none-algorithm',
    cwe: 'CWE-347',
    title: 'JWT "none" algorithm accepted',
    severity: 'critical',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects: 'jsonwebtoken verify/sign with algorithms including "none"',
    fix: 'Pin algorithms: ["HS256"] (or your algorithm).',
  },
  {
    rule: 'jwt-unverified',
    cwe: 'CWE-347',
    title: 'JWT not verified',
    severity: 'high',
    kind: 'pattern',
    languages: ['ts', 'js', 'python'],
    detects: 'jwt.decode used where a verification is needed, verify_signature False, verify=False',
    fix: 'jwt.verify with the key and an explicit algorithm list.',
  },
  {
    rule: 'tls-verification-disabled',
    cwe: 'CWE-295',
    title: 'TLS verification disabled',
    severity: 'high',
    kind: 'pattern',
    languages: ['ts', 'js', 'python'],
    detects:
      'rejectUnauthorized: false, NODE_TLS_REJECT_UNAUTHORIZED=0, requests/httpx verify=False, ssl._create_unverified_context',
    fix: 'Keep verification on; trust a private CA with the ca option or a CA bundle.',
  },
  {
    rule: 'insecure-cookie',
    cwe: 'CWE-614',
    title: 'Cookie without Secure/HttpOnly',
    severity: 'medium',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'res.cookie / express-session / cookie-session options with secure or httpOnly off (CWE-1004 for HttpOnly)',
    fix: 'secure: true, httpOnly: true, sameSite: "lax" or "strict".',
  },
  {
    rule: 'permissive-cors',
    cwe: 'CWE-942',
    title: 'Permissive CORS',
    severity: 'medium',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects: 'cors() with origin * or a reflected origin together with credentials',
    fix: 'An explicit origin allow-list.',
  },
  {
    rule: 'stack-trace-exposure',
    cwe: 'CWE-209',
    title: 'Stack trace in a response',
    severity: 'medium',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects: 'err.stack (or the error object) sent in a response',
    fix: 'Log the error; send a generic message and a correlation id.',
  },
  {
    rule: 'directory-listing',
    cwe: 'CWE-548',
    title: 'Directory listing',
    severity: 'low',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects: 'serve-index mounted on a route',
    fix: 'Remove serve-index, or restrict it to an authenticated admin route.',
  },
  {
    rule: 'template-injection',
    cwe: 'CWE-1336',
    title: 'Server-side template injection',
    severity: 'critical',
    kind: 'pattern',
    languages: ['python'],
    detects: 'render_template_string / jinja2.Template built from request input',
    fix: 'Fixed templates; pass input as variables.',
  },
  {
    rule: 'insecure-temp-file',
    cwe: 'CWE-377',
    title: 'Insecure temporary file',
    severity: 'medium',
    kind: 'pattern',
    languages: ['python'],
    detects: 'tempfile.mktemp()',
    fix: 'tempfile.mkstemp() or NamedTemporaryFile().',
  },
  {
    rule: 'debug-mode',
    cwe: 'CWE-489',
    title: 'Debug mode in the app',
    severity: 'high',
    kind: 'pattern',
    languages: ['python'],
    detects: 'app.run(debug=True)',
    fix: 'Read debug from the environment; never in production.',
  },
  {
    rule: 'missing-security-headers',
    cwe: 'CWE-693',
    title: 'No security headers',
    severity: 'medium',
    kind: 'project',
    languages: ['ts', 'js'],
    detects: 'an Express app in the project and no helmet anywhere',
    fix: 'app.use(helmet()) before the routes.',
  },
  {
    rule: 'x-powered-by',
    cwe: 'CWE-200',
    title: 'X-Powered-By header',
    severity: 'low',
    kind: 'project',
    languages: ['ts', 'js'],
    detects: 'an Express app that neither disables x-powered-by nor uses helmet',
    fix: "app.disable('x-powered-by').",
  },
  {
    rule: 'missing-csrf',
    cwe: 'CWE-352',
    title: 'No CSRF protection',
    severity: 'medium',
    kind: 'project',
    languages: ['ts', 'js'],
    detects: 'a session cookie plus state-changing routes and no CSRF middleware in the project',
    fix: 'CSRF tokens (csrf-csrf, csrf-sync) and sameSite cookies.',
  },
  {
    rule: 'sensitive-data-in-response',
    cwe: 'CWE-200',
    severity: 'high',
    title: 'Secret field in a response',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'password, hash, salt or private-key fields in res.json/res.send/ctx.body, or a whole user record sent by a function that reads its password hash',
    fix: 'Send a projection without the secret fields (select("-password"), or destructure them out).',
  },
  {
    rule: 'sensitive-data-in-log',
    cwe: 'CWE-532',
    severity: 'medium',
    title: 'Secret written to a log',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'console/logger calls given passwords, tokens, API keys, card numbers or SSNs, a request body carrying a password, or a whole record with its password hash',
    fix: 'Log an id or a masked value.',
  },
  {
    rule: 'cleartext-transport',
    cwe: 'CWE-319',
    severity: 'medium',
    title: 'Cleartext HTTP',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'http:// and ws:// URLs to public hosts in fetch/axios/got/WebSocket calls, and http.createServer in a file with logins or sessions and no TLS or trusted proxy',
    fix: 'https:// and wss://; terminate TLS in the server or a trusted proxy.',
  },
  {
    rule: 'cleartext-storage',
    cwe: 'CWE-312',
    severity: 'high',
    title: 'Sensitive data stored in clear',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'card numbers, CVVs and SSNs written to a store without encryption, and passwords or card data in localStorage, sessionStorage or cookies',
    fix: 'Encrypt the field, or keep a processor token; keep credentials out of the browser.',
  },
  {
    rule: 'plaintext-password',
    cwe: 'CWE-256',
    severity: 'high',
    title: 'Password stored in plain text',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'a password-named value from the request or a parameter, not hashed in the function, written into a user record (create/insert/update/new Model, SQL INSERT/UPDATE) or compared in a query; ORM writes are forgiven when a pre-save/beforeCreate hook in the project hashes passwords',
    fix: 'Store only a slow salted hash (bcrypt, argon2id, scrypt).',
  },
  {
    rule: 'no-password-policy',
    cwe: 'CWE-521',
    severity: 'medium',
    title: 'No password policy on sign-up',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'a sign-up handler (by route path, name or passport strategy name) that hashes or stores the password from the request with no length or strength check in the handler or its middleware (length comparison, zod/joi min, express-validator, zxcvbn)',
    fix: 'Require at least 8 characters and reject weak or breached passwords.',
  },
  {
    rule: 'session-fixation',
    cwe: 'CWE-384',
    severity: 'medium',
    title: 'Session id kept at login',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'a login (the function checks a password or code) that writes the user into req.session without req.session.regenerate or passport req.login; not reported when the project only uses cookie-session',
    fix: 'req.session.regenerate() before setting the user.',
  },
  {
    rule: 'user-enumeration',
    cwe: 'CWE-204',
    severity: 'medium',
    title: 'User enumeration',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'login or reset flows that answer "unknown user"/"email not registered" or 404 for a missing account (CWE-204), or return before the password comparison when the account is missing (CWE-203, timing)',
    fix: 'One answer and one timing for unknown user and wrong password (compare against a dummy hash).',
  },
  {
    rule: 'missing-rate-limit',
    cwe: 'CWE-307',
    severity: 'medium',
    title: 'No rate limit on login, reset or OTP',
    kind: 'project',
    languages: ['ts', 'js'],
    detects:
      'POST routes for login, password reset and OTP/2FA verification with no limiter in their middleware chain, on their router, or mounted on the app anywhere in the project (express-rate-limit, rate-limiter-flexible, express-slow-down, express-brute, @fastify/rate-limit, koa-ratelimit)',
    fix: 'A limiter on these routes, keyed by IP and account.',
  },
  {
    rule: 'jwt-no-expiry',
    cwe: 'CWE-613',
    severity: 'medium',
    title: 'JWT without expiry',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects: 'jsonwebtoken sign() without expiresIn or an exp claim, jose SignJWT without setExpirationTime',
    fix: "expiresIn: '15m' and refresh tokens.",
  },
  {
    rule: 'jwt-algorithm-confusion',
    cwe: 'CWE-347',
    severity: 'high',
    title: 'JWT algorithm confusion',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'jwt.verify, passport-jwt (secretOrKey) or express-jwt (secret) with a public key and no algorithms allow-list, or an allow-list mixing HS* with RS*/ES*/PS*',
    fix: "algorithms: ['RS256'] (one family).",
  },
  {
    rule: 'guessable-reset-token',
    cwe: 'CWE-640',
    severity: 'high',
    title: 'Guessable password reset token',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'reset/verification tokens made from the clock (Date.now), a v1 UUID, or a hash of the email or id (Math.random is reported as CWE-338)',
    fix: 'crypto.randomBytes(32), stored hashed, with an expiry.',
  },
  {
    rule: 'reset-token-no-expiry',
    cwe: 'CWE-640',
    severity: 'medium',
    title: 'Password reset token never expires',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'a reset flow that stores or looks up a reset token with no expiry anywhere in the function (forgiven for storage when a TTL index exists in the project)',
    fix: 'Store an expiry and query with it.',
  },
  {
    rule: 'vulnerable-dependency',
    cwe: 'CWE-1395',
    severity: 'critical',
    title: 'Known-vulnerable dependency',
    kind: 'project',
    languages: ['ts', 'js'],
    detects:
      'a direct dependency whose locked version (else the lowest version its range allows) an advisory affects: OSV records from a configured file or server (SEMVER/ECOSYSTEM ranges, version lists), else npm audit; reported at its package.json line',
    fix: 'Upgrade to the first fixed version the advisory names, or replace the package.',
  },
  {
    rule: 'missing-authentication',
    cwe: 'CWE-306',
    severity: 'high',
    title: 'Route without authentication',
    kind: 'project',
    languages: ['ts', 'js'],
    detects:
      'a state-changing route, or a route returning account/admin/order-style data, that no authentication guard runs before (route middleware, router.use, app.use before the mount, mount chains across files, Fastify onRequest/preHandler hooks and register prefixes, Koa router.use), in an app whose other routes are guarded; public paths (login, sign-up, password reset, health, webhooks, docs) are exempt',
    fix: 'Put the authentication middleware in front of the route, or mount it before the router.',
  },
  {
    rule: 'missing-role-check',
    cwe: 'CWE-862',
    severity: 'high',
    title: 'Administrative route without a role check',
    kind: 'project',
    languages: ['ts', 'js'],
    detects:
      'a route under /admin (or /staff, /manage) or whose handler deletes users, changes roles or lists all users, guarded by authentication only: no role guard (requireRole, authorize, isAdmin) and no role test in the handler',
    fix: "Add a role check (requireRole('admin'), or req.user.role === 'admin' with a 403).",
  },
  {
    rule: 'unguarded-client-route',
    cwe: 'CWE-862',
    severity: 'medium',
    title: 'Private front-end route without a guard',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects:
      'an Angular route (no canActivate/canMatch/canActivateChild/canLoad on it or a parent) or a React Router route (no <RequireAuth>-style wrapper element and no loader that redirects anonymous users, on it or a parent) whose path looks private (admin, account, settings, profile, orders...), in a file that guards other routes',
    fix: 'Guard it like the other routes; the server must still check every request.',
  },
  {
    rule: 'complex-function',
    title: 'Complex function',
    severity: 'low',
    kind: 'quality',
    languages: ['ts', 'js', 'python'],
    detects: `cognitive complexity over ${defaultLimits.cognitive} or cyclomatic over ${defaultLimits.cyclomatic} (ranked higher when git churn is high)`,
    fix: 'Extract the branches into named functions; flatten with early returns.',
  },
  {
    rule: 'long-function',
    title: 'Long function',
    severity: 'low',
    kind: 'quality',
    languages: ['ts', 'js', 'python'],
    detects: `more than ${defaultLimits.length} lines`,
    fix: 'Split it along its steps.',
  },
  {
    rule: 'function-shape',
    title: 'Too many parameters or too deep',
    severity: 'low',
    kind: 'quality',
    languages: ['ts', 'js', 'python'],
    detects: `more than ${defaultLimits.parameters} parameters or nesting deeper than ${defaultLimits.nesting}`,
    fix: 'Pass an options object; return early to flatten nesting.',
  },
];

export function ruleCatalogue(): RuleEntry[] {
  const taint: RuleEntry[] = Object.values(sinkClasses).map((cls) => ({
    rule: cls.rule,
    cwe: cls.cwe,
    title: cls.title,
    severity: cls.severity,
    kind: 'taint',
    languages: [
      'sql-injection',
      'command-injection',
      'code-injection',
      'path-traversal',
      'open-redirect',
      'ssrf',
      'xss',
      'unsafe-deserialization',
      'xxe',
    ].includes(cls.rule)
      ? ['ts', 'js', 'python']
      : ['ts', 'js'],
    detects: `request input (Express/Koa/Fastify/Next.js query, params, body, headers, cookies; browser location; archive entry names) reaching a ${cls.title.toLowerCase()} sink, within a function, through calls and across files, unless a sanitiser for this class is on the path`,
    fix: cls.advice,
  }));
  return [...taint, ...patternRules.filter((p) => !taint.some((t) => t.rule === p.rule))];
}
