// Does a request handler check that the caller owns the record it looks up? The IDOR rule asks
// this of every handler that fetches a record by an id from the request. Merely mentioning the
// caller (logging req.user, echoing it in a response) is not a check: the caller's identity must be
// compared with something (`doc.owner !== req.user.id`, `doc.owner.equals(req.user._id)`), passed
// into a query or a policy call (`Order.findOne({ _id, owner: req.user.id })`,
// `canEdit(req.user, doc)`), or tested for a role (`if (req.user.isAdmin)`).
import type TS from 'typescript';
import { identityParts } from './request-sources.js';

type Typescript = typeof TS;

const comparisons = new Set(['===', '!==', '==', '!=']);
// Calls that only record or echo a value: passing the identity to them checks nothing.
const echoCallee =
  /^(console|logger|log|winston|pino|debug|res|response|reply|ctx|h)(\.|$)|\.(log|info|warn|error|debug|trace|json|send|render|write|end|status|set|header|cookie|jsonp)$|^(String|JSON\.stringify|util\.format|format|debug|log)$/;
const callerMember =
  /^(user|userId|session|sessionId|authInfo|auth|principal|currentUser|tenant|tenantId|claims|identity)$/;
const callerHelper = /user|caller|session|principal|identity|owner|tenant|account/i;
// CASL-style abilities and permission sets attached to the request are authorization state too.
const policyMember = /^(ability|abilities|permissions|roles|acl)$/;
const roleMember = /\b(isAdmin|admin|role|roles|permissions?|scopes?|can|owns|isOwner)\b/;

export function checksOwnership(
  ts: Typescript,
  fn: TS.SignatureDeclaration & { body?: TS.Node },
  requestIndex: number,
): boolean {
  if (!fn.body) return false;
  const source = fn.getSourceFile();
  const aliases = new Set<string>();
  const request = fn.parameters[requestIndex]?.name;
  const requestName = request && ts.isIdentifier(request) ? request.text : undefined;
  if (request && ts.isObjectBindingPattern(request))
    for (const element of request.elements) {
      const key = (element.propertyName ?? element.name).getText(source);
      if (identityParts.has(key) && ts.isIdentifier(element.name)) aliases.add(element.name.text);
    }

  const otherParameters = new Set(
    fn.parameters
      .filter((_, index) => index !== requestIndex)
      .map((p) => p.name)
      .filter(ts.isIdentifier)
      .map((name) => name.text),
  );

  /** `req.user…`, `req.session…`, `ctx.state.user…`, `res.locals…`, or an alias of one. */
  const isIdentity = (node: TS.Node): boolean => {
    if (ts.isIdentifier(node)) return aliases.has(node.text);
    // getUserId(req), auth.currentUser(req): a helper that reads the caller from the request.
    if (
      ts.isCallExpression(node) &&
      callerHelper.test(node.expression.getText(source)) &&
      node.arguments.some((a) => ts.isIdentifier(a) && a.text === requestName)
    )
      return true;
    if (!ts.isPropertyAccessExpression(node)) return false;
    const chain: string[] = [];
    let cursor: TS.Expression = node;
    while (ts.isPropertyAccessExpression(cursor)) {
      chain.unshift(cursor.name.text);
      cursor = cursor.expression;
    }
    if (!ts.isIdentifier(cursor)) return false;
    if (/^(res|response)$/.test(cursor.text) && chain[0] === 'locals') return true;
    if (aliases.has(cursor.text)) return true;
    if (cursor.text === requestName)
      return chain.slice(0, 2).some((part) => (identityParts.has(part) && part !== 'token') || policyMember.test(part));
    // Another parameter of the handler that carries the caller: extra.sessionId, context.authInfo.
    return otherParameters.has(cursor.text) && chain.some((part) => callerMember.test(part));
  };
  const mentions = (node: TS.Node): boolean => {
    let found = false;
    const visit = (child: TS.Node): void => {
      if (found) return;
      if (isIdentity(child)) found = true;
      else ts.forEachChild(child, visit);
    };
    visit(node);
    return found;
  };
  /** Walks up from an identity expression and decides whether its use there is a check. */
  const usedAsCheck = (node: TS.Node): boolean => {
    let child = node;
    for (let parent = node.parent; parent && parent !== fn; child = parent, parent = parent.parent) {
      if (ts.isBinaryExpression(parent) && comparisons.has(parent.operatorToken.getText(source))) return true;
      if (ts.isCallExpression(parent)) {
        const callee = parent.expression.getText(source);
        if (child === parent.expression) {
          // req.user.can('edit', doc), req.user.orders.includes(id)
          if (parent.arguments.length > 0) return true;
          continue;
        }
        return !echoCallee.test(callee);
      }
      if (
        (ts.isIfStatement(parent) || ts.isConditionalExpression(parent)) &&
        child === (ts.isIfStatement(parent) ? parent.expression : parent.condition)
      )
        return roleMember.test(child.getText(source));
      if (ts.isVariableDeclaration(parent) || ts.isExpressionStatement(parent) || ts.isReturnStatement(parent))
        return false;
      if (ts.isFunctionLike(parent)) return false;
    }
    return false;
  };

  let checked = false;
  const visit = (node: TS.Node): void => {
    if (checked) return;
    // const me = req.user; const filter = { owner: req.user.id }: the name now carries the identity.
    if (
      ts.isVariableDeclaration(node) &&
      node.initializer &&
      !ts.isFunctionLike(node.initializer) &&
      mentions(node.initializer)
    ) {
      if (ts.isIdentifier(node.name)) aliases.add(node.name.text);
      else if (ts.isObjectBindingPattern(node.name))
        for (const element of node.name.elements) if (ts.isIdentifier(element.name)) aliases.add(element.name.text);
    }
    if (isIdentity(node)) {
      if (usedAsCheck(node)) checked = true;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(fn.body);
  return checked;
}
