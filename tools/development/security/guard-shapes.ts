// What a function does as access control, judged by its body: a guard reads the caller (req.user,
// the session, a verified JWT, the Authorization header) and denies with 401/403 or a redirect to
// the login page; a role guard also reads a role or permission. A handler may do the same inline,
// and may perform an administrative action (delete users, change roles, list every user).
import type TS from 'typescript';

type Typescript = typeof TS;

export type GuardKind = 'auth' | 'role' | 'none';

export interface HandlerFacts {
  inlineAuth: boolean;
  inlineRole: boolean;
  adminAction: boolean;
  /** First and last line of the handler's body, where it is in this file. */
  lines?: [number, number];
}

const identityRead =
  /\b(req|request|ctx)\.(user|session|isAuthenticated|state\.user|auth)\b|jwtVerify|jwt\.verify|\bverifyToken\(|headers\.authorization|headers\[['"]authorization|jwtFrom|[bB]earer /;
const denial = /\b40[13]\b|Unauthori[sz]ed|Forbidden|redirect\(\s*['"`][^'"`]*(login|signin)|ctx\.throw\(/;
const roleRead = /\.(role|roles|isAdmin|admin|permissions)\b|hasRole|hasPermission|isAdmin\(/;
const adminAction =
  /\b(delete|remove|destroy|ban|block)(User|Account|Member)s?\b|\b(set|change|update|assign|grant)(Role|Roles|Admin|Permissions?)\b|\.(role|isAdmin)\s*=[^=]|\b(role|isAdmin)\s*:[^,}:]*\b(req|ctx|request)\.|\b(User|Users|users|userModel|UserModel)\.(findByIdAndDelete|findByIdAndRemove|deleteOne|deleteMany|destroy|remove)\(|\b(User|Users|userModel|UserModel)\.(find|findAll)\(\s*(\{\s*\})?\s*\)/;

export const requestLike = /^(req|request|ctx|context|_req)$/;
const returnsHandler = /return\s+(async\s+)?(function\s*\w*\s*)?\(\s*(req|request|ctx)\b/;

/** What a function does as a middleware: a guard takes the request (or returns a function that does). */
export function guardOf(ts: Typescript, fn: TS.Node, source: TS.SourceFile): GuardKind {
  if (!ts.isFunctionLike(fn)) return 'none';
  const first = fn.parameters[0]?.name.getText(source) ?? '';
  const text = fn.getText(source);
  if (!requestLike.test(first) && fn.parameters.length !== 3 && !returnsHandler.test(text)) return 'none';
  return guardKindOf(text);
}

/** What a handler's own body checks, and whether it does something only administrators should. */
export function handlerFacts(text: string): HandlerFacts {
  const kind = text ? guardKindOf(text) : 'none';
  return {
    inlineAuth: kind !== 'none',
    inlineRole: kind === 'role',
    // Deleting or listing one's own records is not an administrative action.
    adminAction: adminAction.test(text) && !identityRead.test(text),
  };
}

export function guardKindOf(text: string): GuardKind {
  if (!identityRead.test(text) && !roleRead.test(text)) return 'none';
  if (!denial.test(text)) return 'none';
  return roleRead.test(text) ? 'role' : 'auth';
}
