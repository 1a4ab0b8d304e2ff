// Configuration and crypto checks that need no data flow: hard-coded secrets, weak password
// hashing, Math.random for tokens, JWT algorithm "none", disabled TLS verification, cookie flags,
// permissive CORS, stack traces in responses, unsafe parser flags, ReDoS-prone regexes. It also
// collects per-file facts about Express apps (helmet, CSRF, x-powered-by), which are judged for the
// whole project because an app is often assembled across files.
import type TS from 'typescript';
import { hasSafeStarHeight } from './star-height.js';
import { hasRiskyNesting } from './regex-nesting.js';
import { looksLikeSecretAssignment, passwordContext, tokenContext, tokenPatterns } from './secret-patterns.js';
import type { Severity } from './finding.js';
import { nodeLineText } from './line-text.js';

// res, res.status(500), res.status(code(err)).type('json'): arguments nest one level deep. `\(.*\)`
// in the repeated group could end at any later `)`, so a long chain took seconds per call.
const responseChain = /^(res|response|reply)(\.(status|code|type|set|header|contentType)\((?:[^()]|\([^()]*\))*\))*$/;

type Typescript = typeof TS;

export interface PatternHit {
  rule: string;
  cwe: string;
  severity: Severity;
  confidence: 'high' | 'medium' | 'low';
  line: number;
  endLine: number;
  evidence: string;
  message: string;
  fix?: { description: string; replace?: { from: string; to: string } };
}

export interface AppFacts {
  /** Lines of `express()` calls (apps, not routers). */
  expressApps: number[];
  listens: boolean;
  usesHelmet: boolean;
  usesCsrf: boolean;
  disablesPoweredBy: boolean;
  stateChangingRoutes: number;
  usesSession: boolean;
}

const weakHashes = new Set(['md5', 'sha1', 'md4', 'md2', 'ripemd', 'sha-1']);

export function checkPatterns(
  ts: Typescript,
  source: TS.SourceFile,
  options: { isTestFile: boolean },
): { hits: PatternHit[]; app: AppFacts } {
  const hits: PatternHit[] = [];
  const app: AppFacts = {
    expressApps: [],
    listens: false,
    usesHelmet: false,
    usesCsrf: false,
    disablesPoweredBy: false,
    stateChangingRoutes: 0,
    usesSession: false,
  };
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
  const lineText = (node: TS.Node) => nodeLineText(source, node);
  const push = (node: TS.Node, hit: Omit<PatternHit, 'line' | 'endLine' | 'evidence'>) => {
    const line = lineOf(node.getStart(source));
    if (hits.some((h) => h.rule === hit.rule && h.line === line)) return;
    hits.push({ ...hit, line, endLine: lineOf(node.end), evidence: lineText(node) });
  };
  const pushStackTrace = (node: TS.Node, exposed: string) =>
    push(node, {
      rule: 'stack-trace-exposure',
      cwe: 'CWE-209',
      severity: 'medium',
      confidence: 'high',
      message: `${exposed} is sent to the client, exposing file paths, code and library versions`,
      fix: { description: 'Log the error on the server and send a generic message with an error id.' },
    });
  const text = (node: TS.Node | undefined) => (node ? node.getText(source) : '');
  const propertyOf = (object: TS.Expression | undefined, key: string): TS.Expression | undefined => {
    if (!object || !ts.isObjectLiteralExpression(object)) return undefined;
    for (const property of object.properties) {
      if (
        ts.isPropertyAssignment(property) &&
        (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) &&
        property.name.text === key
      )
        return property.initializer;
      if (ts.isShorthandPropertyAssignment(property) && property.name.text === key) return property.name;
    }
    return undefined;
  };
  const isFalse = (node: TS.Expression | undefined) =>
    node !== undefined &&
    (node.kind === ts.SyntaxKind.FalseKeyword ||
      (ts.isStringLiteral(node) && node.text === 'false') ||
      (ts.isNumericLiteral(node) && node.text === '0'));
  const isTrue = (node: TS.Expression | undefined) => node !== undefined && node.kind === ts.SyntaxKind.TrueKeyword;
  const enclosingName = (node: TS.Node): string => {
    for (let current: TS.Node | undefined = node.parent; current; current = current.parent) {
      if (ts.isVariableDeclaration(current) || ts.isPropertyAssignment(current) || ts.isPropertyDeclaration(current))
        return text(current.name);
      if (ts.isBinaryExpression(current) && current.operatorToken.kind === ts.SyntaxKind.EqualsToken)
        return text(current.left);
      if (ts.isReturnStatement(current) || ts.isFunctionLike(current)) {
        let fn: TS.Node | undefined = current;
        while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
        if (fn && ts.isFunctionLike(fn)) {
          const named = (fn as TS.FunctionLikeDeclaration).name;
          if (named) return text(named);
          if (fn.parent && ts.isVariableDeclaration(fn.parent)) return text(fn.parent.name);
          if (fn.parent && ts.isPropertyAssignment(fn.parent)) return text(fn.parent.name);
          if (fn.parent && ts.isBinaryExpression(fn.parent)) return text(fn.parent.left);
        }
        return '';
      }
      if (ts.isBlock(current) || ts.isSourceFile(current)) return '';
    }
    return '';
  };

  const secretLiteral = (name: string, value: TS.Expression | undefined, at: TS.Node) => {
    if (!value || !ts.isStringLiteralLike(value)) return;
    const literal = value.text;
    if (!looksLikeSecretAssignment(name, literal)) return;
    if (options.isTestFile) return;
    push(at, {
      rule: 'hardcoded-secret',
      cwe: 'CWE-798',
      severity: 'high',
      confidence: 'medium',
      message: `"${name}" is a hard-coded secret in the source; anyone with the code (or the bundle) has it`,
      fix: { description: 'Read it from the environment or a secret store, and rotate the exposed value.' },
    });
  };

  // The connect/express `errorhandler` package, not any function of that name.
  const errorhandlerNames = new Set<string>();
  const visit = (node: TS.Node): void => {
    if (ts.isStringLiteralLike(node) && !options.isTestFile) {
      for (const { name, pattern } of tokenPatterns) {
        if (pattern.test(node.text))
          push(node, {
            rule: 'hardcoded-secret',
            cwe: 'CWE-798',
            severity: 'critical',
            confidence: 'high',
            message: `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name} is committed in the source`,
            fix: { description: 'Revoke and rotate it, then load it from the environment or a secret store.' },
          });
      }
    }
    if (ts.isRegularExpressionLiteral(node)) {
      const literal = node.text;
      const body = literal.slice(1, literal.lastIndexOf('/'));
      if (/[+*}]\)?[+*{]|\)[+*]|\)\{/.test(body)) {
        let safe = true;
        try {
          safe = !hasRiskyNesting(body, literal.slice(literal.lastIndexOf('/') + 1)) || hasSafeStarHeight(body);
        } catch {
          safe = true;
        }
        if (!safe)
          push(node, {
            rule: 'redos',
            cwe: 'CWE-1333',
            severity: 'medium',
            confidence: 'medium',
            message: `the regular expression ${literal.slice(0, 80)} has nested quantifiers: a crafted input makes it backtrack exponentially`,
          });
      }
    }
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name))
      secretLiteral(node.name.text, node.initializer, node);
    if (ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
      const key = node.name.text;
      secretLiteral(key, node.initializer, node);
      if (
        (key === 'rejectUnauthorized' ||
          key === 'strictSSL' ||
          key === 'verify_ssl' ||
          key === 'checkServerIdentity') &&
        isFalse(node.initializer) &&
        !underInsecureOptIn(ts, source, node)
      ) {
        push(node, {
          rule: 'tls-verification-disabled',
          cwe: 'CWE-295',
          severity: 'high',
          confidence: 'high',
          message: `${key}: false accepts any certificate, so the connection can be intercepted`,
          fix: {
            description: 'Verify certificates; trust a private CA with the ca option instead.',
            replace: { from: node.getText(source), to: `${key}: true` },
          },
        });
      }
      if (key === 'autoescape' && isFalse(node.initializer))
        push(node, {
          rule: 'xss',
          cwe: 'CWE-79',
          severity: 'high',
          confidence: 'medium',
          message: 'template auto-escaping is turned off, so every variable is rendered as raw HTML',
          fix: {
            description: 'Keep auto-escaping on and mark trusted HTML explicitly.',
            replace: { from: node.getText(source), to: 'autoescape: true' },
          },
        });
      if (key === 'noEscape' && isTrue(node.initializer))
        push(node, {
          rule: 'xss',
          cwe: 'CWE-79',
          severity: 'high',
          confidence: 'medium',
          message: 'Handlebars noEscape: true renders every variable as raw HTML',
        });
      if ((key === 'showStack' || key === 'dumpExceptions') && isTrue(node.initializer))
        push(node, {
          rule: 'stack-trace-exposure',
          cwe: 'CWE-209',
          severity: 'medium',
          confidence: 'high',
          message: `${key}: true sends stack traces to clients`,
        });
      if (
        key === 'algorithms' &&
        ts.isArrayLiteralExpression(node.initializer) &&
        node.initializer.elements.some((e) => ts.isStringLiteral(e) && e.text.toLowerCase() === 'none')
      ) {
        push(node, {
          rule: 'jwt-none-algorithm',
          cwe: 'CWE-347',
          severity: 'critical',
          confidence: 'high',
          message: 'the "none" algorithm accepts unsigned tokens',
        });
      }
      if (key === 'algorithm' && ts.isStringLiteral(node.initializer) && node.initializer.text.toLowerCase() === 'none')
        push(node, {
          rule: 'jwt-none-algorithm',
          cwe: 'CWE-347',
          severity: 'critical',
          confidence: 'high',
          message: 'tokens signed with "none" carry no signature',
        });
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = text(node.left);
      // Koa: ctx.body = err is serialised to {}; ctx.body = err.stack sends the trace.
      const exposed = /^(ctx|this|ctx\.response|this\.response)\.body$/.test(left)
        ? exposesStack(ts, source, node.right)
        : undefined;
      if (exposed) pushStackTrace(node, exposed);
      if (/NODE_TLS_REJECT_UNAUTHORIZED/.test(left) && /['"]?0['"]?/.test(text(node.right)))
        push(node, {
          rule: 'tls-verification-disabled',
          cwe: 'CWE-295',
          severity: 'high',
          confidence: 'high',
          message: 'NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks for the whole process',
        });
      if (
        ts.isPropertyAccessExpression(node.left) &&
        /^(SECRET|.*_SECRET|.*_KEY|.*PASSWORD)$/.test(node.left.name.text)
      )
        secretLiteral(node.left.name.text, node.right, node);
    }
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) callChecks(node);
    ts.forEachChild(node, visit);
  };

  const callChecks = (node: TS.CallExpression | TS.NewExpression) => {
    const callee = node.expression;
    const args = node.arguments ?? [];
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    const receiver = ts.isPropertyAccessExpression(callee) ? text(callee.expression) : '';
    const first = args[0];
    if (ts.isIdentifier(callee) && callee.text === 'require' && first && ts.isStringLiteral(first)) {
      noteModule(app, first.text);
      if (first.text === 'errorhandler' && ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name))
        errorhandlerNames.add(node.parent.name.text);
    }
    // express() apps, not express.Router().
    if (ts.isIdentifier(callee) && callee.text === 'express' && args.length === 0)
      app.expressApps.push(lineOf(node.getStart(source)));
    if (name === 'listen') app.listens = true;
    if (
      (name === 'disable' && first && ts.isStringLiteral(first) && first.text === 'x-powered-by') ||
      (name === 'set' && first && ts.isStringLiteral(first) && first.text === 'x-powered-by')
    )
      app.disablesPoweredBy = true;
    if (isStateChangingRoute(ts, name, receiver, args)) app.stateChangingRoutes++;
    if (/^(setHeader|header|set)$/.test(name) && first && ts.isStringLiteral(first) && securityHeader.test(first.text))
      app.usesHelmet = true;
    if (name === 'hidePoweredBy') app.disablesPoweredBy = true;

    // Weak hashes for passwords.
    if (name === 'createHash' && first && ts.isStringLiteral(first) && weakHashes.has(first.text.toLowerCase())) {
      const context = `${enclosingName(node)} ${text(node.parent)} ${text(node.parent?.parent)}`;
      if (passwordContext.test(context))
        push(node, {
          rule: 'weak-password-hash',
          cwe: 'CWE-916',
          severity: 'high',
          confidence: 'medium',
          message: `${first.text} is a fast, broken hash: passwords hashed with it are cracked in seconds`,
          fix: {
            description:
              'Hash passwords with bcrypt, scrypt or argon2 (crypto.scrypt is built in), with a per-user salt.',
          },
        });
      else if (securityUse.test(context))
        push(node, {
          rule: 'weak-hash',
          cwe: 'CWE-328',
          severity: 'low',
          confidence: 'low',
          message: `${first.text} is broken for security uses (signatures, integrity against an attacker)`,
        });
    }
    if (
      (/^(md5|sha1)$/i.test(name) || (receiver === 'CryptoJS' && /^(MD5|SHA1)$/.test(name))) &&
      first &&
      passwordContext.test(`${text(first)} ${enclosingName(node)}`)
    ) {
      push(node, {
        rule: 'weak-password-hash',
        cwe: 'CWE-916',
        severity: 'high',
        confidence: 'medium',
        message: `${name} is a fast, broken hash: passwords hashed with it are cracked in seconds`,
        fix: { description: 'Hash passwords with bcrypt, scrypt or argon2.' },
      });
    }
    // Math.random for secrets.
    if (name === 'random' && receiver === 'Math') {
      const context = `${enclosingName(node)} ${text(node.parent?.parent).slice(0, 200)}`;
      if (tokenContext.test(context))
        push(node, {
          rule: 'insecure-randomness',
          cwe: 'CWE-338',
          severity: 'medium',
          confidence: 'medium',
          message: 'Math.random() is predictable; it must not make tokens, passwords or session ids',
          fix: { description: 'Use crypto.randomBytes, crypto.randomInt or crypto.randomUUID.' },
        });
    }
    // JWT.
    if (
      (receiver === 'jwt' || receiver === 'jsonwebtoken') &&
      (name === 'sign' || name === 'verify') &&
      args[1] &&
      ts.isStringLiteralLike(args[1]) &&
      !options.isTestFile
    ) {
      push(args[1], {
        rule: 'hardcoded-secret',
        cwe: 'CWE-798',
        severity: 'high',
        confidence: 'high',
        message: `the JWT ${name === 'sign' ? 'signing' : 'verification'} secret is a literal in the source${args[1].text.length < 32 ? ' and too short to resist brute force' : ''}`,
        fix: { description: 'Load a long random secret (≥ 256 bits) from the environment.' },
      });
    }
    if ((receiver === 'jwt' || receiver === 'jsonwebtoken') && name === 'decode' && !options.isTestFile) {
      push(node, {
        rule: 'jwt-unverified',
        cwe: 'CWE-347',
        severity: 'medium',
        confidence: 'low',
        message: 'jwt.decode() does not check the signature; do not trust its claims',
        fix: { description: 'Use jwt.verify() with the expected algorithms.' },
      });
    }
    // Keys for HMACs and ciphers written into the source.
    if (
      (name === 'createHmac' || name === 'createCipheriv' || name === 'createDecipheriv' || name === 'createCipher') &&
      args[1] &&
      ts.isStringLiteralLike(args[1]) &&
      args[1].text.length >= 6 &&
      !options.isTestFile
    ) {
      push(args[1], {
        rule: 'hardcoded-secret',
        cwe: 'CWE-798',
        severity: 'high',
        confidence: 'high',
        message: `the ${name === 'createHmac' ? 'HMAC' : 'cipher'} key is a literal in the source`,
        fix: { description: 'Load the key from the environment or a key store, and rotate the exposed one.' },
      });
    }
    // Angular's sanitiser bypasses: whatever reaches them is rendered as trusted HTML/script/URL.
    if (
      /^bypassSecurityTrust(Html|Script|Style|Url|ResourceUrl)$/.test(name) &&
      first &&
      !ts.isStringLiteralLike(first)
    ) {
      push(node, {
        rule: 'xss',
        cwe: 'CWE-79',
        severity: 'medium',
        confidence: 'medium',
        message: `${name}() marks this value as trusted, so Angular renders it without sanitising`,
        fix: {
          description:
            'Let Angular sanitise the value (bind it normally), or sanitise it with DOMPurify before trusting it.',
        },
      });
    }
    // Directory listings.
    if (name === 'serveIndex') {
      push(node, {
        rule: 'directory-listing',
        cwe: 'CWE-548',
        severity: 'low',
        confidence: 'medium',
        message: 'a directory listing is served: every file in the folder is discoverable',
        fix: { description: 'Remove serve-index, or restrict it to authenticated administrators.' },
      });
    }
    // Sessions and cookies.
    if ((name === 'session' || name === 'cookieSession') && (!first || ts.isObjectLiteralExpression(first))) {
      app.usesSession = true;
      const secret = propertyOf(first, 'secret') ?? propertyOf(first, 'keys');
      if (secret && ts.isStringLiteralLike(secret) && !options.isTestFile)
        push(secret, {
          rule: 'hardcoded-secret',
          cwe: 'CWE-798',
          severity: 'high',
          confidence: 'high',
          message: 'the session secret is a literal in the source, so anyone with the code can forge sessions',
        });
      const cookie = propertyOf(first, 'cookie');
      const secure = cookie ? propertyOf(cookie, 'secure') : propertyOf(first, 'secure');
      const httpOnly = cookie ? propertyOf(cookie, 'httpOnly') : propertyOf(first, 'httpOnly');
      if (!secure || isFalse(secure))
        push(node, {
          rule: 'insecure-cookie',
          cwe: 'CWE-614',
          severity: 'medium',
          confidence: 'medium',
          message: `the session cookie is sent without the Secure flag${isFalse(httpOnly) ? ' and is readable by scripts (httpOnly: false)' : ''}`,
          fix: {
            description:
              'Set cookie: { secure: true, httpOnly: true, sameSite: "lax" } (behind a proxy, also app.set("trust proxy", 1)).',
          },
        });
      else if (isFalse(httpOnly))
        push(node, {
          rule: 'insecure-cookie',
          cwe: 'CWE-1004',
          severity: 'medium',
          confidence: 'high',
          message: 'the session cookie is readable by scripts (httpOnly: false)',
        });
    }
    if (name === 'cookie' && /^(res|response|ctx\.cookies|reply)$/.test(receiver) && args.length >= 2) {
      const options = args[2];
      const httpOnly = propertyOf(options, 'httpOnly');
      const secure = propertyOf(options, 'secure');
      if (!httpOnly || isFalse(httpOnly) || !secure || isFalse(secure)) {
        const missing = [!httpOnly || isFalse(httpOnly) ? 'HttpOnly' : '', !secure || isFalse(secure) ? 'Secure' : '']
          .filter(Boolean)
          .join(' and ');
        push(node, {
          rule: 'insecure-cookie',
          cwe: missing.includes('HttpOnly') ? 'CWE-1004' : 'CWE-614',
          severity: 'low',
          confidence: 'medium',
          message: `the cookie is set without ${missing}`,
          fix: { description: 'Pass { httpOnly: true, secure: true, sameSite: "lax" }.' },
        });
      }
    }
    // CORS.
    if (name === 'cors' && !receiver) {
      const origin = propertyOf(first, 'origin');
      if (!first || (origin && ((ts.isStringLiteral(origin) && origin.text === '*') || isTrue(origin)))) {
        push(node, {
          rule: 'permissive-cors',
          cwe: 'CWE-942',
          severity: 'medium',
          confidence: 'medium',
          message: first ? 'CORS allows every origin' : 'cors() with no options allows every origin to call this API',
          fix: { description: 'Pass an explicit origin allow-list: cors({ origin: ["https://app.example.com"] }).' },
        });
      }
    }
    if (
      (name === 'setHeader' || name === 'header' || name === 'set') &&
      first &&
      ts.isStringLiteral(first) &&
      first.text.toLowerCase() === 'access-control-allow-origin' &&
      args[1]
    ) {
      const value = text(args[1]);
      if (value === "'*'" || value === '"*"' || /headers\.origin|get\(['"]origin/i.test(value))
        push(node, {
          rule: 'permissive-cors',
          cwe: 'CWE-942',
          severity: 'medium',
          confidence: 'high',
          message: `Access-Control-Allow-Origin is ${value === "'*'" || value === '"*"' ? '*' : 'reflected from the request'}`,
        });
    }
    // Stack traces sent to clients. A bare error object is not one: Express's res.send(err) and
    // res.json(err) serialise it with JSON.stringify (message and stack are not enumerable, so
    // "{}"), and Fastify's reply.send(err) goes through the error handler, which sends
    // { statusCode, error, message } and no stack.
    if (/^(send|json|end|write|render)$/.test(name) && responseChain.test(receiver.replace(/\s+/g, ''))) {
      const exposed = exposesStack(ts, source, name === 'render' ? args[1] : first);
      if (exposed) pushStackTrace(node, exposed);
    }
    if (!receiver && errorhandlerNames.has(name))
      push(node, {
        rule: 'stack-trace-exposure',
        cwe: 'CWE-209',
        severity: 'low',
        confidence: 'low',
        message: 'the development error handler renders stack traces; mount it only when NODE_ENV is development',
      });
    // js-yaml with an unsafe schema.
    if (
      name === 'load' &&
      /yaml/i.test(receiver) &&
      args[1] &&
      /DEFAULT_FULL_SCHEMA|FULL_SCHEMA|js\/function/.test(text(args[1]))
    )
      push(node, {
        rule: 'unsafe-deserialization',
        cwe: 'CWE-502',
        severity: 'critical',
        confidence: 'high',
        message: 'YAML is loaded with a schema that constructs functions',
      });
    // XXE flags on any call.
    if (/parseXml|parseXmlString|parseXmlAsync|xmlParse/.test(name)) {
      const noent = propertyOf(args[1], 'noent');
      if (isTrue(noent))
        push(node, {
          rule: 'xxe',
          cwe: 'CWE-611',
          severity: 'high',
          confidence: 'high',
          message: 'the XML parser expands external entities (noent: true): a document can read local files',
          fix: {
            description: 'Parse with noent: false and without dtdload.',
            replace: { from: noent!.parent.getText(source), to: 'noent: false' },
          },
        });
    }
  };

  for (const statement of source.statements)
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      noteModule(app, statement.moduleSpecifier.text);
      const local = statement.importClause?.name?.text;
      if (statement.moduleSpecifier.text === 'errorhandler' && local) errorhandlerNames.add(local);
    }
  visit(source);
  return { hits, app };
}

// Packages that set security headers: helmet, its sub-middlewares published on their own, and the
// Koa and Fastify ports.
const headerModules =
  /^(helmet|lusca|koa-helmet|@fastify\/helmet|fastify-helmet|hsts|frameguard|x-xss-protection|nocache|helmet-csp|content-security-policy|x-frame-options|dont-sniff-mimetype|hide-powered-by|referrer-policy|expect-ct)$/;
const csrfModules =
  /^(csurf|csrf|csrf-csrf|tiny-csrf|@dr\.pogodin\/csurf|lusca|csrf-sync|@fastify\/csrf-protection|koa-csrf)$/;
const securityHeader =
  /^(content-security-policy|strict-transport-security|x-frame-options|x-content-type-options|cross-origin-opener-policy)$/i;

// A weak hash matters where it protects something; sha1 for the WebSocket accept key, an ETag or a
// cache key is a protocol or a checksum, not a security use.
const securityUse = /sign|token|secret|hmac|auth|credential|nonce|otp|session|integrity|verif|csrf|salt/i;

// rejectUnauthorized: false where the code maps an explicit opt-out the user asked for
// (sslmode=no-verify, an `insecure` flag): a driver's documented option, not a disabled check.
const insecureOptIn = /no-?verify|insecure|unverified|skip-?verif|allow-?unauthori[sz]ed|self-?signed/i;

function underInsecureOptIn(ts: Typescript, source: TS.SourceFile, node: TS.Node): boolean {
  let depth = 0;
  for (let current = node.parent; current && depth < 8; current = current.parent, depth++) {
    if (ts.isCaseClause(current) && insecureOptIn.test(current.expression.getText(source))) return true;
    if (ts.isIfStatement(current) && insecureOptIn.test(current.expression.getText(source))) return true;
    if (ts.isConditionalExpression(current) && insecureOptIn.test(current.condition.getText(source))) return true;
    if (ts.isFunctionLike(current)) return false;
  }
  return false;
}

function noteModule(app: AppFacts, module: string): void {
  if (headerModules.test(module)) app.usesHelmet = true;
  if (csrfModules.test(module)) app.usesCsrf = true;
  if (/^(express-session|cookie-session|koa-session|@fastify\/session|@fastify\/secure-session)$/.test(module))
    app.usesSession = true;
}

// app.post('/x', handler), router.delete(`/x/${id}`, ...): a route, not axios.post('/x', body) on a
// client, so a route table needs a handler after the path and a receiver that is not an HTTP client.
const httpClientReceiver =
  /(^|\.)(axios|http|https|got|request|superagent|fetch|api|client|\$http|ky|needle|instance)$/i;

function isStateChangingRoute(ts: Typescript, name: string, receiver: string, args: readonly TS.Expression[]): boolean {
  const first = args[0];
  if (!['post', 'put', 'patch', 'delete'].includes(name) || !first || args.length < 2) return false;
  if (!(ts.isStringLiteralLike(first) || ts.isTemplateExpression(first))) return false;
  if (!receiver || httpClientReceiver.test(receiver)) return false;
  const last = args[args.length - 1]!;
  return (
    ts.isFunctionLike(last) || ts.isIdentifier(last) || ts.isPropertyAccessExpression(last) || ts.isCallExpression(last)
  );
}

/** What of an error a response argument carries that holds its stack, if anything does. */
function exposesStack(ts: Typescript, source: TS.SourceFile, argument: TS.Expression | undefined): string | undefined {
  if (!argument) return undefined;
  let found: string | undefined;
  const visit = (node: TS.Node): void => {
    if (found) return;
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'stack') {
      found = `the stack trace (${node.getText(source).slice(0, 60)})`;
      return;
    }
    // util.inspect(err) and JSON.stringify(err, Object.getOwnPropertyNames(err)) include the stack.
    if (ts.isCallExpression(node)) {
      const callee = node.expression.getText(source);
      if (/(^|\.)inspect$/.test(callee) && node.arguments.length > 0) {
        found = `util.inspect(${node.arguments[0]!.getText(source).slice(0, 40)}), with its stack,`;
        return;
      }
      if (
        callee === 'JSON.stringify' &&
        node.arguments[1] &&
        /getOwnPropertyNames/.test(node.arguments[1].getText(source))
      ) {
        found = 'the error with all its own properties (stack included)';
        return;
      }
    }
    if (ts.isFunctionLike(node)) return;
    ts.forEachChild(node, visit);
  };
  visit(argument);
  return found;
}
