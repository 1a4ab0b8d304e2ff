// Python security checks on the tree-sitter tree: dangerous calls (eval/exec, shell commands,
// pickle/marshal/unsafe YAML, SQL built from strings, disabled TLS verification, weak password
// hashes, predictable tokens, mktemp, Flask debug, unverified JWTs, XML entity expansion) and
// hard-coded secrets. Import aliases are resolved (`from os import system`, `import subprocess as
// sp`). Inside each function, names assigned from web request input (Flask/Django/FastAPI request
// attributes, input(), sys.argv) are tracked, so a call fed by input is reported with high
// confidence and a call on constants is not reported at all.
import type { PatternHit } from '../security/config-rules.js';
import { looksLikeSecretAssignment, passwordContext, tokenContext, tokenKind } from '../security/secret-patterns.js';
import { children } from './python-metrics.js';
import type { PythonNode } from './python-parser.js';

export const requestAttributes =
  /^(args|form|values|json|data|files|cookies|headers|GET|POST|FILES|COOKIES|META|body|query_params|path_params|get_json|get_data)$/;

export interface CallRule {
  rule: string;
  cwe: string;
  severity: PatternHit['severity'];
  message: string;
  fix: string;
  /** Which argument carries the danger (default 0); undefined means any argument. */
  argument?: number | 'any';
  /** Reported even on constant arguments (the call itself is the problem). */
  always?: boolean;
  /** Only when this keyword is present with a truthy constant (shell=True, verify=False...). */
  keyword?: { name: string; value: string };
}

export const callRules: Record<string, CallRule> = {
  eval: {
    rule: 'code-injection',
    cwe: 'CWE-95',
    severity: 'critical',
    message: 'eval() runs its argument as Python code',
    fix: 'Parse the data instead (ast.literal_eval for literals, json.loads, int()).',
  },
  exec: {
    rule: 'code-injection',
    cwe: 'CWE-95',
    severity: 'critical',
    message: 'exec() runs its argument as Python code',
    fix: 'Do not execute input; dispatch on an allow-list of operations instead.',
  },
  'os.system': {
    rule: 'command-injection',
    cwe: 'CWE-78',
    severity: 'critical',
    message: 'os.system() runs its argument through the shell',
    fix: 'Use subprocess.run([...], shell=False) with an argument list, and validate input against an allow-list.',
  },
  'os.popen': {
    rule: 'command-injection',
    cwe: 'CWE-78',
    severity: 'critical',
    message: 'os.popen() runs its argument through the shell',
    fix: 'Use subprocess.run([...], shell=False) with an argument list.',
  },
  'subprocess.run': {
    rule: 'command-injection',
    cwe: 'CWE-78',
    severity: 'critical',
    message: 'subprocess with shell=True runs the command through the shell',
    fix: 'Pass an argument list with shell=False (the default); quote with shlex.quote only as a last resort.',
    keyword: { name: 'shell', value: 'True' },
  },
  'subprocess.call': {
    rule: 'command-injection',
    cwe: 'CWE-78',
    severity: 'critical',
    message: 'subprocess with shell=True runs the command through the shell',
    fix: 'Pass an argument list with shell=False (the default).',
    keyword: { name: 'shell', value: 'True' },
  },
  'subprocess.check_call': {
    rule: 'command-injection',
    cwe: 'CWE-78',
    severity: 'critical',
    message: 'subprocess with shell=True runs the command through the shell',
    fix: 'Pass an argument list with shell=False (the default).',
    keyword: { name: 'shell', value: 'True' },
  },
  'subprocess.check_output': {
    rule: 'command-injection',
    cwe: 'CWE-78',
    severity: 'critical',
    message: 'subprocess with shell=True runs the command through the shell',
    fix: 'Pass an argument list with shell=False (the default).',
    keyword: { name: 'shell', value: 'True' },
  },
  'subprocess.Popen': {
    rule: 'command-injection',
    cwe: 'CWE-78',
    severity: 'critical',
    message: 'subprocess with shell=True runs the command through the shell',
    fix: 'Pass an argument list with shell=False (the default).',
    keyword: { name: 'shell', value: 'True' },
  },
  'subprocess.getoutput': {
    rule: 'command-injection',
    cwe: 'CWE-78',
    severity: 'critical',
    message: 'subprocess.getoutput() runs its argument through the shell',
    fix: 'Use subprocess.run([...]) with an argument list.',
  },
  'pickle.loads': {
    rule: 'unsafe-deserialization',
    cwe: 'CWE-502',
    severity: 'critical',
    message: 'unpickling data runs arbitrary code chosen by whoever wrote it',
    fix: 'Exchange untrusted data as JSON (json.loads) or a schema-checked format, never pickle.',
    argument: 0,
  },
  'pickle.load': {
    rule: 'unsafe-deserialization',
    cwe: 'CWE-502',
    severity: 'critical',
    message: 'unpickling data runs arbitrary code chosen by whoever wrote it',
    fix: 'Exchange untrusted data as JSON, never pickle.',
  },
  'cPickle.loads': {
    rule: 'unsafe-deserialization',
    cwe: 'CWE-502',
    severity: 'critical',
    message: 'unpickling data runs arbitrary code chosen by whoever wrote it',
    fix: 'Exchange untrusted data as JSON, never pickle.',
  },
  'marshal.loads': {
    rule: 'unsafe-deserialization',
    cwe: 'CWE-502',
    severity: 'high',
    message: 'marshal is not safe against crafted data',
    fix: 'Use json.loads for untrusted data.',
  },
  'shelve.open': {
    rule: 'unsafe-deserialization',
    cwe: 'CWE-502',
    severity: 'medium',
    message: 'shelve unpickles its values',
    fix: 'Do not open shelves from untrusted locations.',
  },
  'yaml.unsafe_load': {
    rule: 'unsafe-deserialization',
    cwe: 'CWE-502',
    severity: 'critical',
    message: 'yaml.unsafe_load constructs arbitrary Python objects',
    fix: 'Use yaml.safe_load.',
    always: true,
  },
  'yaml.load': {
    rule: 'unsafe-deserialization',
    cwe: 'CWE-502',
    severity: 'critical',
    message: 'yaml.load without SafeLoader can construct arbitrary Python objects',
    fix: 'Use yaml.safe_load(data) or yaml.load(data, Loader=yaml.SafeLoader).',
    always: true,
  },
  'jsonpickle.decode': {
    rule: 'unsafe-deserialization',
    cwe: 'CWE-502',
    severity: 'critical',
    message: 'jsonpickle.decode constructs arbitrary Python objects',
    fix: 'Use json.loads.',
  },
  'tempfile.mktemp': {
    rule: 'insecure-temp-file',
    cwe: 'CWE-377',
    severity: 'medium',
    message: 'tempfile.mktemp() returns a name another process can claim before you open it',
    fix: 'Use tempfile.mkstemp() or NamedTemporaryFile().',
    always: true,
  },
  'requests.get': {
    rule: 'tls-verification-disabled',
    cwe: 'CWE-295',
    severity: 'high',
    message: 'verify=False turns off TLS certificate checks: anyone on the path can read and change the traffic',
    fix: 'Remove verify=False (or point verify at a CA bundle).',
    keyword: { name: 'verify', value: 'False' },
    always: true,
  },
  'ssl._create_unverified_context': {
    rule: 'tls-verification-disabled',
    cwe: 'CWE-295',
    severity: 'high',
    message: 'an unverified SSL context accepts any certificate',
    fix: 'Use ssl.create_default_context().',
    always: true,
  },
  'flask.render_template_string': {
    rule: 'template-injection',
    cwe: 'CWE-1336',
    severity: 'critical',
    message:
      'render_template_string() compiles its argument as a Jinja2 template: input in it is server-side template injection',
    fix: 'Render a fixed template file and pass input as a variable: render_template("page.html", name=name).',
  },
  'jinja2.Template': {
    rule: 'template-injection',
    cwe: 'CWE-1336',
    severity: 'critical',
    message: 'a Jinja2 Template built from input is server-side template injection',
    fix: 'Keep templates fixed and pass input as variables.',
  },
  'markupsafe.Markup': {
    rule: 'xss',
    cwe: 'CWE-79',
    severity: 'high',
    message: 'Markup() marks input as safe HTML, so it is not escaped',
    fix: 'Pass the value to the template unmarked and let auto-escaping handle it.',
  },
  'django.utils.safestring.mark_safe': {
    rule: 'xss',
    cwe: 'CWE-79',
    severity: 'high',
    message: "mark_safe() on input disables Django's escaping",
    fix: 'Use format_html() or let the template escape the value.',
  },
  'flask.redirect': {
    rule: 'open-redirect',
    cwe: 'CWE-601',
    severity: 'medium',
    message: 'the redirect target comes from the request',
    fix: 'Redirect only to relative paths or allow-listed hosts (check urlparse(target).netloc).',
  },
  'django.shortcuts.redirect': {
    rule: 'open-redirect',
    cwe: 'CWE-601',
    severity: 'medium',
    message: 'the redirect target comes from the request',
    fix: 'Check it with url_has_allowed_host_and_scheme() first.',
  },
  open: {
    rule: 'path-traversal',
    cwe: 'CWE-22',
    severity: 'high',
    message: 'a file path built from request input can escape the intended directory (../)',
    fix: 'Resolve against a base directory and check the result stays inside (os.path.realpath + commonpath), or use werkzeug.utils.secure_filename.',
  },
  'flask.send_file': {
    rule: 'path-traversal',
    cwe: 'CWE-22',
    severity: 'high',
    message: 'send_file() with a path from the request can read any file',
    fix: 'Use send_from_directory(base, name), which refuses paths outside base.',
  },
  'urllib.request.urlopen': {
    rule: 'ssrf',
    cwe: 'CWE-918',
    severity: 'high',
    message: 'the server fetches a URL chosen by the request (SSRF)',
    fix: 'Fix the host, or check the parsed URL against an allow-list and block private addresses.',
  },
  'xml.dom.minidom.parseString': {
    rule: 'xxe',
    cwe: 'CWE-611',
    severity: 'medium',
    message: 'the standard-library XML parsers are open to entity-expansion attacks on untrusted input',
    fix: 'Parse untrusted XML with defusedxml.',
  },
  'xml.etree.ElementTree.fromstring': {
    rule: 'xxe',
    cwe: 'CWE-611',
    severity: 'medium',
    message: 'the standard-library XML parsers are open to entity-expansion attacks on untrusted input',
    fix: 'Parse untrusted XML with defusedxml.ElementTree.',
  },
  'lxml.etree.XMLParser': {
    rule: 'xxe',
    cwe: 'CWE-611',
    severity: 'high',
    message: 'resolve_entities=True lets a document read local files through external entities',
    fix: 'Pass resolve_entities=False and no_network=True.',
    keyword: { name: 'resolve_entities', value: 'True' },
    always: true,
  },
};
// requests.<verb>(verify=False) and httpx share the rule.
for (const verb of ['post', 'put', 'patch', 'delete', 'head', 'request', 'Session'])
  callRules[`requests.${verb}`] = callRules['requests.get']!;
for (const verb of ['get', 'post', 'put', 'delete', 'Client', 'AsyncClient'])
  callRules[`httpx.${verb}`] = callRules['requests.get']!;
export const ssrfRule: CallRule = {
  rule: 'ssrf',
  cwe: 'CWE-918',
  severity: 'high',
  message: 'the server fetches a URL chosen by the request (SSRF)',
  fix: 'Fix the host, or check the parsed URL against an allow-list and block private addresses.',
};
const inherentlyDangerous = new Set([
  'eval',
  'exec',
  'os.system',
  'os.popen',
  'subprocess.getoutput',
  'pickle.loads',
  'pickle.load',
  'cPickle.loads',
  'marshal.loads',
  'jsonpickle.decode',
]);
export const sqlMethods = new Set(['execute', 'executemany', 'executescript', 'raw', 'extra']);

/** Maps local names to the dotted names they were imported as. */
export function importAliases(root: PythonNode): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const statement of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (!statement) continue;
    if (statement.type === 'import_statement') {
      for (const child of children(statement)) {
        if (child.type === 'aliased_import')
          aliases.set(child.childForFieldName('alias')!.text, child.childForFieldName('name')!.text);
        else if (child.type === 'dotted_name') aliases.set(child.text.split('.')[0]!, child.text.split('.')[0]!);
      }
    } else {
      const module = statement.childForFieldName('module_name')?.text ?? '';
      for (const child of children(statement).slice(1)) {
        if (child.type === 'aliased_import')
          aliases.set(child.childForFieldName('alias')!.text, `${module}.${child.childForFieldName('name')!.text}`);
        else if (child.type === 'dotted_name') aliases.set(child.text, `${module}.${child.text}`);
      }
    }
  }
  return aliases;
}

export function dottedName(node: PythonNode, aliases: Map<string, string>): string {
  const text = node.type === 'identifier' || node.type === 'attribute' ? node.text.replace(/\s+/g, '') : '';
  if (!text) return '';
  const [head, ...rest] = text.split('.');
  const resolved = aliases.get(head!);
  return resolved ? [resolved, ...rest].join('.') : text;
}

const constantTypes = new Set(['string', 'integer', 'float', 'true', 'false', 'none', 'concatenated_string']);

export function checkPython(
  root: PythonNode,
  lines: readonly string[],
  options: { isTestFile: boolean },
): PatternHit[] {
  const hits: PatternHit[] = [];
  const aliases = importAliases(root);
  // Calls into project code (functions of this file, names imported relatively) are left to the
  // cross-module linker (python-linker.ts), which knows whether they return their input or clean it.
  const projectNames = new Set(
    children(root)
      .map((c) => (c.type === 'decorated_definition' ? c.childForFieldName('definition') : c))
      .filter((c): c is PythonNode => c?.type === 'function_definition')
      .map((c) => c.childForFieldName('name')!.text),
  );
  for (const [local, dotted] of aliases) if (dotted.startsWith('.')) projectNames.add(local);
  const push = (node: PythonNode, hit: Omit<PatternHit, 'line' | 'endLine' | 'evidence'>) => {
    const line = node.startPosition.row + 1;
    if (hits.some((h) => h.rule === hit.rule && h.line === line)) return;
    hits.push({
      ...hit,
      line,
      endLine: node.endPosition.row + 1,
      evidence: (lines[line - 1] ?? '').trim().slice(0, 240),
    });
  };
  // Names holding request input, per scope (function bodies and the module), filled in source order.
  const taintedIn = new Map<number, Set<string>>();
  const scopeOf = (node: PythonNode): PythonNode => {
    let current = node.parent;
    while (current && current.type !== 'function_definition' && current.type !== 'module') current = current.parent;
    return current ?? node;
  };
  const taintedNames = (node: PythonNode) => {
    const scope = scopeOf(node);
    let names = taintedIn.get(scope.id);
    if (!names) taintedIn.set(scope.id, (names = new Set()));
    return names;
  };
  const isTainted = (expression: PythonNode | null): boolean => {
    if (!expression) return false;
    if (
      expression.type === 'attribute' &&
      expression.childForFieldName('object')?.text === 'request' &&
      requestAttributes.test(expression.childForFieldName('attribute')?.text ?? '')
    )
      return true;
    if (expression.type === 'identifier') return taintedNames(expression).has(expression.text);
    if (expression.type === 'call') {
      const callee = expression.childForFieldName('function');
      const name = callee ? dottedName(callee, aliases) : '';
      if (name === 'input' || name === 'raw_input') return true;
      const head = callee?.type === 'attribute' ? callee.text.split('.')[0]! : (callee?.text ?? '');
      if ((callee?.type === 'identifier' || callee?.type === 'attribute') && projectNames.has(head)) return false;
      // A sanitiser's result is clean.
      if (/(^|\.)(secure_filename|escape|quote|shlex\.quote|int|float|bool|basename|literal_eval)$/.test(name))
        return false;
    }
    if (expression.type === 'attribute' && expression.text === 'sys.argv') return true;
    return children(expression).some((child) => child.type !== 'lambda' && isTainted(child));
  };
  const isConstant = (expression: PythonNode | null | undefined): boolean =>
    !expression ||
    constantTypes.has(expression.type) ||
    (expression.type === 'list' && children(expression).every((c) => constantTypes.has(c.type)));
  const isBuiltString = (expression: PythonNode | null | undefined): boolean => {
    if (!expression) return false;
    if (expression.type === 'string') return children(expression).some((c) => c.type === 'interpolation');
    if (expression.type === 'binary_operator')
      return ['+', '%'].includes(expression.childForFieldName('operator')?.text ?? '') && !isConstant(expression);
    if (expression.type === 'call')
      return (
        expression.childForFieldName('function')?.type === 'attribute' &&
        expression.childForFieldName('function')!.childForFieldName('attribute')?.text === 'format'
      );
    return false;
  };

  const visit = (node: PythonNode): void => {
    if (node.type === 'assignment') {
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if (left?.type === 'identifier' && right) {
        if (isTainted(right)) taintedNames(node).add(left.text);
        else taintedNames(node).delete(left.text);
        if (
          right.type === 'string' &&
          !options.isTestFile &&
          children(right).every((c) => c.type !== 'interpolation')
        ) {
          const literal = right.text.replace(/^[rbuRBU]*("""|'''|"|')/, '').replace(/("""|'''|"|')$/, '');
          if (looksLikeSecretAssignment(left.text, literal))
            push(node, {
              rule: 'hardcoded-secret',
              cwe: 'CWE-798',
              severity: 'high',
              confidence: 'medium',
              message: `"${left.text}" is a hard-coded secret in the source`,
              fix: {
                description:
                  'Read it from the environment (os.environ) or a secret store, and rotate the exposed value.',
              },
            });
        }
      }
      // app.config['SECRET_KEY'] = '...' and app.secret_key = '...'
      if (
        left &&
        (left.type === 'subscript' || left.type === 'attribute') &&
        right?.type === 'string' &&
        !options.isTestFile
      ) {
        const key =
          left.type === 'subscript'
            ? (left.childForFieldName('subscript')?.text ?? '').replace(/['"]/g, '')
            : (left.childForFieldName('attribute')?.text ?? '');
        const literal = right.text.replace(/^[rbuRBU]*("""|'''|"|')/, '').replace(/("""|'''|"|')$/, '');
        if (looksLikeSecretAssignment(key, literal))
          push(node, {
            rule: 'hardcoded-secret',
            cwe: 'CWE-798',
            severity: 'high',
            confidence: 'high',
            message: `${key} is a literal in the source, so anyone with the code can forge what it signs`,
            fix: { description: 'Load it from the environment and rotate the exposed value.' },
          });
      }
    }
    if (node.type === 'string' && !options.isTestFile) {
      const kind = tokenKind(node.text);
      if (kind)
        push(node, {
          rule: 'hardcoded-secret',
          cwe: 'CWE-798',
          severity: 'critical',
          confidence: 'high',
          message: `a ${kind} is committed in the source`,
          fix: { description: 'Revoke and rotate it, then load it from the environment or a secret store.' },
        });
    }
    if (node.type === 'call') checkCall(node);
    for (const child of children(node)) visit(child);
  };

  const checkCall = (call: PythonNode) => {
    const callee = call.childForFieldName('function');
    const argumentList = call.childForFieldName('arguments');
    if (!callee || !argumentList) return;
    const args = children(argumentList).filter((a) => a.type !== 'comment');
    const positional = args.filter((a) => a.type !== 'keyword_argument');
    const keyword = (name: string) =>
      args
        .find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name)
        ?.childForFieldName('value');
    const name = dottedName(callee, aliases);
    const method = callee.type === 'attribute' ? (callee.childForFieldName('attribute')?.text ?? '') : '';

    // SQL built from strings: cursor.execute(f"... {x}"), "..." % x, "..." + x, "...".format(x).
    if (sqlMethods.has(method) && positional[0]) {
      let query: PythonNode | null | undefined = positional[0];
      if (query.type === 'identifier') {
        // Follow one assignment back in the same scope: query = f"..."; cursor.execute(query)
        const scope = scopeOf(call);
        const assignment = scope
          .descendantsOfType('assignment')
          .filter(
            (a): a is PythonNode =>
              a !== null && a.startIndex < call.startIndex && a.childForFieldName('left')?.text === query!.text,
          )
          .pop();
        query = assignment?.childForFieldName('right') ?? query;
      }
      if (
        isBuiltString(query) &&
        /\b(select|insert|update|delete|where|from|into|values|order by|drop|create)\b/i.test(query!.text)
      ) {
        push(call, {
          rule: 'sql-injection',
          cwe: 'CWE-89',
          severity: 'critical',
          confidence: isTainted(positional[0]) ? 'high' : 'medium',
          message: `the SQL passed to ${method}() is built by string formatting${isTainted(positional[0]) ? ' from request input' : ''}`,
          fix: { description: 'Pass values as parameters: cursor.execute("... WHERE id = %s", (value,)).' },
        });
      }
      return;
    }
    // Outbound requests to a URL from the request.
    if (
      /^(requests|httpx)\.(get|post|put|patch|delete|head|request)$/.test(name) &&
      isTainted(positional[name.endsWith('request') ? 1 : 0] ?? keyword('url') ?? null)
    ) {
      push(call, { ...ssrfRule, confidence: 'high', fix: { description: ssrfRule.fix } });
    }
    // yaml.load with a safe loader is fine.
    if (
      name === 'yaml.load' &&
      /SafeLoader|CSafeLoader|BaseLoader/.test(keyword('Loader')?.text ?? positional[1]?.text ?? '')
    )
      return;
    // Weak hashes on passwords; predictable randomness for tokens.
    if (
      /^hashlib\.(md5|sha1)$/.test(name) ||
      (name === 'hashlib.new' && /^['"](md5|sha1)['"]$/i.test(positional[0]?.text ?? ''))
    ) {
      const context = `${positional.map((p) => p.text).join(' ')} ${enclosingName(call)} ${assignedName(call)}`;
      if (passwordContext.test(context))
        push(call, {
          rule: 'weak-password-hash',
          cwe: 'CWE-916',
          severity: 'high',
          confidence: 'medium',
          message: `${name.split('.').pop()} is a fast, broken hash: passwords hashed with it are cracked in seconds`,
          fix: {
            description:
              'Hash passwords with bcrypt, scrypt or argon2 (hashlib.scrypt is built in), with a per-user salt.',
          },
        });
      return;
    }
    if (
      /^random\.(random|randint|choice|choices|randrange|getrandbits|sample)$/.test(name) &&
      tokenContext.test(assignedName(call) || enclosingName(call))
    ) {
      push(call, {
        rule: 'insecure-randomness',
        cwe: 'CWE-338',
        severity: 'medium',
        confidence: 'medium',
        message: `${name}() is predictable; it must not make tokens, passwords or session ids`,
        fix: { description: 'Use the secrets module (secrets.token_urlsafe, secrets.choice).' },
      });
      return;
    }
    if (
      method === 'run' &&
      /^(True|1)$/.test(keyword('debug')?.text ?? '') &&
      /app$/i.test(callee.childForFieldName('object')?.text ?? '')
    ) {
      push(call, {
        rule: 'debug-mode',
        cwe: 'CWE-489',
        severity: 'high',
        confidence: 'high',
        message: 'the app runs with debug=True: the Werkzeug debugger lets anyone who reaches an error page run code',
        fix: {
          description: 'Never enable debug in a deployed app; read it from the environment.',
          replace: { from: 'debug=True', to: 'debug=False' },
        },
      });
      return;
    }
    if (
      name === 'jwt.decode' &&
      (/verify_signature['"]\s*:\s*False/.test(keyword('options')?.text ?? '') ||
        keyword('verify')?.text === 'False' ||
        /['"]none['"]/i.test(keyword('algorithms')?.text ?? ''))
    ) {
      push(call, {
        rule: 'jwt-unverified',
        cwe: 'CWE-347',
        severity: 'high',
        confidence: 'high',
        message: 'the JWT is decoded without verifying its signature, so anyone can forge one',
        fix: { description: 'Verify with the key and an explicit algorithms=["HS256"] (or your algorithm) list.' },
      });
      return;
    }
    const rule =
      callRules[name] ?? (callee.type === 'identifier' ? undefined : callRules[name.split('.').slice(-2).join('.')]);
    if (!rule) return;
    if (rule.keyword) {
      const value = keyword(rule.keyword.name);
      if (value?.text !== rule.keyword.value) return;
    }
    const target = rule.argument === 'any' ? undefined : positional[rule.argument ?? 0];
    const tainted = rule.argument === 'any' ? positional.some((p) => isTainted(p)) : isTainted(target ?? null);
    // Constant input is harmless unless the call itself is the problem; a string built by
    // formatting is suspect even without a traced source; a plain variable is reported only for
    // calls that are dangerous on any data they did not create themselves.
    const report =
      rule.always ||
      tainted ||
      (!isConstant(target) &&
        (isBuiltString(target) || (!rule.keyword && inherentlyDangerous.has(name)) || Boolean(rule.keyword)));
    if (!report) return;
    push(call, {
      rule: rule.rule,
      cwe: rule.cwe,
      severity: rule.severity,
      confidence: tainted || rule.always ? 'high' : 'medium',
      message: `${rule.message}${tainted ? ' (the value comes from request input)' : ''}`,
      fix: { description: rule.fix },
    });
  };

  const enclosingName = (node: PythonNode): string => {
    for (let current = node.parent; current; current = current.parent)
      if (current.type === 'function_definition') return current.childForFieldName('name')?.text ?? '';
    return '';
  };
  const assignedName = (node: PythonNode): string => {
    for (
      let current = node.parent;
      current && current.type !== 'block' && current.type !== 'module';
      current = current.parent
    ) {
      if (current.type === 'assignment') return current.childForFieldName('left')?.text ?? '';
      if (current.type === 'return_statement') return enclosingName(current);
    }
    return '';
  };

  visit(root);
  return hits.sort((a, b) => a.line - b.line);
}
