// Silences in Alertmanager's API shape (api/v2 openapi): matchers {name, value, isRegex, isEqual},
// a time window, author and comment. State is pending before startsAt, active until endsAt, then
// expired. A silence mutes an alert when it is active and every matcher matches (regexes anchored).
import type { LabelSet } from '../alert-types.js';
import { compileMatcher, matchesAll, type CompiledMatcher, type MatchType } from './matchers.js';

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** false negates the matcher (!= or !~); default true. */
  isEqual: boolean;
}

export type SilenceState = 'expired' | 'active' | 'pending';

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  /** Wall-clock ms. */
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export function silenceState(silence: Silence, now: number): SilenceState {
  if (now < silence.startsAt) return 'pending';
  if (now < silence.endsAt) return 'active';
  return 'expired';
}

function matchType(m: SilenceMatcher): MatchType {
  if (m.isRegex) return m.isEqual ? '=~' : '!~';
  return m.isEqual ? '=' : '!=';
}

/** A silence with its matchers compiled (throws MatcherError on a bad regex). */
export class CompiledSilence {
  private readonly matchers: CompiledMatcher[];

  constructor(readonly silence: Silence) {
    this.matchers = silence.matchers.map((m) => compileMatcher({ name: m.name, type: matchType(m), value: m.value }));
  }

  state(now: number): SilenceState {
    return silenceState(this.silence, now);
  }

  matches(labels: LabelSet): boolean {
    return matchesAll(this.matchers, labels);
  }

  /** True when the silence is active at `now` and matches the labels. */
  isSilenced(labels: LabelSet, now: number): boolean {
    return this.state(now) === 'active' && this.matches(labels);
  }
}

/** The ids of the active silences that match, in insertion order. */
export function silencedBy(silences: Iterable<CompiledSilence>, labels: LabelSet, now: number): string[] {
  const ids: string[] = [];
  for (const silence of silences) if (silence.isSilenced(labels, now)) ids.push(silence.silence.id);
  return ids;
}
