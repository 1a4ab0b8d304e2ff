// Access control across a project: joins each file's route inventory (route-inventory.ts) into
// mount trees (app.use('/admin', requireAdmin, adminRouter), router.use(auth), Fastify register
// with a prefix and hooks, Koa router.use) and decides, for every route, whether an authentication
// guard and a role check run before its handler. Order matters: a guard mounted after a route does
// not guard it. A route is reported only where the application demonstrably has an authentication
// mechanism (some other route is guarded) and the route is neither public by its path (login,
// sign-up, password reset, health, webhooks, docs) nor read-only and harmless-looking.
import { resolveSpecifier } from '../analysis/project-analysis.js';
import type { FileAnalysis } from '../analysis/file-analysis.js';
import { findingId, type Finding } from './finding.js';
import type { GuardKind, HandlerFacts, MountFact, Reference, RouteFact, RouteInventory } from './route-inventory.js';

const notGuard =
  /(Routes|Router|Controller|Api)$|csrf|xsrf|rateLimit|ratelimit|limiter|slowDown|cors|helmet|^validate(Body|Query|Params|Request|Input)|celebrate|validator|json|urlencoded|multer|upload|static|bodyParser|cookieParser|compress|morgan|logger|^(express|cookie)?[sS]ession$|passport\.(initialize|session)|serveIndex|favicon|i18n|timeout/;
const roleName = /role|admin|permission|acl|rbac|policy|ability|staff|superuser|scope|owner/i;
const roleArgument = /admin|role|staff|manager|owner|superuser|moderator/i;
const authName =
  /auth(?!or)|authori[sz]ed?|login|loggedin|jwt|passport|protect|guard|verify|ensure|signedin|requireUser|currentUser|isUser|bearer|apiKey|token/i;
// Words that open a public path segment (/forgotpw, /resetPassword, /registerUser) or name one exactly.
const publicPath =
  /(^|\/)((login|logout|signin|sign-in|signout|signup|sign-up|register|forgot|reset|password-reset|verify|confirm|activate|oauth|callback|webhook|unsubscribe)[\w.-]*|(health|healthz|ping|ready|readiness|liveness|metrics|auth|sessions?|refresh|public|static|assets|docs|swagger|openapi|api-docs|contact|newsletter|subscribe|feedback|csp-report|favicon\.ico|robots\.txt|sitemap(\.xml)?))(\/|$)/i;
const sensitivePath =
  /(^|\/)(admin|users?|accounts?|profile|me|orders?|invoices?|billing|payments?|settings|dashboard|export|reports?|secrets?|keys|api-keys|private|internal|messages|transactions|balances?|wallets?|cards|payouts|transfers|customers|employees|salar(y|ies)|audit|logs)(\/|$)/i;
const adminPath = /(^|\/)(admin|administrator|manage|management|staff|superuser)(\/|$)/i;

/** A read of sensitive data: anything under /admin, or a resource whose name says so (/billing/cards, not /billing/plans). */
function sensitiveRead(path: string): boolean {
  if (adminPath.test(path)) return true;
  const resource = path
    .split('/')
    .filter((segment) => segment && !segment.startsWith(':') && !segment.startsWith('*'))
    .pop();
  return resource !== undefined && sensitivePath.test(`/${resource}`);
}

/** Does a guard mounted at `prefix` (app.use('/api', …), app.all('/api/*', …)) run for `path`? */
function covers(prefix: string, path: string): boolean {
  const base = prefix.replace(/(\/?\*|\(\.\*\))$/, '').replace(/\/$/, '');
  return base === '' || path === base || path.startsWith(`${base}/`);
}

function guardKind(route: RouteFact): GuardKind {
  return route.inlineRole ? 'role' : route.inlineAuth ? 'auth' : 'none';
}

function joinPath(prefix: string, path: string): string {
  if (!prefix || prefix === '/') return path;
  return `${prefix.replace(/\/$/, '')}${path.startsWith('/') || path === '' ? '' : '/'}${path}`;
}

interface Judged {
  auth: boolean;
  role: boolean;
  path: string;
}

interface Edge {
  parent: string;
  line: number;
  path: string;
  chain: GuardKind[];
}

export interface AccessReview {
  findings: Finding[];
  /** Handler bodies that only administrators reach: a lookup by any id is their job, not an IDOR. */
  adminHandlers: { file: string; lines: [number, number] }[];
}

export function accessReview(files: readonly FileAnalysis[], resolvedImports: Map<string, string[]>): AccessReview {
  const inventories = new Map<string, RouteInventory>();
  for (const file of files) if (file.access) inventories.set(file.file, file.access);
  const adminHandlers: AccessReview['adminHandlers'] = [];
  if (inventories.size === 0) return { findings: [], adminHandlers };
  const known = new Set(files.map((f) => f.file));
  const moduleFile = (from: string, specifier?: string) =>
    specifier ? resolveSpecifier(from, specifier, known) : undefined;

  const classify = (file: string, ref: Reference): GuardKind => {
    if (ref.local && ref.local !== 'none') return ref.local;
    const target = moduleFile(file, ref.module);
    const guards = target ? inventories.get(target)?.guards : undefined;
    if (guards) {
      const kind = guards[!ref.member || ref.member === '*' ? 'default' : ref.member];
      if (kind) return kind;
    }
    const name = ref.text.replace(/\(…\)$/, '');
    if (ref.local === 'none' || notGuard.test(name)) return 'none';
    if (roleName.test(name) || /\bcan[A-Z_]/.test(name) || (ref.args && roleArgument.test(ref.args))) return 'role';
    return authName.test(name) ? 'auth' : 'none';
  };
  /** A controller function in another file (or a method of an imported module), read there. */
  const handlerElsewhere = (
    file: string,
    ref: Reference | undefined,
  ): (HandlerFacts & { file: string }) | undefined => {
    if (!ref) return undefined;
    const where = moduleFile(file, ref.module) ?? file;
    const member = ref.member && ref.member !== '*' ? ref.member : ref.text.split('.').pop();
    const facts = member ? inventories.get(where)?.handlers[member] : undefined;
    return facts ? { ...facts, file: where } : undefined;
  };
  const targetOf = (file: string, ref: Reference): string | undefined => {
    if (ref.receiver) return `${file}#${ref.receiver}`;
    const target = moduleFile(file, ref.module);
    const exported = target ? inventories.get(target)?.exported : undefined;
    return target && exported ? `${target}#${exported}` : undefined;
  };

  // The mount tree: edges from a child receiver to where it is mounted, and guards per receiver.
  const edges = new Map<string, Edge[]>();
  const guards = new Map<string, { line: number; path: string; kind: GuardKind }[]>();
  const roots = new Set<string>();
  /** Functions handed the receiver itself (setupAuth(app)): the same object under another name. */
  const aliases = new Map<string, { child: string; line: number }[]>();
  for (const [file, inventory] of inventories) {
    for (const app of inventory.apps) roots.add(`${file}#${app}`);
    for (const mount of inventory.mounts) addMount(file, mount);
  }
  function addMount(file: string, mount: MountFact): void {
    const parent = `${file}#${mount.receiver}`;
    const before: GuardKind[] = [];
    for (const ref of [...mount.targets, ...mount.chain]) {
      const child = targetOf(file, ref);
      if (child && child !== parent) {
        const list = edges.get(child) ?? [];
        list.push({ parent, line: mount.line, path: mount.path, chain: [...before] });
        edges.set(child, list);
        if (mount.call) aliases.set(parent, [...(aliases.get(parent) ?? []), { child, line: mount.line }]);
        continue;
      }
      if (mount.call) continue;
      const kind = classify(file, ref);
      before.push(kind);
      const list = guards.get(parent) ?? [];
      list.push({ line: mount.hook ? 0 : mount.line, path: mount.path, kind });
      guards.set(parent, list);
    }
  }

  /** Guards in front of `path` on `node` registered before `line`, up through every mount. */
  const judge = (node: string, line: number, path: string, seen: Set<string>): Judged | undefined => {
    let auth = false;
    let role = false;
    for (const guard of guards.get(node) ?? [])
      if (guard.line < line && covers(guard.path, path)) {
        auth ||= guard.kind !== 'none';
        role ||= guard.kind === 'role';
      }
    // require('./auth')(app) before the route: what that function mounts on the app guards it too.
    for (const alias of aliases.get(node) ?? [])
      if (alias.line < line)
        for (const guard of guards.get(alias.child) ?? [])
          if (covers(guard.path, path)) {
            auth ||= guard.kind !== 'none';
            role ||= guard.kind === 'role';
          }
    if (roots.has(node)) return { auth, role, path };
    const parents = (edges.get(node) ?? []).filter((edge) => !seen.has(edge.parent));
    let best: Judged | undefined;
    for (const edge of parents) {
      const above = judge(edge.parent, edge.line, joinPath(edge.path, path), new Set([...seen, node]));
      if (!above) continue;
      const judged = {
        auth: auth || above.auth || edge.chain.some((k) => k !== 'none'),
        role: role || above.role || edge.chain.includes('role'),
        path: above.path,
      };
      if (!best || (judged.auth && !best.auth) || (judged.role && !best.role)) best = judged;
    }
    return best;
  };

  // app.get('/api/Users', security.isAuthorized()): a guard registered as a route guards that path
  // for the routes after it; the registration itself is not a route to judge.
  const registrations = new Set<RouteFact>();
  for (const [file, inventory] of inventories)
    for (const route of inventory.routes) {
      if (route.passThrough) registrations.add(route);
      const kind = route.handlerRef ? classify(file, route.handlerRef) : route.passThrough ? guardKind(route) : 'none';
      if (kind === 'none') continue;
      registrations.add(route);
      const node = `${file}#${route.receiver}`;
      const list = guards.get(node) ?? [];
      list.push({ line: route.line, path: route.path, kind });
      guards.set(node, list);
    }

  // One application per group of files that import each other.
  const group = components(files, resolvedImports);
  const verdicts: {
    file: string;
    route: RouteFact;
    judged: Judged;
    sibling: boolean;
    handler: HandlerFacts | undefined;
  }[] = [];
  const guardedGroups = new Set<number>();
  const byPath = new Map<string, RouteFact[]>();
  for (const [file, inventory] of inventories)
    for (const route of inventory.routes) {
      const key = `${file}#${route.receiver} ${route.path}`;
      byPath.set(key, [...(byPath.get(key) ?? []), route]);
    }
  for (const [file, inventory] of inventories) {
    for (const route of inventory.routes) {
      if (registrations.has(route)) continue;
      const node = `${file}#${route.receiver}`;
      const chainKinds = route.chain.map((ref) => classify(file, ref));
      const above = judge(node, route.line, route.path, new Set());
      if (!above) continue; // a receiver we cannot place in any application
      const handler = route.handlerVisible ? { ...route, file } : handlerElsewhere(file, route.handlerRef);
      const judged = {
        auth: above.auth || chainKinds.some((k) => k !== 'none') || (handler?.inlineAuth ?? false),
        role: above.role || chainKinds.includes('role') || (handler?.inlineRole ?? false),
        path: above.path,
      };
      // passport.authenticate('local') on POST /login logs in; it protects nothing.
      if (judged.auth && !publicPath.test(judged.path)) guardedGroups.add(group.get(file)!);
      // The same URL guarded for another method (POST /x guarded, GET /x not).
      const sibling = (byPath.get(`${file}#${route.receiver} ${route.path}`) ?? []).some(
        (other) => other !== route && other.chain.some((ref) => classify(file, ref) !== 'none'),
      );
      if (judged.role && handler?.lines) adminHandlers.push({ file: handler.file, lines: handler.lines });
      verdicts.push({ file, route, judged, sibling, handler });
    }
  }

  const guardedUrls = new Set(
    verdicts.filter((v) => v.judged.auth).map((v) => `${v.file} ${v.route.method} ${v.judged.path}`),
  );
  const findings: Finding[] = [];
  for (const { file, route, judged, sibling, handler } of verdicts) {
    if (!guardedGroups.has(group.get(file)!)) continue;
    const where = `${route.method} ${judged.path || '/'}`;
    if (!judged.auth) {
      if (publicPath.test(judged.path)) continue;
      // if (useAuth) app.post('/x', auth, h) else app.post('/x', h): the same route registered guarded elsewhere.
      if (guardedUrls.has(`${file} ${route.method} ${judged.path}`)) continue;
      const changes = !['GET', 'HEAD', 'OPTIONS', 'ALL'].includes(route.method);
      if (!changes && !sensitiveRead(judged.path) && !sibling) continue;
      findings.push(
        finding(file, route, 'missing-authentication', 'CWE-306', changes ? 'high' : 'medium', {
          message: `${where} has no authentication guard, although other routes of this app require one: anyone can call it`,
          fix: 'Put the authentication middleware in front of the route (or mount it before the router), as for the other routes.',
        }),
      );
      continue;
    }
    // Where the handler cannot be read, it may check the role itself.
    if (judged.role || !handler) continue;
    if (adminPath.test(judged.path) || handler.adminAction)
      findings.push(
        finding(file, route, 'missing-role-check', 'CWE-862', 'high', {
          message: `${where} performs an administrative action but only checks that the caller is logged in, not that the caller is an administrator`,
          fix: "Add a role check before the handler (requireRole('admin'), or req.user.role === 'admin' with a 403 otherwise).",
        }),
      );
  }
  return { findings, adminHandlers };
}

function finding(
  file: string,
  route: RouteFact,
  rule: string,
  cwe: string,
  severity: Finding['severity'],
  text: { message: string; fix: string },
): Finding {
  return {
    id: findingId(rule, file, route.line, route.evidence),
    file,
    line: route.line,
    endLine: route.line,
    severity,
    category: 'security',
    cwe,
    rule,
    message: text.message,
    evidence: route.evidence,
    confidence: 'medium',
    fix: { description: text.fix },
  };
}

/** Groups of files connected by imports, numbered. */
function components(files: readonly FileAnalysis[], resolvedImports: Map<string, string[]>): Map<string, number> {
  const parent = new Map<string, string>();
  // Every node on the way points at the root afterwards: compressing only the first one left a chain
  // of imports (a → b → c …) a chain here, walked from each file in turn (quadratic in files).
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root)!;
    for (let node = x; node !== root;) {
      const next = parent.get(node)!;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  for (const file of files) parent.set(file.file, file.file);
  for (const [from, targets] of resolvedImports)
    for (const to of targets) if (parent.has(from) && parent.has(to)) parent.set(find(from), find(to));
  const ids = new Map<string, number>();
  const numbered = new Map<string, number>();
  for (const file of files) {
    const root = find(file.file);
    if (!ids.has(root)) ids.set(root, ids.size);
    numbered.set(file.file, ids.get(root)!);
  }
  return numbered;
}

/** Request fields that some middleware of the project fills in from the session or the token. */
export function serverSetFields(files: readonly FileAnalysis[]): Set<string> {
  return new Set(files.flatMap((f) => f.access?.serverSet ?? []));
}
