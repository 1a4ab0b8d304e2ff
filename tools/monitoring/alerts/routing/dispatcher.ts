// Aggregation groups with Alertmanager's timing (dispatch/dispatch.go + notify DedupStage), driven by
// explicit tick(now) calls under the caller's clock (no timers here):
// - a group is one route × the values of its group_by labels; its key is Alertmanager's
//   `<route key>:<group labels>`;
// - the first flush comes group_wait after the group is created (at once for an alert that started
//   more than group_wait ago), later flushes every group_interval;
// - a flush sends only when the firing set grew, when alerts resolved (sent once if the receiver
//   has send_resolved), or when repeat_interval has passed since the last send; repeat is checked
//   only at group_interval flushes, with Alertmanager's strict `last send < now − repeat`
//   (notify.go DedupStage), so a repeat comes at the first flush MORE than repeat_interval after the
//   last send: rounded up to a multiple of group_interval (7m with 5m → 10m). When it divides
//   exactly, Alertmanager's answer depends on whether the send took longer than the flush timer was
//   late; with real receivers it usually did, giving one more group_interval (4h with 5m → 4h05m),
//   which is what this follows and what nextRepeatAt promises (seen on Alertmanager 0.25 here: with
//   a loopback webhook it went either way);
// - nothing is sent for alerts that resolved before anything about them was sent;
// - muted (silenced or inhibited) alerts are left out; resolved alerts are dropped after a flush.
import type { Alert, LabelSet, Notification, NotificationStatus, ReceiverConfig } from '../alert-types.js';
import { labelSetToString } from './matchers.js';
import { routeAlert, type RouteNode } from './route.js';

export { fingerprint } from './fingerprint.js';

interface LogEntry {
  at: number;
  firing: Set<string>;
  resolved: Set<string>;
}

interface Group {
  /** Alertmanager's group key (shown, and sent in payloads); sibling routes with equal matchers share it. */
  key: string;
  /** Unique per route and group labels: groups and the notification log are kept by it, as Alertmanager keeps them per route. */
  id: string;
  route: RouteNode;
  labels: LabelSet;
  alerts: Map<string, Alert>;
  nextFlushAt: number;
  hasFlushed: boolean;
}

export interface GroupView {
  groupKey: string;
  routeId: string;
  receiver: string;
  groupLabels: LabelSet;
  fingerprints: string[];
  nextFlushAt: number;
  lastSentAt: number | null;
  nextRepeatAt: number | null;
}

export interface DispatcherOptions {
  tree: RouteNode;
  receivers: readonly ReceiverConfig[];
  /** True when the alert is silenced or inhibited at `now`; such alerts are left out of flushes. */
  isMuted?: (alert: Alert, now: number) => boolean;
}

export function isResolved(alert: Alert, now: number): boolean {
  return alert.endsAt !== undefined && alert.endsAt <= now;
}

/** Alertmanager's group label set: the alert's labels named in group_by (all with `...`). */
export function groupLabelsFor(route: RouteNode, labels: LabelSet): LabelSet {
  const out: LabelSet = {};
  for (const [name, value] of Object.entries(labels)) {
    if (route.groupByAll || route.groupBy.includes(name)) out[name] = value;
  }
  return out;
}

export function groupKeyFor(route: RouteNode, labels: LabelSet): string {
  return `${route.key}:${labelSetToString(groupLabelsFor(route, labels))}`;
}

/** The first group_interval flush strictly after repeat_interval has passed, from a send at `sentAt`. */
export function repeatDueAt(route: RouteNode, sentAt: number): number {
  return sentAt + (Math.floor(route.repeatIntervalMs / route.groupIntervalMs) + 1) * route.groupIntervalMs;
}

function compareAlerts(a: Alert, b: Alert): number {
  for (const name of ['job', 'instance']) {
    const x = a.labels[name];
    const y = b.labels[name];
    if (x === undefined && y === undefined) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    if (x !== y) return x < y ? -1 : 1;
  }
  const x = labelSetToString(a.labels);
  const y = labelSetToString(b.labels);
  return x < y ? -1 : x > y ? 1 : 0;
}

function common<T extends Record<string, string>>(maps: T[]): Record<string, string> {
  if (maps.length === 0) return {};
  const out: Record<string, string> = { ...maps[0] };
  for (const map of maps.slice(1)) for (const key of Object.keys(out)) if (map[key] !== out[key]) delete out[key];
  return out;
}

function isSubset(subset: Set<string>, of: Set<string>): boolean {
  for (const item of subset) if (!of.has(item)) return false;
  return true;
}

export class Dispatcher {
  private readonly groups = new Map<string, Group>();
  private readonly log = new Map<string, LogEntry>();
  private readonly sendResolved = new Map<string, boolean>();

  constructor(private readonly options: DispatcherOptions) {
    for (const r of options.receivers) {
      const all = [...r.slack, ...r.pagerduty, ...r.webhook, ...r.email];
      this.sendResolved.set(
        r.name,
        all.some((c) => c.sendResolved),
      );
    }
  }

  /** A new or updated alert (same fingerprint replaces), routed to every matching route's group. */
  insert(alert: Alert, now: number): void {
    for (const route of routeAlert(this.options.tree, alert.labels)) {
      const labels = groupLabelsFor(route, alert.labels);
      const key = `${route.key}:${labelSetToString(labels)}`;
      const id = `${route.id}:${labelSetToString(labels)}`;
      let group = this.groups.get(id);
      if (!group) {
        group = { key, id, route, labels, alerts: new Map(), nextFlushAt: now + route.groupWaitMs, hasFlushed: false };
        this.groups.set(id, group);
      }
      group.alerts.set(alert.fingerprint, alert);
      // An alert that started more than group_wait ago does not wait again (dispatch.go insert).
      if (!group.hasFlushed && alert.startsAt + route.groupWaitMs < now) group.nextFlushAt = now;
    }
  }

  /** Flushes every group that is due at `now`; returns what to send. */
  tick(now: number): Notification[] {
    const out: Notification[] = [];
    for (const group of [...this.groups.values()]) {
      if (group.nextFlushAt > now) continue;
      const reason = group.hasFlushed ? 'group_interval' : 'group_wait';
      group.hasFlushed = true;
      group.nextFlushAt = now + group.route.groupIntervalMs;
      const notification = this.flush(group, now, reason);
      if (notification) out.push(notification);
      if (group.alerts.size === 0) {
        this.groups.delete(group.id);
        if (this.log.get(group.id)?.firing.size === 0) this.log.delete(group.id);
      }
    }
    return out;
  }

  /** When the next group flush is due (for scheduling a tick), or null with no groups. */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const group of this.groups.values()) if (next === null || group.nextFlushAt < next) next = group.nextFlushAt;
    return next;
  }

  views(): GroupView[] {
    return [...this.groups.values()].map((group) => {
      const entry = this.log.get(group.id);
      return {
        groupKey: group.key,
        routeId: group.route.id,
        receiver: group.route.receiver,
        groupLabels: group.labels,
        fingerprints: [...group.alerts.keys()],
        nextFlushAt: group.nextFlushAt,
        lastSentAt: entry?.at ?? null,
        nextRepeatAt: entry && entry.firing.size > 0 ? repeatDueAt(group.route, entry.at) : null,
      };
    });
  }

  private flush(group: Group, now: number, reason: Notification['reason']): Notification | null {
    const isMuted = this.options.isMuted ?? (() => false);
    const current = [...group.alerts.values()].sort(compareAlerts);
    // Resolved alerts are dropped after this flush whether or not anything is sent (aggrGroup.flush).
    for (const alert of current) if (isResolved(alert, now)) group.alerts.delete(alert.fingerprint);
    const visible = current.filter((alert) => !isMuted(alert, now));
    if (visible.length === 0) return null;
    const firing = new Set(visible.filter((a) => !isResolved(a, now)).map((a) => a.fingerprint));
    const resolved = new Set(visible.filter((a) => isResolved(a, now)).map((a) => a.fingerprint));
    const entry = this.log.get(group.id);
    const sendResolved = this.sendResolved.get(group.route.receiver) ?? false;
    let why: Notification['reason'] | null = null;
    if (!entry) why = firing.size > 0 ? reason : null;
    else if (!isSubset(firing, entry.firing)) why = reason;
    else if (firing.size === 0) why = entry.firing.size > 0 ? reason : null;
    else if (sendResolved && !isSubset(resolved, entry.resolved)) why = reason;
    else if (now - entry.at > group.route.repeatIntervalMs) why = 'repeat_interval';
    if (why === null) return null;
    this.log.set(group.id, { at: now, firing, resolved });
    const sent = visible.filter((a) => sendResolved || firing.has(a.fingerprint));
    // Without send_resolved, an all-resolved flush only clears the log (RetryStage sends nothing).
    if (sent.length === 0) return null;
    const alerts = sent.map((alert) => {
      const status: NotificationStatus = firing.has(alert.fingerprint) ? 'firing' : 'resolved';
      return { status, alert: status === 'firing' ? { ...alert, endsAt: undefined } : { ...alert } };
    });
    return {
      receiver: group.route.receiver,
      groupKey: group.key,
      groupLabels: { ...group.labels },
      commonLabels: common(sent.map((a) => a.labels)),
      commonAnnotations: common(sent.map((a) => a.annotations)),
      status: firing.size > 0 ? 'firing' : 'resolved',
      alerts,
      reason: why,
      at: now,
      nextRepeatAt: firing.size > 0 ? repeatDueAt(group.route, now) : null,
    };
  }
}
