// JWT checks for one file: tokens signed without an expiry (jsonwebtoken sign, jose SignJWT),
// algorithm confusion (a public key verified with no algorithms allow-list, or an allow-list that
// mixes HMAC and public-key algorithms), and signing keys held in a literal constant. The "none"
// algorithm and inline literal keys are config-rules.ts's; environment-variable fallbacks are auth-rules.ts's.
import type TS from 'typescript';
import type { PatternHit } from './config-rules.js';

type Typescript = typeof TS;
type Hit = Omit<PatternHit, 'line' | 'endLine' | 'evidence'>;

export function checkJwt(ts: Typescript, source: TS.SourceFile, push: (node: TS.Node, hit: Hit) => void): void {
  // Most files never touch a JWT: skip the two walks below for them.
  if (!/jwt|jose|secretOrKey/i.test(source.text)) return;
  const text = (node: TS.Node | undefined) => (node ? node.getText(source) : '');
  const functionOf = (node: TS.Node): TS.Node | undefined => {
    for (let current = node.parent; current; current = current.parent) if (ts.isFunctionLike(current)) return current;
    return undefined;
  };
  const outerText = (node: TS.Node) => {
    let outer: TS.Node | undefined;
    for (let fn = functionOf(node); fn; fn = functionOf(fn)) outer = fn;
    return text(outer);
  };
  const innerText = (node: TS.Node) => text(functionOf(node));
  const propertyName = (property: TS.ObjectLiteralElementLike) =>
    property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text : '';
  const jwtConfusion = (message: string): Hit => ({
    rule: 'jwt-algorithm-confusion',
    cwe: 'CWE-347',
    severity: 'high',
    confidence: 'medium',
    message: `JWT algorithm confusion: ${message}`,
    fix: { description: "Pin the algorithm: jwt.verify(token, publicKey, { algorithms: ['RS256'] })." },
  });

  // Bindings of jsonwebtoken in this file.
  const jwtNamespaces = new Set(['jwt', 'jsonwebtoken', 'JWT']);
  const jwtSigners = new Set<string>();
  const jwtVerifiers = new Set<string>();
  const declarations = new Map<string, TS.VariableDeclaration>();
  const collect = (node: TS.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && !declarations.has(node.name.text))
      declarations.set(node.name.text, node);
    const module =
      ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)
        ? node.moduleSpecifier.text
        : ts.isVariableDeclaration(node) &&
            node.initializer &&
            /^require\(['"][^'"]+['"]\)$/.test(text(node.initializer))
          ? text(node.initializer).slice(9, -2)
          : '';
    if (module === 'jsonwebtoken') {
      const names: [string, string][] = [];
      if (ts.isImportDeclaration(node)) {
        const clause = node.importClause;
        if (clause?.name) jwtNamespaces.add(clause.name.text);
        const bindings = clause?.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) jwtNamespaces.add(bindings.name.text);
        if (bindings && ts.isNamedImports(bindings))
          for (const e of bindings.elements) names.push([(e.propertyName ?? e.name).text, e.name.text]);
      } else if (ts.isVariableDeclaration(node)) {
        if (ts.isIdentifier(node.name)) jwtNamespaces.add(node.name.text);
        else if (ts.isObjectBindingPattern(node.name))
          for (const e of node.name.elements) names.push([text(e.propertyName ?? e.name), text(e.name)]);
      }
      for (const [imported, local] of names) {
        if (imported === 'sign') jwtSigners.add(local);
        if (imported === 'verify') jwtVerifiers.add(local);
      }
    }
    ts.forEachChild(node, collect);
  };
  collect(source);
  const jwtCall = (call: TS.CallExpression, method: 'sign' | 'verify') => {
    const callee = call.expression;
    if (ts.isIdentifier(callee)) return (method === 'sign' ? jwtSigners : jwtVerifiers).has(callee.text);
    return (
      ts.isPropertyAccessExpression(callee) && callee.name.text === method && jwtNamespaces.has(text(callee.expression))
    );
  };
  const objectFor = (node: TS.Node | undefined): TS.ObjectLiteralExpression | undefined => {
    if (!node) return undefined;
    if (ts.isObjectLiteralExpression(node)) return node;
    if (ts.isIdentifier(node)) {
      const initializer = declarations.get(node.text)?.initializer;
      return initializer && ts.isObjectLiteralExpression(initializer) ? initializer : undefined;
    }
    return undefined;
  };
  const hasKey = (object: TS.ObjectLiteralExpression, key: RegExp) =>
    object.properties.some((p) => key.test(propertyName(p)) || ts.isSpreadAssignment(p));
  const literalSecret = (key: TS.Node | undefined) => {
    if (!key || !ts.isIdentifier(key)) return;
    const declaration = declarations.get(key.text);
    const initializer = declaration?.initializer;
    if (initializer && ts.isStringLiteralLike(initializer) && initializer.text.length > 0)
      push(declaration, {
        rule: 'hardcoded-secret',
        cwe: 'CWE-798',
        severity: 'high',
        confidence: 'high',
        message: `the JWT key ${key.text} is a literal in the source: anyone with the code can forge tokens`,
        fix: { description: 'Load a long random secret (≥ 256 bits) from the environment.' },
      });
  };
  const publicKeyish = (key: TS.Node | undefined): boolean => {
    if (!key) return false;
    const keyText = text(key);
    if (/public|pub_?key|\bcert|\.pem|jwks|getKey|getSigningKey|secretOrPublicKey/i.test(keyText)) return true;
    const initializer = ts.isIdentifier(key) ? declarations.get(key.text)?.initializer : undefined;
    return initializer !== undefined && /\.(pem|pub|crt|cert)\b|PUBLIC KEY|jwks/i.test(text(initializer));
  };

  const visit = (node: TS.Node): void => {
    if (ts.isCallExpression(node)) {
      const call = node;
      const args = call.arguments;
      // JWT signing without expiry, and keys kept in the source.
      if (jwtCall(call, 'sign')) {
        literalSecret(args[1]);
        const options = objectFor(args[2]);
        const payload = objectFor(args[0]);
        const optionsUnknown = args[2] !== undefined && !ts.isFunctionLike(args[2]) && !options;
        const expires =
          (options && hasKey(options, /^(expiresIn|exp)$/)) ||
          (payload && hasKey(payload, /^exp$/)) ||
          (!payload && /\bexp\s*:|\.exp\s*=/.test(innerText(call)));
        if (
          !expires &&
          !optionsUnknown &&
          !(args[0] && ts.isIdentifier(args[0]) && !payload && /\bexp\b/.test(outerText(call)))
        )
          push(call, {
            rule: 'jwt-no-expiry',
            cwe: 'CWE-613',
            severity: 'medium',
            confidence: 'medium',
            message: 'the JWT is signed without expiresIn or exp: a stolen token works forever',
            fix: {
              description: "Pass { expiresIn: '15m' } (short-lived access tokens, refresh tokens for longer sessions).",
            },
          });
      }
      if (jwtCall(call, 'verify')) {
        literalSecret(args[1]);
        const options = objectFor(args[2]);
        const pinned = options ? hasKey(options, /^algorithms$/) : args[2] !== undefined && !ts.isFunctionLike(args[2]);
        if (!pinned && publicKeyish(args[1]))
          push(
            call,
            jwtConfusion(
              'the token is verified with a public key and no algorithms allow-list, so an HS256 token signed with that public key passes',
            ),
          );
      }
    }
    if (ts.isPropertyAssignment(node) && ts.isObjectLiteralExpression(node.parent)) {
      const object = node.parent;
      const property = node;
      const key = propertyName(node);
      const value = node.initializer;
      // passport-jwt / express-jwt options: a public key with no algorithms allow-list.
      if (
        (key === 'secretOrKey' ||
          key === 'secretOrKeyProvider' ||
          (key === 'secret' &&
            ts.isCallExpression(object.parent) &&
            /^(expressJwt|expressjwt|koaJwt|jwt)$/.test(text(object.parent.expression)))) &&
        publicKeyish(value) &&
        !object.properties.some((p) => propertyName(p) === 'algorithms' || ts.isSpreadAssignment(p))
      )
        push(property, jwtConfusion('the strategy verifies tokens with a public key and no algorithms allow-list'));
      // Algorithm confusion: one verifier that accepts both HMAC and public-key algorithms.
      if (key === 'algorithms' && value && ts.isArrayLiteralExpression(value)) {
        const names = value.elements.filter(ts.isStringLiteral).map((e) => e.text.toUpperCase());
        if (names.some((n) => n.startsWith('HS')) && names.some((n) => /^(RS|ES|PS)/.test(n)))
          push(
            property,
            jwtConfusion('both HMAC and public-key algorithms are accepted, so the public key can sign tokens'),
          );
      }
    }
    if (ts.isNewExpression(node) && text(node.expression) === 'SignJWT') {
      let chain: TS.Node = node;
      const methods: string[] = [];
      while (
        chain.parent &&
        (ts.isPropertyAccessExpression(chain.parent) ||
          ts.isCallExpression(chain.parent) ||
          ts.isParenthesizedExpression(chain.parent))
      ) {
        chain = chain.parent;
        if (ts.isPropertyAccessExpression(chain)) methods.push(chain.name.text);
      }
      const payload = objectFor(node.arguments?.[0]);
      if (!methods.includes('setExpirationTime') && !(payload && hasKey(payload, /^exp$/)))
        push(node, {
          rule: 'jwt-no-expiry',
          cwe: 'CWE-613',
          severity: 'medium',
          confidence: 'medium',
          message: 'the JWT is signed without setExpirationTime: a stolen token works forever',
          fix: { description: "Chain .setExpirationTime('15m')." },
        });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
