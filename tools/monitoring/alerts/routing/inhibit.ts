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

export class Inhibitor {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly InhibitRule[]) {
    this.rules = rules.map((rule) => ({
      source: rule.sourceMatchers.map(compileMatcher),
      target: rule.targetMatchers.map(compileMatcher),
      equal: rule.equal,
    }));
  }

  /**
   * The fingerprint of the firing alert that inhibits `labels`, or null. `firing` are the alerts
   * firing now (resolved ones are skipped by the caller or by `isFiring`).
   */
  inhibitedBy(labels: LabelSet, firing: readonly Alert[], isFiring: (alert: Alert) => boolean): string | null {
    for (const rule of this.rules) {
      if (!matchesAll(rule.target, labels)) continue;
      const targetIsSource = matchesAll(rule.source, labels);
      for (const source of firing) {
        if (!isFiring(source) || !matchesAll(rule.source, source.labels)) continue;
        if (!rule.equal.every((name) => (source.labels[name] ?? '') === (labels[name] ?? ''))) continue;
        if (targetIsSource && matchesAll(rule.target, source.labels)) continue;
        return source.fingerprint;
      }
    }
    return null;
  }
}
