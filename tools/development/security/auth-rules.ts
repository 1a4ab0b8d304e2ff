// Authentication and session checks for one file: passwords stored in plain text or with a fast
// hash, sign-up without a password policy, session fixation at login, user enumeration (messages,
// 404s and timing), login/reset/OTP routes without a rate limiter, and password reset tokens that
// are guessable or never expire; the JWT checks live in jwt-rules.ts. Findings that a mitigation
// elsewhere in the project can undo (a global rate limiter, a pre-save hashing hook, a TTL index,
// cookie-only sessions) are returned as pending and judged for the whole project in auth-project.ts.
import type TS from 'typescript';
import type { PatternHit } from './config-rules.js';
import { authRoutes, type AuthRouteFacts } from './auth-routes.js';
import { checkJwt } from './jwt-rules.js';
import { lineTextAt } from './line-text.js';

type Typescript = typeof TS;

export type Mitigation = 'rate-limit' | 'hash-hook' | 'ttl' | 'cookie-session';

export interface AuthFacts extends AuthRouteFacts {
  /** Hits that stand unless the project shows the named mitigation somewhere. */
  pending: { hit: PatternHit; unless: Mitigation }[];
  /** A pre-save / beforeCreate hook or setter that hashes passwords. */
  hashHook: boolean;
  /** A TTL index or `expires` option on a schema (tokens expire in the store). */
  ttl: boolean;
  cookieSession: boolean;
  serverSession: boolean;
}

type Context = 'login' | 'register' | 'reset' | 'otp';

const resetTokenNoExpiry = (fix: string): Omit<PatternHit, 'line' | 'endLine' | 'evidence'> => ({
  rule: 'reset-token-no-expiry',
  cwe: 'CWE-640',
  severity: 'medium',
  confidence: 'medium',
  message: 'the password reset token is stored with no expiry: a leaked or old link resets the password forever',
  fix: { description: fix },
});

// A file that names none of these (passwords, sessions, JWTs, login/reset/OTP flows, limiters,
// expiries, secret-named variables) has nothing for these checks: it is not walked at all.
const authWords =
  /pass|pwd|\bpw\b|jwt|jose|jsonwebtoken|session|secret|login|log-?_?in|sign-?_?in|sign-?_?up|authenticat|reset|forgot|recover|otp|2fa|mfa|totp|two-?_?factor|one-?_?time|verify-?_?code|\/token|bcrypt|argon|scrypt|pbkdf|limit|throttl|brute|slow-?down|expir|\bttl\b|process\.env\.\w*(key|token)/i;

const contexts: [Context, RegExp][] = [
  ['register', /regist|sign-?_?up|create-?_?account|new-?_?user/i],
  ['reset', /forgot|reset|recover|lost-?_?password/i],
  ['otp', /otp|2fa|mfa|totp|two-?_?factor|verify-?_?code|one-?_?time/i],
  ['login', /log-?_?in|sign-?_?in|authenticat/i],
];
const rawPasswordName =
  /^(password|pass|passwd|pwd|pw|newPassword|new_password|plainPassword|plainTextPassword|plaintextPassword|rawPassword|userPassword|clearPassword)$/i;
const rawPasswordAccess =
  /\b(body|payload|input|data|credentials|params|query|fields|dto|form)\.(password|pass|passwd|pwd|newPassword|new_password|plainPassword)$/i;
const hashCall = /hash|crypt|argon|scrypt|pbkdf|digest/i;
const persist =
  /^(create|insert|insertOne|insertMany|save|update|updateOne|updateMany|findOneAndUpdate|findByIdAndUpdate|upsert|build|add|put|push|store)$|^(create|insert|save|add|update|store)(User|Account|Member|Customer)s?$/;
const lookup = /^(find|findOne|findAll|findFirst|findUnique|where|count|exists)$/;
const ormPersist = /^(create|save|update|updateOne|updateMany|findOneAndUpdate|findByIdAndUpdate|upsert|build)$/;
const compareCall =
  /^(compare|compareSync|verify|comparePassword|verifyPassword|validPassword|isValidPassword|checkPassword|validatePassword|matchPassword|passwordMatches|timingSafeEqual)$/;
const policy =
  /\.length\s*(<|>|<=|>=)|isStrongPassword|isLength|zxcvbn|\.min\(\s*\d|passwordSchema|password-validator|validatePassword|checkPassword(Strength|Policy)?|passwordStrength|assertStrong|strongPassword|passwordPolicy|\.safeParse\(|\.parse\(|\.validate\(|validationResult|checkSchema|celebrate|matches\(/i;
const notFoundMessage =
  /\b(no|unknown|unregistered|nonexistent)\s+(such\s+)?(user|account|email|username|member)\b|\b(user|account|email|username|member)(name)?\s+(was\s+|is\s+)?(not\s+found|not\s+registered|does\s*n[o']?t\s+exist|not\s+exist)|\bno account (with|for)\b|\b(couldn't|could not|cannot|can't) find (that |the |this |your |a |an )?(user|account|email)|\b(incorrect|invalid|wrong|bad)\s+(username|user\s*name|email|user|login)\b(?!\s*(or|and|\/|&|address|format))/i;
const sessionUserKey = /user|uid|account|auth|logged|login|admin|role|member|identity|principal|email/i;
const expiryWords = /expir|expires|ttl|valid_?until|validUntil|\bexp\b|maxAge|\bEX\b|\bPX\b|setex/i;
// A model method that checks the token (verifyTokenAndIp, isTokenValid) is trusted to check its age.
const calledMethod = /\.(\w+)\(/g;
const tokenVerbs = ['verify', 'valid', 'check'];
/**
 * Whether code calls a token check: .verifyResetToken(, .isTokenExpired(, isExpired(. Each method
 * name is looked at on its own (a regex with \w* on both sides of the words took minutes on a
 * long identifier).
 */
const checksToken = (code: string): boolean =>
  /isExpired\(/i.test(code) ||
  [...code.matchAll(calledMethod)].some(([, method]) => {
    const name = method!.toLowerCase();
    const token = name.indexOf('token');
    if (token < 0) return false;
    const lastToken = name.lastIndexOf('token');
    const verbBefore = tokenVerbs.some((verb) => {
      const at = name.indexOf(verb);
      return at >= 0 && at + verb.length <= lastToken;
    });
    const after = Math.max(name.lastIndexOf('valid'), name.lastIndexOf('expired'));
    return verbBefore || after >= token + 'token'.length;
  });

export function checkAuth(
  ts: Typescript,
  source: TS.SourceFile,
  options: { isTestFile: boolean },
): { hits: PatternHit[]; facts?: AuthFacts } {
  if (options.isTestFile || !authWords.test(source.text)) return { hits: [] };
  const hits: PatternHit[] = [];
  const pending: AuthFacts['pending'] = [];
  const text = (node: TS.Node | undefined) => (node ? node.getText(source) : '');
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
  const make = (node: TS.Node, hit: Omit<PatternHit, 'line' | 'endLine' | 'evidence'>): PatternHit => {
    const line = lineOf(node.getStart(source));
    const evidence = lineTextAt(source, line - 1);
    return { ...hit, line, endLine: lineOf(node.end), evidence };
  };
  const push = (node: TS.Node, hit: Omit<PatternHit, 'line' | 'endLine' | 'evidence'>, unless?: Mitigation) => {
    const made = make(node, hit);
    const all = [...hits, ...pending.map((p) => p.hit)];
    if (all.some((h) => h.cwe === made.cwe && h.line === made.line)) return;
    if (unless) pending.push({ hit: made, unless });
    else hits.push(made);
  };
  const routes = authRoutes(ts, source);
  const functionOf = (node: TS.Node): TS.FunctionLikeDeclaration | undefined => {
    for (let current = node.parent; current; current = current.parent)
      if (ts.isFunctionLike(current)) return current as TS.FunctionLikeDeclaration;
    return undefined;
  };
  const functionsOf = (node: TS.Node): TS.FunctionLikeDeclaration[] => {
    const found: TS.FunctionLikeDeclaration[] = [];
    for (let fn = functionOf(node); fn; fn = functionOf(fn)) found.push(fn);
    return found;
  };
  const nameOf = (fn: TS.FunctionLikeDeclaration): string => {
    if (fn.name) return text(fn.name);
    const parent = fn.parent;
    if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return text(parent.name);
    if (ts.isBinaryExpression(parent)) return text(parent.left);
    return '';
  };
  // passport.use('local-signup', new LocalStrategy(verify)): the verify callback's strategy name;
  // an unnamed LocalStrategy is passport's 'local' sign-in.
  const strategyName = (fn: TS.FunctionLikeDeclaration): string | undefined => {
    const strategy = fn.parent;
    if (!ts.isNewExpression(strategy) || !/Strategy$/.test(text(strategy.expression))) return undefined;
    const use = strategy.parent;
    const named = ts.isCallExpression(use) && use.arguments[0] && ts.isStringLiteralLike(use.arguments[0]);
    if (named) return (use.arguments[0] as TS.StringLiteralLike).text;
    return /LocalStrategy|^Strategy$/.test(text(strategy.expression)) ? 'login' : undefined;
  };
  /** What a function is for, from its name, the route it handles and the strategy it implements. */
  const contextOf = (node: TS.Node): Context | undefined => {
    for (const fn of functionsOf(node)) {
      const label = `${nameOf(fn)} ${routes.pathOf.get(fn) ?? ''} ${routes.pathOf.get(nameOf(fn)) ?? ''} ${strategyName(fn) ?? ''}`;
      for (const [context, pattern] of contexts)
        if (pattern.test(label) && !/log-?_?out|sign-?_?out/i.test(label)) return context;
    }
    return undefined;
  };
  // The functions from a node up to the request handler (the first with a req/request parameter).
  const handlerChain = (node: TS.Node): TS.FunctionLikeDeclaration[] => {
    const all = functionsOf(node);
    const handler = all.findIndex((fn) => fn.parameters.some((p) => /^(req|request)$/.test(text(p.name))));
    return handler === -1 ? all : all.slice(0, handler + 1);
  };
  // Inside req.session.regenerate(cb) or req.login(user, cb), or after a regenerate in the handler.
  const renewed = (node: TS.Node): boolean => {
    for (let current = node.parent; current; current = current.parent)
      if (ts.isCallExpression(current) && /^(regenerate|login|logIn)$/.test(calleeName(current))) return true;
    return handlerChain(node).some((fn) => /\bregenerate\b|\.log[iI]n\(/.test(text(fn)));
  };
  // A login, sign-up or OTP check, by name or route, or a handler that compares a password or code.
  const signsIn = (node: TS.Node): boolean => {
    const context = contextOf(node);
    if (context === 'login' || context === 'register' || context === 'otp') return true;
    return handlerChain(node).some((fn) =>
      /\b(compare|compareSync|verify|verifyPassword|checkPassword)\(/.test(text(fn)),
    );
  };
  const outerText = (node: TS.Node) => text(functionsOf(node).pop());
  // The code of the outermost function without its string literals (messages say "expired" too).
  // A backslash is only ever taken with the character after it: `(?:\\.|(?!\1).)*` could also take
  // it alone, and a comment with 40 backslashes after a quote took minutes.
  // Kept per function: asked once per object literal or call, it re-read a large handler each time.
  const outerCodes = new Map<TS.Node | undefined, string>();
  const outerCode = (node: TS.Node) => {
    const outer = functionsOf(node).pop();
    let code = outerCodes.get(outer);
    if (code === undefined) {
      code = text(outer).replace(/(['"`])(?:\\.|(?!\1)[^\\\n])*\1/g, "''");
      outerCodes.set(outer, code);
    }
    return code;
  };
  const innerText = (node: TS.Node) => text(functionOf(node));
  const isRawPassword = (expression: TS.Node | undefined): boolean => {
    if (!expression) return false;
    if (ts.isPropertyAccessExpression(expression)) return rawPasswordAccess.test(text(expression));
    if (!ts.isIdentifier(expression) || !rawPasswordName.test(expression.text)) return false;
    const hashed = new RegExp(
      `\\b${expression.text.replace(/\$/g, '\\$')}\\s*=\\s*(await\\s+)?[\\w.]*(hash|crypt|argon|scrypt|pbkdf|digest)`,
      'i',
    );
    return !hashed.test(outerText(expression));
  };
  const propertyName = (property: TS.ObjectLiteralElementLike) =>
    property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text : '';
  const valueOf = (property: TS.ObjectLiteralElementLike): TS.Node | undefined =>
    ts.isPropertyAssignment(property)
      ? property.initializer
      : ts.isShorthandPropertyAssignment(property)
        ? property.name
        : undefined;
  /** The call or `new` an object literal is an argument of, through up to three nesting levels. */
  const callOf = (object: TS.ObjectLiteralExpression): TS.CallExpression | TS.NewExpression | undefined => {
    let node: TS.Node = object;
    for (let depth = 0; depth < 4; depth++) {
      const parent = node.parent;
      if (ts.isCallExpression(parent) || ts.isNewExpression(parent))
        return parent.arguments?.includes(node as TS.Expression) ? parent : undefined;
      if (ts.isPropertyAssignment(parent) && ts.isObjectLiteralExpression(parent.parent)) node = parent.parent;
      else if (ts.isArrayLiteralExpression(parent)) node = parent;
      else return undefined;
    }
    return undefined;
  };
  const calleeName = (call: TS.CallExpression | TS.NewExpression) => {
    const callee = call.expression;
    return ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  };
  const receiverOf = (call: TS.CallExpression | TS.NewExpression) =>
    ts.isPropertyAccessExpression(call.expression) ? text(call.expression.expression) : '';
  const consumed = new Map<TS.FunctionLikeDeclaration, TS.Node>();
  const noteConsumed = (node: TS.Node) => {
    const outer = functionsOf(node).pop();
    if (outer && !consumed.has(outer)) consumed.set(outer, node);
  };
  const facts = {
    hashHook: false,
    ttl: /expireAfterSeconds|\bexpires\s*:\s*['"\d]|\bttl\s*:\s*\d/.test(source.text),
    cookieSession: false,
    serverSession: false,
  };

  const plaintext = (node: TS.Node, how: string, unless?: Mitigation) =>
    push(
      node,
      {
        rule: 'plaintext-password',
        cwe: 'CWE-256',
        severity: 'high',
        confidence: 'medium',
        message: `the password is ${how} as the user typed it: anyone who reads the database has every password`,
        fix: {
          description: 'Store only a slow salted hash: await bcrypt.hash(password, 12) or argon2.hash(password).',
        },
      },
      unless,
    );

  // var user = { password }; usersCol.insert(user): the call that takes the object's variable.
  const callTaking = (object: TS.ObjectLiteralExpression): TS.CallExpression | undefined => {
    const declaration = object.parent;
    const scope = functionOf(object);
    if (!scope || !ts.isVariableDeclaration(declaration) || !ts.isIdentifier(declaration.name)) return undefined;
    const name = declaration.name.text;
    let found: TS.CallExpression | undefined;
    const walk = (n: TS.Node): void => {
      if (found) return;
      if (ts.isCallExpression(n) && n.arguments.some((a) => ts.isIdentifier(a) && a.text === name)) found = n;
      ts.forEachChild(n, walk);
    };
    walk(scope);
    return found;
  };
  const objectChecks = (object: TS.ObjectLiteralExpression) => {
    // Most objects hold neither a password nor a token: skip the search for the call that takes them.
    if (!object.properties.some((p) => /pass|pwd|token|code|hash/i.test(propertyName(p)))) return;
    const call = callOf(object) ?? callTaking(object);
    for (const property of object.properties) {
      const key = propertyName(property);
      const value = valueOf(property);
      if (/^(password|passwd|pwd|pass|password_?hash|hashed_?password)$/i.test(key) && isRawPassword(value) && call) {
        const name = calleeName(call);
        const receiver = receiverOf(call);
        if (
          /^(res|response|reply|ctx|req|request|headers|params|searchParams|form|formData|localStorage|errors?)$/i.test(
            receiver,
          )
        )
          continue;
        const model = ts.isNewExpression(call) && /^[A-Z]/.test(name);
        if (persist.test(name) || model) {
          noteConsumed(property);
          plaintext(property, 'stored', ormPersist.test(name) || model ? 'hash-hook' : undefined);
        } else if (lookup.test(name)) plaintext(property, 'compared in a query (so it is stored)');
      }
      // Reset tokens stored with no expiry.
      if (/^(reset_?(password_?)?token|password_?reset_?token|reset_?code|reset_?hash|token)$/i.test(key) && call) {
        const name = calleeName(call);
        if (contextOf(object) !== 'reset' || expiryWords.test(outerCode(object)) || checksToken(outerCode(object)))
          continue;
        if (persist.test(name) || ts.isNewExpression(call))
          push(
            property,
            resetTokenNoExpiry('Store an expiry (e.g. resetExpires: Date.now() + 15 * 60_000) and check it on use.'),
            'ttl',
          );
        else if (lookup.test(name))
          push(property, {
            rule: 'reset-token-no-expiry',
            cwe: 'CWE-640',
            severity: 'medium',
            confidence: 'medium',
            message: 'the reset token is accepted without checking when it expires',
            fix: { description: 'Query with the expiry too: { resetToken, resetExpires: { $gt: Date.now() } }.' },
          });
      }
    }
  };

  const callChecks = (call: TS.CallExpression) => {
    const name = calleeName(call);
    const args = call.arguments;
    const receiver = receiverOf(call);
    // Fast hashes (SHA-2) of passwords; MD5/SHA-1 are judged in config-rules.ts.
    if (
      name === 'createHash' &&
      args[0] &&
      ts.isStringLiteral(args[0]) &&
      /^sha(-?(224|256|384|512)|3-\d+)$/i.test(args[0].text)
    ) {
      const update = call.parent;
      const updateCall =
        update && ts.isPropertyAccessExpression(update) && update.name.text === 'update' ? update.parent : undefined;
      if (updateCall && ts.isCallExpression(updateCall) && updateCall.arguments[0]) {
        const argument = updateCall.arguments[0];
        const mentions: TS.Node[] = [];
        const gather = (n: TS.Node): void => {
          if (ts.isIdentifier(n) || ts.isPropertyAccessExpression(n)) mentions.push(n);
          if (!ts.isPropertyAccessExpression(n)) ts.forEachChild(n, gather);
        };
        gather(argument);
        if (
          mentions.some(
            (m) => isRawPassword(m) || (ts.isPropertyAccessExpression(m) && rawPasswordName.test(m.name.text)),
          )
        )
          push(call, {
            rule: 'weak-password-hash',
            cwe: 'CWE-916',
            severity: 'high',
            confidence: 'medium',
            message: `${args[0].text} is a fast hash: a GPU tries billions of guesses a second against passwords hashed with it, salted or not`,
            fix: {
              description:
                'Hash passwords with bcrypt, scrypt or argon2 (crypto.scrypt is built in), with a per-user salt.',
            },
          });
      }
    }
    if (
      /^pbkdf2(Sync)?$/.test(name) &&
      isRawPassword(args[0]) &&
      args[2] &&
      ts.isNumericLiteral(args[2]) &&
      Number(args[2].text) < 100_000
    )
      push(call, {
        rule: 'weak-password-hash',
        cwe: 'CWE-916',
        severity: 'medium',
        confidence: 'high',
        message: `PBKDF2 with ${args[2].text} iterations is too fast for passwords (OWASP asks for 600,000 with SHA-256)`,
        fix: { description: 'Raise the iterations to ≥ 600,000, or use argon2id or scrypt.' },
      });
    if (
      /^(hash|hashSync|genSalt|genSaltSync)$/.test(name) &&
      /bcrypt/i.test(receiver) &&
      args.some((a, i) => (i > 0 || name.startsWith('genSalt')) && ts.isNumericLiteral(a) && Number(a.text) < 10)
    )
      push(call, {
        rule: 'weak-password-hash',
        cwe: 'CWE-916',
        severity: 'medium',
        confidence: 'high',
        message: 'a bcrypt cost factor below 10 is fast enough to brute-force',
        fix: { description: 'Use a cost of 12 (or more as hardware allows).' },
      });
    // Password hashing in a handler counts as consuming the password (for the policy check).
    if (/hash|crypt|pbkdf2|scrypt/i.test(name) && isRawPassword(args[0])) noteConsumed(call);
    // SQL that stores or compares a password in plain text.
    const sql = args[0] && (ts.isStringLiteralLike(args[0]) || ts.isTemplateExpression(args[0])) ? text(args[0]) : '';
    if (sql && /\bpass(word|wd)?\b|\bpwd\b/i.test(sql)) {
      const values = args[1] && ts.isArrayLiteralExpression(args[1]) ? [...args[1].elements] : [];
      if (ts.isTemplateExpression(args[0]!)) values.push(...args[0].templateSpans.map((s) => s.expression));
      if (values.some(isRawPassword)) {
        if (/insert\s+into|update\s+\S+\s+set/i.test(sql)) {
          noteConsumed(call);
          plaintext(call, 'stored');
        } else if (/select[\s\S]+where[\s\S]*pass(word|wd)?\s*=/i.test(sql))
          plaintext(call, 'compared in a query (so it is stored)');
      }
    }
    // Hooks that hash passwords before they are saved.
    if (
      /^(pre|addHook|hook|beforeCreate|beforeSave|beforeUpdate|beforeInsert|beforeBulkCreate)$/.test(name) &&
      /bcrypt|argon|scrypt|pbkdf|hash\(/i.test(args.map(text).join(' '))
    )
      facts.hashHook = true;
    if (name === 'setDataValue' && /password/i.test(text(args[0])) && hashCall.test(text(args[1])))
      facts.hashHook = true;
    // User enumeration: a 404 from login or reset.
    if ((name === 'status' || name === 'sendStatus') && args[0] && text(args[0]) === '404') {
      const context = contextOf(call);
      if (
        (context === 'login' || context === 'reset') &&
        /\bif\s*\(\s*!\s*\w*(user|account|member)/i.test(innerText(call))
      )
        push(call, enumeration('answers 404 when the account does not exist'));
    }
    // Guessable reset tokens.
    if (/^(v1|uuidv1|uuidV1)$/.test(name) && (receiver === '' || /uuid/i.test(receiver)))
      guessable(call, 'a time-based UUID (v1)');
  };
  const enumeration = (how: string): Omit<PatternHit, 'line' | 'endLine' | 'evidence'> => ({
    rule: 'user-enumeration',
    cwe: 'CWE-204',
    severity: 'medium',
    confidence: 'medium',
    message: `the sign-in or reset flow ${how}, so an attacker can list which accounts exist`,
    fix: {
      description:
        'Give one answer for unknown user and wrong password ("Invalid email or password"), with the same status.',
    },
  });
  const guessable = (node: TS.Node, what: string) => {
    const holder =
      node.parent && (ts.isVariableDeclaration(node.parent) || ts.isPropertyAssignment(node.parent))
        ? text(node.parent.name)
        : '';
    const named = holder || (ts.isBinaryExpression(node.parent) ? text(node.parent.left) : '');
    if (!/token|code|key|secret|nonce|link/i.test(named) || /expir|ttl|until|date|time/i.test(named)) return;
    if (contextOf(node) !== 'reset' && !/reset|recover|verif|invite|activation|magic/i.test(named)) return;
    push(node, {
      rule: 'guessable-reset-token',
      cwe: 'CWE-640',
      severity: 'high',
      confidence: 'medium',
      message: `the reset token is ${what}: an attacker can predict it and take over the account`,
      fix: {
        description: "Use crypto.randomBytes(32).toString('hex') and store only its SHA-256 hash, with an expiry.",
      },
    });
  };

  // Which session middleware the file loads: cookie-session keeps no server-side id to fix.
  const noteSessionModule = (node: TS.Node): void => {
    const loaded =
      ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)
        ? node.moduleSpecifier.text
        : ts.isCallExpression(node) &&
            ts.isIdentifier(node.expression) &&
            node.expression.text === 'require' &&
            node.arguments[0] &&
            ts.isStringLiteral(node.arguments[0])
          ? node.arguments[0].text
          : '';
    if (/^(cookie-session|client-sessions|@fastify\/secure-session|@fastify\/cookie-session)$/.test(loaded))
      facts.cookieSession = true;
    if (/^(express-session|@fastify\/session|fastify-session|koa-generic-session)$/.test(loaded))
      facts.serverSession = true;
  };
  const ifStatements: TS.IfStatement[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isCallExpression(node)) noteSessionModule(node);
    if (ts.isObjectLiteralExpression(node)) objectChecks(node);
    // An environment variable with a literal fallback (JWT_SECRET || 'dev-secret'): the fallback ships to production when the variable is unset.
    if (
      ts.isBinaryExpression(node) &&
      (node.operatorToken.kind === ts.SyntaxKind.BarBarToken ||
        node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) &&
      /SECRET|KEY|TOKEN|PASSWORD/i.test(/^process\.env\.(\w+)$/.exec(text(node.left))?.[1] ?? '') &&
      ts.isStringLiteralLike(node.right) &&
      node.right.text.length > 0
    )
      push(node, {
        rule: 'hardcoded-secret',
        cwe: 'CWE-798',
        severity: 'high',
        confidence: 'high',
        message: `${text(node.left)} falls back to a literal in the source: when the variable is unset, everyone knows the key`,
        fix: { description: 'Fail at start-up when the variable is missing instead of falling back to a literal.' },
      });

    if (ts.isCallExpression(node)) callChecks(node);
    // user.password = req.body.password; await user.save()
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left)
    ) {
      const key = node.left.name.text;
      const owner = text(node.left.expression);
      if (
        /^(password|passwd|pwd)$/i.test(key) &&
        /user|account|member|customer|admin|doc|record/i.test(owner) &&
        isRawPassword(node.right)
      ) {
        if (/\.save\(|update/i.test(outerText(node))) {
          noteConsumed(node);
          plaintext(node, 'stored', 'hash-hook');
        }
      }
      if (
        /^(reset_?(password_?)?token|password_?reset_?token|reset_?code)$/i.test(key) &&
        contextOf(node) === 'reset' &&
        !expiryWords.test(outerCode(node))
      )
        push(node, resetTokenNoExpiry('Store an expiry next to the token and check it on use.'), 'ttl');
      // Session fixation: the login writes the user into the session it was handed.
      if (/^(req|request)\.session$/.test(owner) && sessionUserKey.test(key) && !renewed(node) && signsIn(node))
        push(
          node,
          {
            rule: 'session-fixation',
            cwe: 'CWE-384',
            severity: 'medium',
            confidence: 'medium',
            message:
              'the login stores the user in the existing session without a new session id: an id planted before login stays valid after it',
            fix: {
              description:
                'Call req.session.regenerate() and set the user inside its callback (passport ≥ 0.6 req.login does it).',
            },
          },
          'cookie-session',
        );
      if (/token|code|key|secret|nonce|link/i.test(key)) guessableExpression(node.right);
    }
    if (
      (ts.isVariableDeclaration(node) || ts.isPropertyAssignment(node)) &&
      node.initializer &&
      /token|code|key|secret|nonce|link/i.test(text(node.name))
    )
      guessableExpression(node.initializer);
    // User enumeration through messages.
    if (ts.isStringLiteralLike(node) && notFoundMessage.test(node.text)) {
      const context = contextOf(node);
      let statement: TS.Node = node;
      while (statement.parent && !ts.isStatement(statement)) statement = statement.parent;
      const messageVariable =
        ts.isVariableDeclaration(node.parent) && /message|error|msg|reason/i.test(text(node.parent.name));
      if (
        (context === 'login' || context === 'reset') &&
        (messageVariable ||
          /\b(res|response|reply|ctx|done|cb|callback|next|flash|throw|return)\b/.test(text(statement)))
      )
        push(node, enumeration(`answers "${node.text.slice(0, 60)}" for an unknown account`));
    }
    if (ts.isIfStatement(node)) ifStatements.push(node);
    ts.forEachChild(node, visit);
  };
  // Timing: `if (!user) return ...` before the hash comparison answers unknown accounts fast.
  // The name is taken whole, then searched: \w* on both sides of the words backtracked
  // quadratically on a long identifier.
  const recordName = /user|account|member|customer|record|row/i;
  const missingRecord = {
    test: (condition: string) =>
      recordName.test(/^!\s*(\w+)$|^(\w+)\s*(?:===?)\s*(?:null|undefined)$/.exec(condition)?.slice(1).join('') ?? ''),
  };
  const compares = (node: TS.Node): TS.CallExpression[] => {
    const found: TS.CallExpression[] = [];
    const walk = (n: TS.Node): void => {
      if (ts.isCallExpression(n) && compareCall.test(calleeName(n))) found.push(n);
      ts.forEachChild(n, walk);
    };
    walk(node);
    return found;
  };
  const earlyReturn = (statement: TS.IfStatement) => {
    const condition = statement.expression;
    const shaped =
      (ts.isPrefixUnaryExpression(condition) && condition.operator === ts.SyntaxKind.ExclamationToken) ||
      (ts.isBinaryExpression(condition) && /null|undefined/.test(text(condition.right)));
    if (!shaped || !missingRecord.test(text(condition).replace(/\s+/g, ' '))) return;
    if (contextOf(statement) !== 'login') return;
    const outer = functionsOf(statement).pop();
    if (!outer || compares(statement.thenStatement).length > 0) return;
    const after = compares(outer).filter((c) => c.getStart(source) > statement.end);
    const before = compares(outer).filter((c) => c.end < statement.getStart(source));
    if (after.length === 0 || before.length > 0) return;
    let exit: TS.Node | undefined;
    const findExit = (n: TS.Node): void => {
      if (!exit && (ts.isReturnStatement(n) || ts.isThrowStatement(n))) exit = n;
      if (!exit && !ts.isFunctionLike(n)) ts.forEachChild(n, findExit);
    };
    findExit(statement.thenStatement);
    if (!exit) return;
    const first = lineOf(statement.thenStatement.getStart(source));
    const last = lineOf(statement.thenStatement.end);
    if (
      [...hits, ...pending.map((p) => p.hit)].some(
        (h) => h.rule === 'user-enumeration' && h.line >= first && h.line <= last,
      )
    )
      return;
    push(exit, {
      rule: 'user-enumeration',
      cwe: 'CWE-203',
      severity: 'low',
      confidence: 'low',
      message:
        'the login returns before comparing the password when the account does not exist: the faster answer tells which accounts exist',
      fix: { description: 'Compare against a dummy hash when the user is missing, so both paths take the same time.' },
    });
  };
  const guessableExpression = (expression: TS.Expression) => {
    const value = text(expression);
    if (/randomBytes|randomUUID|getRandomValues|nanoid|randomInt|uuidv4|v4\(/.test(value)) return;
    if (/Date\.now\(\)|new Date\(\)\.getTime\(\)|\.getTime\(\)/.test(value))
      guessable(expression, 'derived from the clock');
    else if (/createHash\(|md5\(|sha1\(/.test(value) && /email|user|name|id\b/i.test(value))
      guessable(expression, 'a hash of data the attacker knows');
  };
  visit(source);
  checkJwt(ts, source, push);
  // After the walk, so that a message already reported as enumeration on the same branch wins.
  ifStatements.forEach(earlyReturn);

  // Sign-up with no password policy.
  for (const [fn, at] of consumed) {
    if (contextOf(at) !== 'register') continue;
    const fromRequest =
      /\b(req|request|ctx\.request)\.body\b/.test(text(fn)) ||
      functionsOf(at).some((f) => strategyName(f) !== undefined);
    if (!fromRequest) continue;
    const chain = routes.middlewareOf.get(fn) ?? routes.middlewareOf.get(nameOf(fn)) ?? '';
    if (policy.test(text(fn)) || /valid|schema|check|body\(|policy|strength/i.test(chain)) continue;
    push(at, {
      rule: 'no-password-policy',
      cwe: 'CWE-521',
      severity: 'medium',
      confidence: 'medium',
      message: 'sign-up accepts any password: no length or strength check before it is stored',
      fix: { description: 'Require ≥ 8 characters (NIST 800-63B) and reject known-breached or weak ones (zxcvbn).' },
    });
  }
  // Login, reset and OTP routes without a rate limiter.
  for (const route of routes.unlimited)
    push(
      route.node,
      {
        rule: 'missing-rate-limit',
        cwe: 'CWE-307',
        severity: 'medium',
        confidence: 'medium',
        message: `${route.method} ${route.path} has no rate limiting: passwords or codes can be guessed without limit`,
        fix: {
          description: 'Add express-rate-limit (or rate-limiter-flexible) on this route, keyed by IP and account.',
        },
      },
      'rate-limit',
    );
  const hasFacts =
    pending.length > 0 ||
    facts.hashHook ||
    facts.ttl ||
    facts.cookieSession ||
    facts.serverSession ||
    routes.globalRateLimit;
  return {
    hits,
    ...(hasFacts ? { facts: { pending, ...facts, globalRateLimit: routes.globalRateLimit } } : {}),
  };
}
