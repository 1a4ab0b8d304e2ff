// Links the per-file Python flow summaries (python-flow.ts) across modules: resolves each call into
// project code (`from .dao import f`, `from app.dao import f as g`, `import app.dao as dao`,
// `from . import dao`, `import app.dao`, methods of imported classes, re-exports through
// __init__.py), computes for every function which parameters reach which sinks and which flow to
// its return value (to a fixed point), and reports each request input that reaches a sink through
// at least one call, at the sink line, with the trace from the request line.
import path from 'node:path';
import { findingId, type Finding } from '../security/finding.js';
import type { PyCall, PyCallee, PyFunction, PyModuleFlow, PySink } from './python-flow.js';

type Step = NonNullable<Finding['trace']>[number];

interface Reach {
  sink: PySink;
  file: string;
  steps: Step[];
}

interface Node {
  file: string;
  fn: PyFunction;
  returns: Set<number>;
  /** Request input read in this function (or in a getter it calls) that it returns. */
  returnSources: Map<string, SourceRef>;
  reach: Map<number, Reach[]>;
}

/** A request read: the function that reads it and the index into its sources. */
interface SourceRef {
  node: Node;
  index: number;
}

interface Target {
  node: Node;
  offset: number;
}

const maxReachPerParam = 24;

/** Every file under each of its path suffixes ("c.py", "b/c.py", "a/b/c.py"), for absolute imports. */
function suffixIndex(files: Iterable<string>): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const file of files) {
    const parts = file.split('/');
    for (let i = 0; i < parts.length; i++) {
      const suffix = parts.slice(i).join('/');
      index.set(suffix, [...(index.get(suffix) ?? []), file]);
    }
  }
  return index;
}

function moduleFile(
  from: string,
  module: string,
  files: ReadonlyMap<string, PyModuleFlow>,
  bySuffix: ReadonlyMap<string, string[]>,
): string | undefined {
  const candidates = (base: string) => [`${base}.py`, `${base}/__init__.py`].map((c) => path.posix.normalize(c));
  if (module.startsWith('.')) {
    const dots = /^\.+/.exec(module)![0].length;
    let dir = path.posix.dirname(from);
    for (let i = 1; i < dots; i++) dir = path.posix.dirname(dir);
    const rest = module.slice(dots).split('.').filter(Boolean);
    const base = path.posix.join(dir, ...rest);
    const options = rest.length ? candidates(base) : [path.posix.join(dir, '__init__.py')];
    return options.find((c) => files.has(c.replace(/^\.\//, '')))?.replace(/^\.\//, '');
  }
  const suffix = module.split('.').join('/');
  let best: string | undefined;
  let bestShared = -1;
  for (const file of candidates(suffix).flatMap((c) => bySuffix.get(c) ?? [])) {
    const a = path.posix.dirname(from).split('/');
    const b = file.split('/');
    let shared = 0;
    while (shared < a.length && a[shared] === b[shared]) shared++;
    if (shared > bestShared) [best, bestShared] = [file, shared];
  }
  return best;
}

function joinModule(module: string, names: readonly string[]): string {
  if (names.length === 0) return module;
  return module.endsWith('.') ? module + names.join('.') : `${module}.${names.join('.')}`;
}

export function linkPython(modules: readonly { file: string; flow: PyModuleFlow }[]): Finding[] {
  const files = new Map(modules.map((m) => [m.file, m.flow]));
  const nodes = new Map<string, Node>();
  for (const { file, flow } of modules)
    for (const fn of flow.functions)
      nodes.set(`${file}#${fn.name}`, { file, fn, returns: new Set(), returnSources: new Map(), reach: new Map() });

  const lookup = (
    file: string,
    names: readonly string[],
    method: boolean,
    depth: number,
  ): Target | 'class' | undefined => {
    const flow = files.get(file);
    if (!flow || names.length === 0 || depth > 4) return undefined;
    const node = nodes.get(`${file}#${names.join('.')}`);
    if (node) return { node, offset: method && node.fn.isMethod ? 1 : 0 };
    if (names.length === 1 && flow.classes.includes(names[0]!)) return 'class';
    const bound = flow.bindings[names[0]!];
    return bound
      ? resolve(file, { module: bound.module, path: [...bound.path, ...names.slice(1)], method }, depth + 1)
      : undefined;
  };
  // Module names resolve the same way from every file of a directory: memoised per directory.
  const moduleCache = new Map<string, string | undefined>();
  const bySuffix = suffixIndex(files.keys());
  const fileOf = (from: string, module: string) => {
    const key = `${path.posix.dirname(from)}\0${module}`;
    if (!moduleCache.has(key)) moduleCache.set(key, moduleFile(from, module, files, bySuffix));
    return moduleCache.get(key);
  };
  function resolve(file: string, callee: PyCallee, depth = 0): Target | 'class' | undefined {
    if (callee.module === undefined) return lookup(file, callee.path, Boolean(callee.method), depth);
    for (let i = callee.path.length; i >= 0; i--) {
      const target = fileOf(file, joinModule(callee.module, callee.path.slice(0, i)));
      if (target) return lookup(target, callee.path.slice(i), Boolean(callee.method), depth);
    }
    return undefined;
  }
  const targets = new Map<PyCall, Target | 'class' | undefined>();
  for (const node of nodes.values())
    for (const call of node.fn.calls) targets.set(call, resolve(node.file, call.callee));

  interface Resolved {
    params: Set<number>;
    /** Each source reached, with the call whose return carried it (undefined: read in this function). */
    sources: Map<string, { ref: SourceRef; via?: PyCall }>;
  }
  const argumentLabels = (call: PyCall, target: Target, param: number): string[] => {
    const positional = call.args[param - target.offset];
    if (positional) return positional;
    const name = target.node.fn.params[param];
    return call.keywords.find((k) => k.name === name)?.labels ?? [];
  };
  // What a call's result carries, memoised; cleared whenever summaries may have changed.
  const carriedBy = new Map<PyCall, Resolved>();
  const resolveLabels = (node: Node, labels: readonly string[]): Resolved => {
    const out: Resolved = { params: new Set(), sources: new Map() };
    for (const label of labels) {
      const index = Number(label.slice(1));
      if (label[0] === 'p') out.params.add(index);
      else if (label[0] === 's') out.sources.set(`${node.file}#${node.fn.name}#${index}`, { ref: { node, index } });
      else {
        const call = node.fn.calls[index];
        if (!call) continue;
        const target = targets.get(call);
        if (target === 'class') continue;
        let inner = carriedBy.get(call);
        if (!inner) {
          // A call's arguments only refer to earlier calls' results, so this recursion ends.
          inner = resolveLabels(
            node,
            target ? [...target.node.returns].flatMap((p) => argumentLabels(call, target, p)) : call.fallback,
          );
          // A getter's own request reads come back with its result.
          if (target) for (const [key, ref] of target.node.returnSources) inner.sources.set(key, { ref });
          carriedBy.set(call, inner);
        }
        for (const p of inner.params) out.params.add(p);
        for (const [key, s] of inner.sources)
          out.sources.set(key, { ref: s.ref, via: s.via ?? (target ? call : undefined) });
      }
    }
    return out;
  };

  // Fixed point: parameters that reach the return value and sinks, through any chain of calls.
  for (let round = 0, changed = true; changed && round < 10; round++) {
    changed = false;
    carriedBy.clear();
    for (const node of nodes.values()) {
      const add = (param: number, reach: Reach) => {
        const list = node.reach.get(param) ?? [];
        if (list.length >= maxReachPerParam) return;
        if (list.some((r) => r.file === reach.file && r.sink.line === reach.sink.line && r.sink.cwe === reach.sink.cwe))
          return;
        list.push(reach);
        node.reach.set(param, list);
        changed = true;
      };
      const returned = resolveLabels(node, node.fn.returns);
      for (const p of returned.params)
        if (!node.returns.has(p)) {
          node.returns.add(p);
          changed = true;
        }
      for (const [key, s] of returned.sources)
        if (!node.returnSources.has(key)) {
          node.returnSources.set(key, s.ref);
          changed = true;
        }
      for (const sink of node.fn.sinks)
        for (const p of resolveLabels(node, sink.labels).params) add(p, { sink, file: node.file, steps: [] });
      for (const call of node.fn.calls) {
        const target = targets.get(call);
        if (!target || target === 'class') continue;
        for (const [param, reaches] of target.node.reach) {
          for (const p of resolveLabels(node, argumentLabels(call, target, param)).params)
            for (const reach of reaches)
              add(p, {
                ...reach,
                steps: [{ file: node.file, line: call.line, note: `passed to ${call.text}()` }, ...reach.steps],
              });
        }
      }
    }
  }

  carriedBy.clear();
  const findings: Finding[] = [];
  const report = (source: SourceRef, reach: Reach, before: Step[]) => {
    const origin = source.node.fn.sources[source.index]!;
    const from = source.node.file;
    const { sink } = reach;
    const via = [...before, ...reach.steps];
    findings.push({
      id: findingId(sink.rule, reach.file, sink.line, sink.evidence),
      file: reach.file,
      line: sink.line,
      endLine: sink.endLine,
      severity: sink.severity,
      category: 'security',
      cwe: sink.cwe,
      rule: sink.rule,
      message: `${sink.message}: ${origin.text} (user input, ${from}:${origin.line}) reaches it${via.length ? ` through ${via.map((s) => s.note.replace(/^(passed to|returned by) /, '')).join(', ')}` : ''}`,
      evidence: sink.evidence,
      confidence: 'high',
      fix: { description: sink.fix },
      trace: [
        { file: from, line: origin.line, note: `source: ${origin.text}` },
        ...via,
        { file: reach.file, line: sink.line, note: `sink: ${sink.evidence}` },
      ],
    });
  };
  for (const node of nodes.values()) {
    // Sinks in this function fed by input that came back from project code, or by route parameters.
    for (const sink of node.fn.sinks)
      for (const { ref, via } of resolveLabels(node, sink.labels).sources.values()) {
        const routeParameter = / \(a parameter of the .* route\)$/.test(ref.node.fn.sources[ref.index]!.text);
        if (via || routeParameter)
          report(
            ref,
            { sink, file: node.file, steps: [] },
            via ? [{ file: node.file, line: via.line, note: `returned by ${via.text}()` }] : [],
          );
      }
    // Input passed into project code that reaches a sink there.
    for (const call of node.fn.calls) {
      const target = targets.get(call);
      if (!target || target === 'class') continue;
      for (const [param, reaches] of target.node.reach)
        for (const { ref, via } of resolveLabels(node, argumentLabels(call, target, param)).sources.values())
          for (const reach of reaches)
            report(ref, reach, [
              ...(via ? [{ file: node.file, line: via.line, note: `returned by ${via.text}()` }] : []),
              { file: node.file, line: call.line, note: `passed to ${call.text}()` },
            ]);
    }
  }
  return findings;
}
