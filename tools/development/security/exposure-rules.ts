// Data exposure without a data-flow engine: secrets and password hashes sent in responses
// (CWE-200) or written to logs (CWE-532), plain-HTTP servers and API URLs where TLS is expected
// (CWE-319), and card numbers, SSNs and passwords stored in clear (CWE-312). Each check looks at
// one call or object and the function around it; the evidence must name the sensitive field, so
// well-written code that never touches one stays quiet.
import type TS from 'typescript';
import type { PatternHit } from './config-rules.js';
import { lineTextAt } from './line-text.js';

type Typescript = typeof TS;

/** Fields that never belong in a response: a response may carry a fresh token, never a hash. */
const responseSecret =
  /^(password|passwd|passwordHash|password_hash|hashedPassword|hashed_password|salt|passwordSalt|privateKey|private_key|secretKey|secret_key|clientSecret|client_secret|otpSecret|mfaSecret|totpSecret|twoFactorSecret)$/;
/** Fields whose values must not reach a log. */
const logSecret =
  /^(password|passwd|newPassword|oldPassword|currentPassword|confirmPassword|passwordConfirmation|passwordHash|hashedPassword|accessToken|refreshToken|idToken|authToken|resetToken|sessionToken|bearerToken|apiKey|api_key|apiSecret|clientSecret|client_secret|secretKey|privateKey|creditCard|creditCardNumber|cardNumber|ccNumber|cvv|cvc|ssn|authorization)$/;
/** Fields that must be encrypted (or not stored) at rest. */
const storedSecret = /^(ssn|socialSecurityNumber|creditCard|creditCardNumber|cardNumber|ccNumber|cvv|cvc|cardCvv)$/i;
const browserStoredSecret = /password|passwd|credit.?card|card.?number|\bssn\b|cvv/i;
const recordSecretRead = /^(password|passwordHash|password_hash|hashedPassword|hash|salt)$/;
const responseRoot = /^(res|response|resp|reply)(\.(status|type|set|header|code)\([^()]*\))*$/;
const logRoot =
  /^(console|logger|log|this\.logger|this\.log|winston|req\.log|request\.log|ctx\.log|app\.log|fastify\.log)$/;
const logMethods = new Set(['log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal', 'verbose', 'silly', 'notice']);
const storeMethods = new Set([
  'create',
  'insert',
  'insertOne',
  'insertMany',
  'save',
  'update',
  'updateOne',
  'build',
  'upsert',
  'findByIdAndUpdate',
  'findOneAndUpdate',
  'set',
  'put',
  'add',
]);
const requestInput = /^(req|request|ctx\.request)\.(body|query|params|headers|cookies)$/;

export function checkExposure(ts: Typescript, source: TS.SourceFile, options: { isTestFile: boolean }): PatternHit[] {
  const hits: PatternHit[] = [];
  if (options.isTestFile) return hits;
  const text = (node: TS.Node) => node.getText(source);
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
  const push = (node: TS.Node, hit: Omit<PatternHit, 'line' | 'endLine' | 'evidence'>) => {
    const line = lineOf(node.getStart(source));
    if (hits.some((h) => h.rule === hit.rule && h.line === line)) return;
    const evidence = lineTextAt(source, line - 1);
    hits.push({ ...hit, line, endLine: lineOf(node.end), evidence });
  };
  const enclosingFunction = (node: TS.Node): TS.Node => {
    for (let current = node.parent; current; current = current.parent) if (ts.isFunctionLike(current)) return current;
    return source;
  };
  /** Does `fn` read a password/hash field of `name` (user.password), or select it explicitly? */
  const readsSecretOf = (fn: TS.Node, name: string): string | undefined => {
    let found: string | undefined;
    let removed = false;
    const visit = (node: TS.Node): void => {
      if (found && removed) return;
      if (
        ts.isPropertyAccessExpression(node) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === name &&
        recordSecretRead.test(node.name.text)
      ) {
        const parent = node.parent;
        // delete user.password / user.password = undefined: removed before sending.
        if (
          ts.isDeleteExpression(parent) ||
          (ts.isBinaryExpression(parent) &&
            parent.left === node &&
            parent.operatorToken.kind === ts.SyntaxKind.EqualsToken)
        )
          removed = true;
        else found = `${name}.${node.name.text}`;
      }
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name && node.initializer)
        if (/['"`]\+password/.test(text(node.initializer))) found = `${name}.password`;
      ts.forEachChild(node, visit);
    };
    visit(fn);
    return removed ? undefined : found;
  };
  /** The record variables an expression sends whole: `user`, `{ user }`, `{ ...user }`, `{ data: user }`. */
  const wholeRecords = (node: TS.Expression): TS.Identifier[] => {
    if (ts.isIdentifier(node)) return [node];
    if (!ts.isObjectLiteralExpression(node)) return [];
    const out: TS.Identifier[] = [];
    for (const property of node.properties) {
      if (ts.isShorthandPropertyAssignment(property)) out.push(property.name);
      else if (ts.isSpreadAssignment(property) && ts.isIdentifier(property.expression)) out.push(property.expression);
      else if (ts.isPropertyAssignment(property) && ts.isIdentifier(property.initializer))
        out.push(property.initializer);
    }
    return out;
  };
  const isLiteral = (node: TS.Expression) =>
    ts.isStringLiteralLike(node) ||
    ts.isNumericLiteral(node) ||
    node.kind === ts.SyntaxKind.TrueKeyword ||
    node.kind === ts.SyntaxKind.FalseKeyword ||
    node.kind === ts.SyntaxKind.NullKeyword ||
    (ts.isIdentifier(node) && node.text === 'undefined');

  const responseBody = (body: TS.Expression, at: TS.Node) => {
    if (ts.isObjectLiteralExpression(body))
      for (const property of body.properties) {
        const key =
          (ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)) &&
          (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))
            ? property.name.text
            : undefined;
        if (!key || !responseSecret.test(key)) continue;
        if (ts.isPropertyAssignment(property) && isLiteral(property.initializer)) continue;
        push(property, {
          rule: 'sensitive-data-in-response',
          cwe: 'CWE-200',
          severity: 'high',
          confidence: 'high',
          message: `the response carries "${key}": password hashes, salts and keys must never leave the server`,
          fix: { description: `Drop "${key}" from the response; send only the fields the client needs.` },
        });
      }
    const fn = enclosingFunction(at);
    for (const record of wholeRecords(body)) {
      const read = readsSecretOf(fn, record.text);
      if (!read) continue;
      push(at, {
        rule: 'sensitive-data-in-response',
        cwe: 'CWE-200',
        severity: 'high',
        confidence: 'medium',
        message: `the whole "${record.text}" record is sent, and it holds the password hash this function reads (${read})`,
        fix: {
          description: `Send a projection: const { password, ...safe } = ${record.text}; or select('-password') in the query.`,
        },
      });
      return;
    }
  };

  const logArgument = (argument: TS.Expression, call: TS.CallExpression) => {
    const named: string[] = [];
    const visit = (node: TS.Node): void => {
      if (ts.isPropertyAccessExpression(node)) {
        const name = node.name.text;
        if (logSecret.test(name) || (name === 'token' && requestInput.test(text(node.expression))))
          named.push(text(node));
        else if (name === 'cookie' && /^(req|request)\.headers$/.test(text(node.expression))) named.push(text(node));
        return;
      }
      if (ts.isIdentifier(node)) {
        if (logSecret.test(node.text) && node.text !== 'authorization') named.push(node.text);
        return;
      }
      if (ts.isCallExpression(node)) {
        // JSON.stringify(x) and String(x) still log x; a mask or hash call does not.
        if (/^(JSON\.stringify|String|util\.inspect|util\.format|inspect)$/.test(text(node.expression)))
          node.arguments.forEach(visit);
        return;
      }
      if (ts.isFunctionLike(node)) return;
      ts.forEachChild(node, visit);
    };
    visit(argument);
    // The whole body of a request that carries a password, or a whole record with its hash.
    const fn = enclosingFunction(call);
    if (named.length === 0 && /^(req|request)\.body$/.test(text(argument)) && /\bpassword\b/.test(text(fn)))
      named.push(`${text(argument)} (with its password)`);
    if (named.length === 0 && ts.isIdentifier(argument) && readsSecretOf(fn, argument.text))
      named.push(`${argument.text} (with its password hash)`);
    if (named.length === 0) return;
    push(call, {
      rule: 'sensitive-data-in-log',
      cwe: 'CWE-532',
      severity: 'medium',
      confidence: 'medium',
      message: `${named[0]} is written to the log, where anyone with log access can read it`,
      fix: { description: 'Log an id or a masked value instead; never passwords, tokens, keys or card data.' },
    });
  };

  const cleartextUrl = (node: TS.Expression | undefined, at: TS.Node) => {
    if (!node) return;
    let head: string | undefined;
    if (ts.isStringLiteralLike(node)) head = node.text;
    else if (ts.isTemplateExpression(node)) head = node.head.text;
    else if (ts.isBinaryExpression(node) && ts.isStringLiteralLike(node.left)) head = node.left.text;
    const match = head && /^(http|ws):\/\/([^/:?#\s]+)/i.exec(head);
    if (!match) return;
    const host = match[2]!.toLowerCase();
    if (
      !host.includes('.') ||
      /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|0\.0\.0\.0|169\.254\.)/.test(host) ||
      /(^|\.)(localhost|local|internal|test|example|example\.com|example\.org|example\.net|invalid|lan|home\.arpa)$/.test(
        host,
      ) ||
      /(^|\.)(w3\.org|xmlsoft\.org|schemas\.[\w.]+|json-schema\.org|purl\.org|xmlns\.com|docker\.internal)$/.test(host)
    )
      return;
    push(at, {
      rule: 'cleartext-transport',
      cwe: 'CWE-319',
      severity: 'medium',
      confidence: 'medium',
      message: `${match[1]!.toLowerCase()}://${host} is requested without TLS: anyone on the path can read and change the traffic`,
      fix: { description: `Use ${match[1]!.toLowerCase() === 'ws' ? 'wss' : 'https'}://.` },
    });
  };

  const fileText = source.text;
  const sessionsOrLogins = /express-session|cookie-session|passport|['"`]\/login|req\.session|jsonwebtoken/.test(
    fileText,
  );
  const tlsTerminated = /https\.createServer|createSecureServer|trust proxy|spdy|greenlock/.test(fileText);

  const visit = (node: TS.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const receiver = text(node.expression.expression).replace(/\s+/g, '');
      const args = node.arguments;
      if ((method === 'json' || method === 'send') && responseRoot.test(receiver) && args[0])
        responseBody(args[0], node);
      if (logMethods.has(method) && logRoot.test(receiver)) args.forEach((a) => logArgument(a, node));
      if (
        method === 'createServer' &&
        /^(http|https?Module)$/.test(receiver) &&
        sessionsOrLogins &&
        !tlsTerminated &&
        /require\(['"](node:)?http['"]\)|from ['"](node:)?http['"]/.test(fileText)
      )
        push(node, {
          rule: 'cleartext-transport',
          cwe: 'CWE-319',
          severity: 'medium',
          confidence: 'low',
          message:
            'a plain HTTP server carries logins and session cookies, and nothing in this file terminates TLS (no https server, no trusted proxy)',
          fix: {
            description:
              "Serve over HTTPS (https.createServer with a certificate), or set 'trust proxy' behind a TLS proxy.",
          },
        });
      if (
        (/^(axios|got|superagent|request|needle|http|https|ky)$/.test(receiver) &&
          ['get', 'post', 'put', 'patch', 'delete', 'request', 'head'].includes(method)) ||
        (receiver === 'axios' && method === 'create')
      ) {
        cleartextUrl(args[0], node);
        if (args[0] && ts.isObjectLiteralExpression(args[0]))
          for (const property of args[0].properties)
            if (
              ts.isPropertyAssignment(property) &&
              ts.isIdentifier(property.name) &&
              /^(baseURL|url|uri)$/.test(property.name.text)
            )
              cleartextUrl(property.initializer, property);
      }
      if (
        method === 'setItem' &&
        /^(window\.)?(localStorage|sessionStorage)$/.test(receiver) &&
        args.length === 2 &&
        (browserStoredSecret.test(ts.isStringLiteralLike(args[0]!) ? args[0].text : '') ||
          browserStoredSecret.test(text(args[1]!).split('.').pop() ?? ''))
      )
        push(node, {
          rule: 'cleartext-storage',
          cwe: 'CWE-312',
          severity: 'medium',
          confidence: 'medium',
          message: `${receiver} keeps this credential or card value in clear, readable by any script on the origin`,
          fix: { description: 'Do not keep passwords or card data in the browser; keep a server session instead.' },
        });
      if (
        storeMethods.has(method) &&
        !/^(res|req|map|cache|headers|searchParams|localStorage|sessionStorage)$/.test(receiver)
      )
        for (const argument of args) {
          if (!ts.isObjectLiteralExpression(argument)) continue;
          for (const property of argument.properties) {
            if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) continue;
            const key = ts.isIdentifier(property.name) || ts.isStringLiteral(property.name) ? property.name.text : '';
            if (!storedSecret.test(key)) continue;
            // encrypt(x), tokenize(x), x.slice(-4): not the clear value.
            if (ts.isPropertyAssignment(property) && !/^[\w.$[\]'"]+$/.test(text(property.initializer))) continue;
            if (ts.isPropertyAssignment(property) && isLiteral(property.initializer)) continue;
            push(property, {
              rule: 'cleartext-storage',
              cwe: 'CWE-312',
              severity: 'high',
              confidence: 'medium',
              message: `"${key}" is stored in clear; a database leak exposes it directly`,
              fix: {
                description:
                  'Encrypt the field (a KMS-held key, field-level encryption) or store a processor token and the last four digits only.',
              },
            });
          }
        }
    }
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'fetch')
      cleartextUrl(node.arguments[0], node);
    if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      /^(WebSocket|EventSource)$/.test(node.expression.text)
    )
      cleartextUrl(node.arguments?.[0], node);
    // ctx.body = { ... } (Koa).
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      text(node.left) === 'ctx.body'
    )
      responseBody(node.right, node);
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      text(node.left) === 'document.cookie' &&
      browserStoredSecret.test(text(node.right))
    )
      push(node, {
        rule: 'cleartext-storage',
        cwe: 'CWE-312',
        severity: 'medium',
        confidence: 'medium',
        message: 'a credential is stored in a cookie in clear',
        fix: { description: 'Keep a server-side session id in the cookie, never the credential.' },
      });
    ts.forEachChild(node, visit);
  };
  visit(source);
  return hits;
}
