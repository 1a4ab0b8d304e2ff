// Every rule the analysis reports, with its CWE, what it detects, how it decides, and the fix: the
// taint classes come from sink-classes.ts; the pattern and project rules are described here.
import { sinkClasses } from './sink-classes.js';
import { defaultLimits } from '../analysis/findings.js';

export interface RuleEntry {
  rule: string;
  cwe?: string;
  title: string;
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
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects: 'md5/sha1 used for signatures or integrity',
    fix: 'SHA-256 or better; HMAC for authenticity.',
  },
  {
    rule: 'insecure-randomness',
    cwe: 'CWE-338',
    title: 'Predictable randomness for secrets',
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
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects: 'jsonwebtoken verify/sign with algorithms including "none"',
    fix: 'Pin algorithms: ["HS256"] (or your algorithm).',
  },
  {
    rule: 'jwt-unverified',
    cwe: 'CWE-347',
    title: 'JWT not verified',
    kind: 'pattern',
    languages: ['ts', 'js', 'python'],
    detects: 'jwt.decode used where a verification is needed, verify_signature False, verify=False',
    fix: 'jwt.verify with the key and an explicit algorithm list.',
  },
  {
    rule: 'tls-verification-disabled',
    cwe: 'CWE-295',
    title: 'TLS verification disabled',
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
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects: 'cors() with origin * or a reflected origin together with credentials',
    fix: 'An explicit origin allow-list.',
  },
  {
    rule: 'stack-trace-exposure',
    cwe: 'CWE-209',
    title: 'Stack trace in a response',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects: 'err.stack (or the error object) sent in a response',
    fix: 'Log the error; send a generic message and a correlation id.',
  },
  {
    rule: 'directory-listing',
    cwe: 'CWE-548',
    title: 'Directory listing',
    kind: 'pattern',
    languages: ['ts', 'js'],
    detects: 'serve-index mounted on a route',
    fix: 'Remove serve-index, or restrict it to an authenticated admin route.',
  },
  {
    rule: 'template-injection',
    cwe: 'CWE-1336',
    title: 'Server-side template injection',
    kind: 'pattern',
    languages: ['python'],
    detects: 'render_template_string / jinja2.Template built from request input',
    fix: 'Fixed templates; pass input as variables.',
  },
  {
    rule: 'insecure-temp-file',
    cwe: 'CWE-377',
    title: 'Insecure temporary file',
    kind: 'pattern',
    languages: ['python'],
    detects: 'tempfile.mktemp()',
    fix: 'tempfile.mkstemp() or NamedTemporaryFile().',
  },
  {
    rule: 'debug-mode',
    cwe: 'CWE-489',
    title: 'Debug mode in the app',
    kind: 'pattern',
    languages: ['python'],
    detects: 'app.run(debug=True)',
    fix: 'Read debug from the environment; never in production.',
  },
  {
    rule: 'missing-security-headers',
    cwe: 'CWE-693',
    title: 'No security headers',
    kind: 'project',
    languages: ['ts', 'js'],
    detects: 'an Express app in the project and no helmet anywhere',
    fix: 'app.use(helmet()) before the routes.',
  },
  {
    rule: 'x-powered-by',
    cwe: 'CWE-200',
    title: 'X-Powered-By header',
    kind: 'project',
    languages: ['ts', 'js'],
    detects: 'an Express app that neither disables x-powered-by nor uses helmet',
    fix: "app.disable('x-powered-by').",
  },
  {
    rule: 'missing-csrf',
    cwe: 'CWE-352',
    title: 'No CSRF protection',
    kind: 'project',
    languages: ['ts', 'js'],
    detects: 'a session cookie plus state-changing routes and no CSRF middleware in the project',
    fix: 'CSRF tokens (csrf-csrf, csrf-sync) and sameSite cookies.',
  },
  {
    rule: 'missing-authentication',
    cwe: 'CWE-306',
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
    kind: 'quality',
    languages: ['ts', 'js', 'python'],
    detects: `cognitive complexity over ${defaultLimits.cognitive} or cyclomatic over ${defaultLimits.cyclomatic} (ranked higher when git churn is high)`,
    fix: 'Extract the branches into named functions; flatten with early returns.',
  },
  {
    rule: 'long-function',
    title: 'Long function',
    kind: 'quality',
    languages: ['ts', 'js', 'python'],
    detects: `more than ${defaultLimits.length} lines`,
    fix: 'Split it along its steps.',
  },
  {
    rule: 'function-shape',
    title: 'Too many parameters or too deep',
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
    detects: `request input (Express/Koa/Fastify/Next.js query, params, body, headers, cookies; browser location) reaching a ${cls.title.toLowerCase()} sink, within a function, through calls and across files, unless a sanitiser for this class is on the path`,
    fix: cls.advice,
  }));
  return [...taint, ...patternRules.filter((p) => !taint.some((t) => t.rule === p.rule))];
}
