// The inter-procedural step. Each file's pass leaves function summaries ("parameter i reaches a
// sink") and the calls it made with tainted arguments. Here they are joined across functions and
// files: a call passing request data into a parameter that reaches a sink is a finding at the sink,
// with the call as its trace; a call passing the caller's own parameter extends the caller's
// summary, and that repeats until nothing changes. A call into another module of the project
// (`dao.get(x)` with `dao = require('./dao')`, `import { get } from './dao'`) is matched precisely:
// the resolved file, then its export of that name. Other callees are matched by name and arity,
// preferring the caller's own file, then files it imports, then a unique definition elsewhere.
// Calls on packages (`require('mysql').query`) are never linked. A value returned by a helper of
// another module is tainted only when the helper's summary returns that argument uncleared.
import type { CallRecord, FunctionSummary, SinkReach } from './taint-engine.js';
import type { Origin } from './taint-value.js';
import { sinkClasses } from './sink-classes.js';
import { liveBits } from './module-flow.js';

export interface LinkInput {
  file: string;
  summaries: FunctionSummary[];
  calls: CallRecord[];
  /** Project-relative files this file imports (resolved), for callee preference. */
  imports: string[];
  /** Exported name → local function name. */
  exports?: Record<string, string>;
}

export interface LinkOptions {
  /** The project file a relative specifier names, from a given file. */
  resolve?: (from: string, specifier: string) => string | undefined;
  /** The project files a file imports (for re-exports: `module.exports = require('./dao')`). */
  importsOf?: (file: string) => readonly string[];
}

export interface LinkedHit {
  sinkFile: string;
  reach: SinkReach;
  origin: Origin;
  callFile: string;
  callLine: number;
  callee: string;
}

interface Located {
  file: string;
  summary: FunctionSummary;
}

const maxRounds = 6;
const maxReturnDepth = 4;

export class TaintLinker {
  private readonly byName = new Map<string, Located[]>();
  /** File → function name → summaries (nested maps: no string keys built per call). */
  private readonly byFileName = new Map<string, Map<string, Located[]>>();
  private readonly inputsByFile = new Map<string, LinkInput>();
  private readonly callees = new Map<CallRecord, Located[]>();
  /** File → specifier → the project file it names (undefined: none). */
  private readonly targets = new Map<string, Map<string, string | undefined>>();

  constructor(
    private readonly inputs: LinkInput[],
    private readonly options: LinkOptions = {},
  ) {
    for (const input of inputs) {
      this.inputsByFile.set(input.file, input);
      for (const summary of input.summaries) {
        const located = { file: input.file, summary: { ...summary, reaches: [...summary.reaches] } };
        push(this.byName, summary.name, located);
        let names = this.byFileName.get(input.file);
        if (!names) this.byFileName.set(input.file, (names = new Map()));
        push(names, summary.name, located);
      }
    }
  }

  /** The functions a call may reach, cached per call. */
  private resolve(input: LinkInput, call: CallRecord): Located[] {
    let found = this.callees.get(call);
    if (found) return found;
    const arity = Math.min(call.args.length, 1);
    found = this.lookup(input, call);
    if (found.some((c) => c.summary.paramCount !== 0 && c.summary.paramCount < arity))
      found = found.filter((c) => c.summary.paramCount === 0 || c.summary.paramCount >= arity);
    this.callees.set(call, found);
    return found;
  }

  private lookup(input: LinkInput, call: CallRecord): Located[] {
    if (call.module) {
      // Only the module the call names (or what it re-exports), never a same-named function elsewhere.
      let specifiers = this.targets.get(input.file);
      if (!specifiers) this.targets.set(input.file, (specifiers = new Map()));
      let target = specifiers.get(call.module);
      if (target === undefined && !specifiers.has(call.module)) {
        target = this.options.resolve?.(input.file, call.module);
        specifiers.set(call.module, target);
      }
      if (!target) return [];
      const precise = this.exportedBy(target, call);
      if (precise) return precise;
      for (const next of this.options.importsOf?.(target) ?? []) {
        const hop = this.exportedBy(next, call);
        if (hop) return hop;
      }
      return [];
    }
    if (call.callee === 'default') return [];
    const candidates = this.byName.get(call.callee) ?? [];
    if (candidates.length === 0) return [];
    const local = candidates.filter((c) => c.file === input.file);
    if (local.length > 0) return local;
    const imported = candidates.filter((c) => input.imports.includes(c.file));
    if (imported.length > 0) return imported;
    return candidates.length <= 2 ? candidates : [];
  }

  /** The function `file` exports under the call's member (or, failing that, its name). */
  private exportedBy(file: string, call: CallRecord): Located[] | undefined {
    const names = this.byFileName.get(file);
    if (!names) return undefined;
    const member = call.member ?? call.callee;
    const exports = this.inputsByFile.get(file)?.exports;
    const exported = exports && Object.hasOwn(exports, member) ? exports[member] : undefined;
    return (exported ? names.get(exported) : undefined) ?? names.get(call.callee);
  }

  /**
   * Does the value returned by call `index` of `file` still carry its argument's input for a sink
   * of class `bit`? True when a callee returns that argument and clears nothing of `bit` on the way.
   */
  returnsTaint(file: string, index: number, bit: number, where = false, depth = 0): boolean {
    const input = this.inputsByFile.get(file);
    const call = input?.calls[index];
    if (!input || !call) return false;
    const callees = this.resolve(input, call);
    // A helper we have no summary of: a plain function passes its arguments through, as in one file.
    if (callees.length === 0) return call.free === true && this.passes(file, call, bit, where, depth);
    for (const callee of callees) {
      const { returnsParams, returnCleared } = callee.summary;
      for (const [i, argument] of call.args.entries()) {
        if (!argument?.origin || i > 30 || !(returnsParams & (1 << i))) continue;
        const fromDatabase = argument.origin.part === 'database';
        if (!liveBits(argument.cleared | (returnCleared ?? 0), bit, where, fromDatabase)) continue;
        const via = argument.origin.via;
        if (via !== undefined && (depth >= maxReturnDepth || !this.returnsTaint(file, via, bit, where, depth + 1)))
          continue;
        return true;
      }
    }
    return false;
  }

  private passes(file: string, call: CallRecord, bit: number, where: boolean, depth: number): boolean {
    return call.args.some(
      (argument) =>
        argument?.origin !== undefined &&
        liveBits(argument.cleared, bit, where, argument.origin.part === 'database') &&
        (argument.origin.via === undefined ||
          (depth < maxReturnDepth && this.returnsTaint(file, argument.origin.via, bit, where, depth + 1))),
    );
  }

  link(): LinkedHit[] {
    const hits = new Map<string, LinkedHit>();
    for (let round = 0; round < maxRounds; round++) {
      let changed = false;
      for (const input of this.inputs) {
        for (const call of input.calls) {
          const callees = this.resolve(input, call);
          for (const callee of callees) {
            // Reaches added to this summary during the pass are seen in the next round.
            const reaches = callee.summary.reaches;
            for (let r = 0, count = reaches.length; r < count; r++) {
              const reach = reaches[r]!;
              const argument = call.args[reach.param];
              if (!argument) continue;
              const bit = sinkClasses[reach.cls].bit;
              const where = reach.where === true;
              if (!liveBits(argument.cleared, bit, where, false)) continue;
              if (argument.origin && liveBits(argument.cleared, bit, where, argument.origin.part === 'database')) {
                const origin = argument.origin;
                const fits =
                  (!reach.needsWhole || origin.whole) &&
                  (!reach.needsObject || origin.part === 'body' || origin.part === 'query');
                const key = `${reach.file ?? callee.file}:${reach.line}:${reach.cls}`;
                if (
                  fits &&
                  !hits.has(key) &&
                  (origin.via === undefined || this.returnsTaint(input.file, origin.via, bit, where))
                )
                  hits.set(key, {
                    sinkFile: reach.file ?? callee.file,
                    reach,
                    origin,
                    callFile: input.file,
                    callLine: call.line,
                    callee: call.callee,
                  });
              }
              const bits = reach.needsWhole ? argument.wholeParams : argument.params;
              if (bits && call.enclosing) {
                for (const owner of this.byFileName.get(input.file)?.get(call.enclosing) ?? []) {
                  for (let i = 0; i < 31; i++) {
                    if (!(bits & (1 << i))) continue;
                    if (
                      owner.summary.reaches.some(
                        (r) =>
                          r.param === i &&
                          r.cls === reach.cls &&
                          r.line === reach.line &&
                          (r.file ?? owner.file) === (reach.file ?? callee.file),
                      )
                    )
                      continue;
                    owner.summary.reaches.push({ ...reach, param: i, file: reach.file ?? callee.file });
                    changed = true;
                  }
                }
              }
            }
          }
        }
      }
      if (!changed) break;
    }
    return [...hits.values()];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function linkTaint(inputs: LinkInput[], options: LinkOptions = {}): LinkedHit[] {
  return new TaintLinker(inputs, options).link();
}
