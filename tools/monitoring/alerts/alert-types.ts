// The alert shapes shared by routing, the dispatcher, receivers and escalation. Labels and
// annotations are Alertmanager's: string maps; an alert's identity is its label set (fingerprint).

export type LabelSet = Record<string, string>;

/** An alert as fired by an agent, a rule or the fleet classifier (Alertmanager's postable alert). */
export interface Alert {
  labels: LabelSet;
  annotations: Record<string, string>;
  /** Wall-clock ms. */
  startsAt: number;
  /** Wall-clock ms; set when resolved (or the expiry Alertmanager would give it). */
  endsAt?: number | undefined;
  generatorURL?: string | undefined;
  /** Stable hash of the sorted label set (hex). */
  fingerprint: string;
}

export type NotificationStatus = 'firing' | 'resolved';

/** One flush of an aggregation group to one receiver: what a receiver turns into a payload. */
export interface Notification {
  receiver: string;
  /** Alertmanager's group key: the route's path and the group labels, e.g. `{}/{severity="critical"}:{alertname="X"}`. */
  groupKey: string;
  groupLabels: LabelSet;
  commonLabels: LabelSet;
  commonAnnotations: Record<string, string>;
  status: NotificationStatus;
  alerts: { status: NotificationStatus; alert: Alert }[];
  /** Why it was sent: the first flush after group_wait, a change at group_interval, or a repeat. */
  reason: 'group_wait' | 'group_interval' | 'repeat_interval' | 'escalation';
  /** Wall-clock ms at which it was (or would be) sent. */
  at: number;
  /** Wall-clock ms of the next repeat if nothing changes (repeat_interval rounded up to group_interval ticks). */
  nextRepeatAt: number | null;
}

/** A receiver from the Alertmanager YAML's `receivers:` list, secrets included (never report them). */
export interface ReceiverConfig {
  name: string;
  slack: {
    apiUrl: string;
    channel?: string | undefined;
    title?: string | undefined;
    text?: string | undefined;
    sendResolved: boolean;
  }[];
  pagerduty: { routingKey: string; url: string; severity?: string | undefined; sendResolved: boolean }[];
  webhook: { url: string; maxAlerts: number; sendResolved: boolean }[];
  email: {
    to: string;
    from: string;
    smarthost: string;
    authUsername?: string | undefined;
    authPassword?: string | undefined;
    requireTls: boolean;
    sendResolved: boolean;
  }[];
}
