// Inhibition with Alertmanager's semantics (inhibit/inhibit.go): a firing alert matching a rule's
// source matchers mutes alerts matching its target matchers when the `equal` labels agree (a missing
// label equals an empty one). An alert matching both sides cannot inhibit itself, nor be inhibited by
// another source that matches both sides.
import type { Alert, LabelSet } from '../alert-types.js';
import type { InhibitRule } from './am-config.js';
import { compileMatcher, matchesAll, type CompiledMatcher } from './matchers.js';

interface CompiledRule {
  source: CompiledMatcher[];
  target: CompiledMatcher[];
  equal: string[];
}

/** Per rule, the firing source alerts keyed by their `equal` label values: built once per state. */
export type InhibitionIndex = Map<string, Alert[]>[];

function equalKey(names: readonly string[], labels: LabelSet): string {
  return JSON.stringify(names.map((name) => labels[name] ?? ''));
}

export class Inhibitor {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly InhibitRule[]) {
    this.rules = rules.map((rule) => ({
      source: rule.sourceMatchers.map(compileMatcher),
      target: rule.targetMatchers.map(compileMatcher),
      equal: rule.equal,
    }));
  }

  /** Indexes the firing alerts that match each rule's source side (resolved ones are left out by the caller). */
  index(firing: Iterable<Alert>): InhibitionIndex {
    const index: InhibitionIndex = this.rules.map(() => new Map());
    for (const alert of firing) {
      this.rules.forEach((rule, i) => {
        if (!matchesAll(rule.source, alert.labels)) return;
        const key = equalKey(rule.equal, alert.labels);
        const list = index[i]!.get(key);
        if (list) list.push(alert);
        else index[i]!.set(key, [alert]);
      });
    }
    return index;
  }

  /** The fingerprint of the firing alert that inhibits `labels`, or null. */
  inhibitedBy(labels: LabelSet, index: InhibitionIndex): string | null {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (!matchesAll(rule.target, labels)) continue;
      const sources = index[i]!.get(equalKey(rule.equal, labels));
      if (!sources) continue;
      const targetIsSource = matchesAll(rule.source, labels);
      for (const source of sources) {
        if (targetIsSource && matchesAll(rule.target, source.labels)) continue;
        return source.fingerprint;
      }
    }
    return null;
  }
}
