// Per-file summaries of Python functions for the cross-module linker (python-linker.ts). Each
// function gets a symbolic data flow: values are sets of labels, "s<i>" (request input read here),
// "p<i>" (the i-th parameter) and "r<i>" (what the i-th call to project code returned). Recorded:
// the sinks reached (with the labels of the dangerous argument), the calls into project code
// (functions and classes of this file or imported ones, with the labels of each argument) and the
// labels of the return value. The linker resolves the calls across modules and closes the flows.
// Calls into library code pass their arguments' labels through, except known sanitisers.
import type { Severity } from '../security/finding.js';
import { children } from './python-metrics.js';
import type { PythonNode } from './python-parser.js';
import {
  callRules,
  dottedName,
  importAliases,
  requestAttributes,
  sqlMethods,
  ssrfRule,
  type CallRule,
} from './python-rules.js';

export interface PySource {
  line: number;
  text: string;
}

export interface PySink {
  line: number;
  endLine: number;
  rule: string;
  cwe: string;
  severity: Severity;
  message: string;
  fix: string;
  evidence: string;
  labels: string[];
}

/** A callee as written: a module (as imported: ".dao", "shop.dao", ".") or this file, then names. */
export interface PyCallee {
  module?: string;
  path: string[];
  /** Called on an instance (self.x(), Cls().x(), obj.x()): the first parameter is the instance. */
  method?: boolean;
}

export interface PyCall {
  callee: PyCallee;
  text: string;
  line: number;
  args: string[][];
  keywords: { name: string; labels: string[] }[];
  /** What the result carries when the callee is not project code (a library): receiver and arguments. */
  fallback: string[];
}

export interface PyFunction {
  /** "name" or "Class.name". */
  name: string;
  line: number;
  params: string[];
  isMethod: boolean;
  /** Parameters that are request input themselves (FastAPI/Flask route parameters). */
  sources: PySource[];
  sinks: PySink[];
  calls: PyCall[];
  returns: string[];
}

export interface PyModuleFlow {
  functions: PyFunction[];
  classes: string[];
  /** Local names bound by imports, for re-exports (`from .dao import find` in __init__.py). */
  bindings: Record<string, { module: string; path: string[] }>;
}

const sanitiser =
  /(^|\.)(secure_filename|escape|quote|quote_plus|int|float|bool|len|basename|literal_eval|abs|round|hexdigest|urlencode|UUID|isdigit|isalnum|fullmatch)$/;
const routeDecorator = /\.(route|get|post|put|patch|delete|api_route|websocket)\s*\(/;
const safeParamType =
  /^(int|float|bool|UUID|uuid\.UUID|date|datetime|Request|Response|Session|BackgroundTasks|WebSocket)\b/;
const serverParams = new Set(['self', 'cls', 'request', 'req', 'db', 'session', 'background_tasks', 'response']);
const untracked = new Set(['tls-verification-disabled', 'insecure-temp-file']);

function bindingsOf(root: PythonNode): Record<string, { module: string; path: string[] }> {
  const bindings: Record<string, { module: string; path: string[] }> = {};
  for (const statement of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (!statement) continue;
    if (statement.type === 'import_statement') {
      for (const child of children(statement)) {
        if (child.type === 'aliased_import')
          bindings[child.childForFieldName('alias')!.text] = {
            module: child.childForFieldName('name')!.text,
            path: [],
          };
        else if (child.type === 'dotted_name') {
          const head = child.text.split('.')[0]!;
          bindings[head] = { module: head, path: [] };
        }
      }
    } else {
      const module = statement.childForFieldName('module_name')?.text ?? '';
      for (const child of children(statement).slice(1)) {
        if (child.type === 'aliased_import')
          bindings[child.childForFieldName('alias')!.text] = {
            module,
            path: [child.childForFieldName('name')!.text],
          };
        else if (child.type === 'dotted_name') bindings[child.text] = { module, path: [child.text] };
      }
    }
  }
  return bindings;
}

/** `a.b.c` as ["a", "b", "c"] when it is a plain chain of names. */
function chain(node: PythonNode): string[] | undefined {
  if (node.type === 'identifier') return [node.text];
  if (node.type !== 'attribute') return undefined;
  const object = chain(node.childForFieldName('object')!);
  const attribute = node.childForFieldName('attribute')?.text;
  return object && attribute ? [...object, attribute] : undefined;
}

function definitionsOf(root: PythonNode): { fn: PythonNode; cls?: string; decorators: string[] }[] {
  const found: { fn: PythonNode; cls?: string; decorators: string[] }[] = [];
  const unwrap = (node: PythonNode) => {
    if (node.type !== 'decorated_definition') return { node, decorators: [] as string[] };
    return {
      node: node.childForFieldName('definition')!,
      decorators: children(node)
        .filter((c) => c.type === 'decorator')
        .map((c) => c.text),
    };
  };
  for (const child of children(root)) {
    const { node, decorators } = unwrap(child);
    if (node.type === 'function_definition') found.push({ fn: node, decorators });
    else if (node.type === 'class_definition') {
      const cls = node.childForFieldName('name')?.text ?? '';
      for (const member of children(node.childForFieldName('body')!)) {
        const inner = unwrap(member);
        if (inner.node.type === 'function_definition')
          found.push({ fn: inner.node, cls, decorators: inner.decorators });
      }
    }
  }
  return found;
}

function parameters(fn: PythonNode): { name: string; type: string; fallback: string; line: number }[] {
  const list = fn.childForFieldName('parameters');
  if (!list) return [];
  return children(list).flatMap((p) => {
    if (p.type === 'identifier') return [{ name: p.text, type: '', fallback: '', line: p.startPosition.row + 1 }];
    if (p.type === 'typed_parameter')
      return [
        {
          name: children(p).find((c) => c.type === 'identifier')?.text ?? '',
          type: p.childForFieldName('type')?.text ?? '',
          fallback: '',
          line: p.startPosition.row + 1,
        },
      ];
    if (p.type === 'default_parameter' || p.type === 'typed_default_parameter')
      return [
        {
          name: p.childForFieldName('name')?.text ?? '',
          type: p.childForFieldName('type')?.text ?? '',
          fallback: p.childForFieldName('value')?.text ?? '',
          line: p.startPosition.row + 1,
        },
      ];
    return [];
  });
}

export function pythonFlow(root: PythonNode, lines: readonly string[]): PyModuleFlow {
  const aliases = importAliases(root);
  const bindings = bindingsOf(root);
  const definitions = definitionsOf(root);
  const classes = new Set(
    children(root)
      .map((c) => (c.type === 'decorated_definition' ? c.childForFieldName('definition')! : c))
      .filter((c) => c.type === 'class_definition')
      .map((c) => c.childForFieldName('name')!.text),
  );
  const topFunctions = new Set(definitions.filter((d) => !d.cls).map((d) => d.fn.childForFieldName('name')!.text));
  // self.x = Cls() anywhere in a class makes self.x an instance of Cls in all its methods.
  const classInstances = new Map<string, Map<string, PyCallee>>();

  const calleeOf = (
    node: PythonNode,
    cls: string | undefined,
    instances: Map<string, PyCallee>,
  ): PyCallee | undefined => {
    if (node.type === 'attribute') {
      const object = node.childForFieldName('object')!;
      const attribute = node.childForFieldName('attribute')!.text;
      if (object.type === 'call') {
        const inner = calleeOf(object.childForFieldName('function')!, cls, instances);
        return inner && !inner.method ? { ...inner, path: [...inner.path, attribute], method: true } : undefined;
      }
    }
    const names = chain(node);
    if (!names) return undefined;
    for (let i = names.length - 1; i >= 1; i--) {
      const instance = instances.get(names.slice(0, i).join('.'));
      if (instance) return { ...instance, path: [...instance.path, ...names.slice(i)], method: true };
    }
    const [head, ...rest] = names;
    if (head === 'self' && cls && rest.length === 1) return { path: [cls, ...rest], method: true };
    const bound = bindings[head!];
    if (bound) return { module: bound.module, path: [...bound.path, ...rest] };
    if (classes.has(head!) || (topFunctions.has(head!) && rest.length === 0)) return { path: names };
    return undefined;
  };

  const ruleFor = (name: string, callee: PythonNode): CallRule | undefined => {
    if (/^(requests|httpx)\.(get|post|put|patch|delete|head|request)$/.test(name)) return ssrfRule;
    const rule =
      callRules[name] ?? (callee.type === 'identifier' ? undefined : callRules[name.split('.').slice(-2).join('.')]);
    return rule && !untracked.has(rule.rule) ? rule : undefined;
  };

  const analyse = (fn: PythonNode, cls: string | undefined, decorators: string[]): PyFunction => {
    const name = fn.childForFieldName('name')!.text;
    const isStatic = decorators.some((d) => /staticmethod/.test(d));
    const params = parameters(fn);
    const vars = new Map<string, Set<string>>();
    const instances = new Map<string, PyCallee>(cls ? (classInstances.get(cls) ?? []) : []);
    const result: PyFunction = {
      name: cls ? `${cls}.${name}` : name,
      line: fn.startPosition.row + 1,
      params: params.map((p) => p.name),
      isMethod: Boolean(cls) && !isStatic,
      sources: [],
      sinks: [],
      calls: [],
      returns: [],
    };
    const source = (line: number, text: string): string => {
      let index = result.sources.findIndex((s) => s.line === line && s.text === text);
      if (index === -1) index = result.sources.push({ line, text }) - 1;
      return `s${index}`;
    };
    // Route handlers: their parameters come from the URL, the query or the body.
    const route = decorators.find((d) => routeDecorator.test(d));
    params.forEach((p, i) => {
      const labels = new Set([`p${i}`]);
      const typedSafe = safeParamType.test(p.type) || /Depends\s*\(/.test(p.fallback);
      const converted = route && new RegExp(`<(int|float|uuid):${p.name}>`).test(route);
      if (route && !serverParams.has(p.name) && !typedSafe && !converted)
        labels.add(source(p.line, `${p.name} (a parameter of the ${name} route)`));
      vars.set(p.name, labels);
    });

    const union = (nodes: readonly PythonNode[]): Set<string> => {
      const out = new Set<string>();
      for (const node of nodes) for (const label of expr(node)) out.add(label);
      return out;
    };
    const expr = (node: PythonNode): Set<string> => {
      switch (node.type) {
        case 'identifier':
          return new Set(vars.get(node.text) ?? []);
        case 'string':
          return union(children(node).filter((c) => c.type === 'interpolation'));
        case 'integer':
        case 'float':
        case 'true':
        case 'false':
        case 'none':
        case 'lambda':
        case 'comparison_operator':
        case 'not_operator':
          return new Set();
        case 'attribute': {
          const object = node.childForFieldName('object')!;
          const attribute = node.childForFieldName('attribute')?.text ?? '';
          if (object.type === 'identifier' && object.text === 'request' && requestAttributes.test(attribute))
            return new Set([source(node.startPosition.row + 1, node.text)]);
          const held = vars.get(node.text);
          return held ? new Set(held) : expr(object);
        }
        case 'call':
          return call(node);
        // TABLE[key] is an element of TABLE: a tainted key picks among constant values.
        case 'subscript':
          return expr(node.childForFieldName('value')!);
        case 'keyword_argument':
          return expr(node.childForFieldName('value')!);
        default:
          return union(children(node));
      }
    };
    const call = (node: PythonNode): Set<string> => {
      const callee = node.childForFieldName('function')!;
      const argumentList = node.childForFieldName('arguments');
      const args = argumentList ? children(argumentList).filter((a) => a.type !== 'comment') : [];
      const positional = args.filter((a) => a.type !== 'keyword_argument');
      const keywordArgs = args.filter((a) => a.type === 'keyword_argument');
      const positionalLabels = positional.map((a) => expr(a));
      const keywordLabels = keywordArgs.map((a) => ({
        name: a.childForFieldName('name')?.text ?? '',
        labels: expr(a.childForFieldName('value')!),
      }));
      const keyword = (key: string) => keywordArgs.find((a) => a.childForFieldName('name')?.text === key);
      const name = dottedName(callee, aliases);
      const method = callee.type === 'attribute' ? (callee.childForFieldName('attribute')?.text ?? '') : '';
      const sink = (rule: Pick<CallRule, 'rule' | 'cwe' | 'severity' | 'message' | 'fix'>, labels: Set<string>) => {
        if (labels.size === 0) return;
        const line = node.startPosition.row + 1;
        result.sinks.push({
          line,
          endLine: node.endPosition.row + 1,
          rule: rule.rule,
          cwe: rule.cwe,
          severity: rule.severity,
          message: rule.message,
          fix: rule.fix,
          evidence: (lines[line - 1] ?? '').trim().slice(0, 240),
          labels: [...labels],
        });
      };
      if (sqlMethods.has(method) && positional[0]) {
        sink(
          {
            rule: 'sql-injection',
            cwe: 'CWE-89',
            severity: 'critical',
            message: `the SQL passed to ${method}() is built from request input`,
            fix: 'Pass values as parameters: cursor.execute("... WHERE id = %s", (value,)).',
          },
          positionalLabels[0]!,
        );
      } else {
        const rule = ruleFor(name, callee);
        const safeYaml =
          name === 'yaml.load' &&
          /SafeLoader|CSafeLoader|BaseLoader/.test(keyword('Loader')?.text ?? positional[1]?.text ?? '');
        const gated =
          rule?.keyword && keyword(rule.keyword.name)?.childForFieldName('value')?.text !== rule.keyword.value;
        if (rule && !safeYaml && !gated) {
          const index = rule === ssrfRule && name.endsWith('request') ? 1 : (rule.argument ?? 0);
          const labels =
            rule.argument === 'any'
              ? new Set(positionalLabels.flatMap((l) => [...l]))
              : (positionalLabels[index as number] ??
                (rule === ssrfRule ? keywordLabels.find((k) => k.name === 'url')?.labels : undefined) ??
                new Set<string>());
          sink(rule, labels);
        }
      }
      const fallback = new Set<string>();
      if (!sanitiser.test(name) && !sanitiser.test(method)) {
        if (callee.type === 'attribute') for (const l of expr(callee.childForFieldName('object')!)) fallback.add(l);
        // mapping.get(key, default) returns one of the mapping's values (or the default).
        const picked = method === 'get' ? positionalLabels.slice(1) : positionalLabels;
        for (const labels of [...picked, ...keywordLabels.map((k) => k.labels)])
          for (const l of labels) fallback.add(l);
      }
      const target = calleeOf(callee, cls, instances);
      if (target) {
        const index = result.calls.push({
          callee: target,
          text: callee.text.replace(/\s+/g, '').slice(0, 80),
          line: node.startPosition.row + 1,
          args: positionalLabels.map((l) => [...l]),
          keywords: keywordLabels.map((k) => ({ name: k.name, labels: [...k.labels] })),
          fallback: [...fallback],
        });
        return new Set([`r${index - 1}`]);
      }
      return fallback;
    };
    const assign = (target: PythonNode, labels: Set<string>, value?: PythonNode) => {
      if (target.type === 'identifier' || target.type === 'attribute') {
        vars.set(target.text, labels);
        const created =
          value?.type === 'call' ? calleeOf(value.childForFieldName('function')!, cls, instances) : undefined;
        if (created && !created.method && /^[A-Z]/.test(created.path.at(-1) ?? '')) instances.set(target.text, created);
      } else for (const child of children(target)) assign(child, labels);
    };
    const visit = (node: PythonNode): void => {
      switch (node.type) {
        case 'function_definition':
        case 'class_definition':
        case 'decorated_definition':
        case 'lambda':
          return;
        case 'assignment': {
          const right = node.childForFieldName('right');
          const left = node.childForFieldName('left');
          if (right && left) assign(left, expr(right), right);
          return;
        }
        case 'augmented_assignment': {
          const left = node.childForFieldName('left')!;
          const labels = expr(node.childForFieldName('right')!);
          for (const l of expr(left)) labels.add(l);
          assign(left, labels);
          return;
        }
        case 'for_statement':
          assign(node.childForFieldName('left')!, expr(node.childForFieldName('right')!));
          visit(node.childForFieldName('body')!);
          return;
        case 'as_pattern': {
          const [value, target] = children(node);
          const labels = value ? expr(value) : new Set<string>();
          const alias = target?.type === 'as_pattern_target' ? children(target)[0] : target;
          if (alias) assign(alias, labels);
          return;
        }
        case 'return_statement':
          for (const l of union(children(node))) if (!result.returns.includes(l)) result.returns.push(l);
          return;
        case 'call':
          expr(node);
          return;
        default:
          for (const child of children(node)) visit(child);
      }
    };
    visit(fn.childForFieldName('body')!);
    return result;
  };

  // Pre-pass: instance attributes per class.
  for (const { fn, cls } of definitions) {
    if (!cls) continue;
    for (const assignment of fn.descendantsOfType('assignment')) {
      const left = assignment?.childForFieldName('left');
      const right = assignment?.childForFieldName('right');
      if (!left || right?.type !== 'call' || !/^self\.\w+$/.test(left.text)) continue;
      const created = calleeOf(right.childForFieldName('function')!, cls, new Map());
      if (!created || created.method || !/^[A-Z]/.test(created.path.at(-1) ?? '')) continue;
      if (!classInstances.has(cls)) classInstances.set(cls, new Map());
      classInstances.get(cls)!.set(left.text, created);
    }
  }
  return {
    functions: definitions.map((d) => analyse(d.fn, d.cls, d.decorators)),
    classes: [...classes],
    bindings,
  };
}
