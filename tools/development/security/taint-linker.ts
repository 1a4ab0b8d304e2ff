// The inter-procedural step. Each file's pass leaves function summaries ("parameter i reaches a
// sink") and the calls it made with tainted arguments. Here they are joined across functions and
// files: a call passing request data into a parameter that reaches a sink is a finding at the sink,
// with the call as its trace; a call passing the caller's own parameter extends the caller's
// summary, and that repeats until nothing changes. Callees are matched by name and arity, preferring
// the caller's own file, then files it imports, then a unique definition elsewhere.
import type { CallRecord, FunctionSummary, SinkReach } from './taint-engine.js';
import type { Origin } from './taint-value.js';
import { sinkClasses } from './sink-classes.js';

export interface LinkInput {
  file: string;
  summaries: FunctionSummary[];
  calls: CallRecord[];
  /** Project-relative files this file imports (resolved), for callee preference. */
  imports: string[];
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

export function linkTaint(inputs: LinkInput[]): LinkedHit[] {
  const byName = new Map<string, Located[]>();
  for (const input of inputs) {
    for (const summary of input.summaries) {
      const copy: FunctionSummary = { ...summary, reaches: [...summary.reaches] };
      const list = byName.get(summary.name) ?? [];
      list.push({ file: input.file, summary: copy });
      byName.set(summary.name, list);
    }
  }
  const resolve = (input: LinkInput, call: CallRecord): Located[] => {
    const candidates = (byName.get(call.callee) ?? []).filter(
      (c) => c.summary.paramCount === 0 || c.summary.paramCount >= Math.min(call.args.length, 1),
    );
    if (candidates.length === 0) return [];
    const local = candidates.filter((c) => c.file === input.file);
    if (local.length > 0) return local;
    const imported = candidates.filter((c) => input.imports.includes(c.file));
    if (imported.length > 0) return imported;
    return candidates.length <= 2 ? candidates : [];
  };
  const hits = new Map<string, LinkedHit>();
  for (let round = 0; round < maxRounds; round++) {
    let changed = false;
    for (const input of inputs) {
      for (const call of input.calls) {
        const callees = resolve(input, call);
        for (const callee of callees) {
          for (const reach of [...callee.summary.reaches]) {
            const argument = call.args[reach.param];
            if (!argument) continue;
            if ((argument.cleared & sinkClasses[reach.cls].bit) !== 0) continue;
            if (argument.origin) {
              const origin = argument.origin;
              const fits =
                (!reach.needsWhole || origin.whole) &&
                (!reach.needsObject || origin.part === 'body' || origin.part === 'query');
              const key = `${reach.file ?? callee.file}:${reach.line}:${reach.cls}`;
              if (fits && !hits.has(key))
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
              for (const owner of byName.get(call.enclosing) ?? []) {
                if (owner.file !== input.file) continue;
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
