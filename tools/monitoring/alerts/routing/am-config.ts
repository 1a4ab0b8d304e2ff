// Alertmanager's own YAML (0.25 schema) into a typed config: the route tree as written (inheritance
// is resolved by route.ts), inhibit rules, receivers with global defaults. Errors are InputErrors
// naming the line and column of the offending node and the fix, as `amtool check-config` would
// refuse the same file. `templates` and time intervals are accepted and noted, not applied.
import { LineCounter, parseDocument, type Node } from 'yaml';
import { InputError } from '../../../errors.js';
import type { ReceiverConfig } from '../alert-types.js';
import { parseReceiver, type GlobalConfig } from './am-receivers.js';
import { parseDuration } from './duration.js';
import { compileMatcher, MatcherError, parseMatchers, type Matcher } from './matchers.js';
import { YamlReader } from './yaml-nodes.js';

export type { GlobalConfig } from './am-receivers.js';

/** A route as written: unset timings and group_by stay undefined (children inherit them). */
export interface RouteConfig {
  receiver?: string | undefined;
  /** Label names; `'...'` (from `['...']`) groups by all labels; undefined inherits. */
  groupBy?: string[] | '...' | undefined;
  continue: boolean;
  /** matchers + match (as =) + match_re (as =~), in the order written. */
  matchers: Matcher[];
  groupWaitMs?: number | undefined;
  groupIntervalMs?: number | undefined;
  repeatIntervalMs?: number | undefined;
  muteTimeIntervals: string[];
  routes: RouteConfig[];
  /** Where the route starts in the YAML, 1-based. */
  line: number;
  column: number;
}

export interface InhibitRule {
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
}

export interface AlertmanagerConfig {
  global: GlobalConfig;
  route: RouteConfig;
  inhibitRules: InhibitRule[];
  receivers: ReceiverConfig[];
  /** What was accepted but not applied (templates, time intervals, unsupported receiver kinds). */
  notes: string[];
}

export interface ParseOptions {
  /** The tool input field named in errors; default `config`. */
  field?: string;
  /** Size budget for the YAML text; default 256 KiB. */
  maxBytes?: number;
}

export const defaultMaxConfigBytes = 256 * 1024;
export const defaultTimings = { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3600_000 };

const topKeys = ['global', 'route', 'inhibit_rules', 'receivers', 'templates', 'mute_time_intervals', 'time_intervals'];
const routeKeys = [
  'receiver',
  'group_by',
  'continue',
  'matchers',
  'match',
  'match_re',
  'group_wait',
  'group_interval',
  'repeat_interval',
  'mute_time_intervals',
  'active_time_intervals',
  'routes',
];
const inhibitKeys = [
  'source_matchers',
  'source_match',
  'source_match_re',
  'target_matchers',
  'target_match',
  'target_match_re',
  'equal',
];
const globalKeys = [
  'resolve_timeout',
  'http_config',
  'smtp_from',
  'smtp_hello',
  'smtp_smarthost',
  'smtp_auth_username',
  'smtp_auth_password',
  'smtp_auth_password_file',
  'smtp_auth_secret',
  'smtp_auth_identity',
  'smtp_require_tls',
  'slack_api_url',
  'slack_api_url_file',
  'pagerduty_url',
  'opsgenie_api_url',
  'opsgenie_api_key',
  'opsgenie_api_key_file',
  'wechat_api_url',
  'wechat_api_secret',
  'wechat_api_corp_id',
  'victorops_api_url',
  'victorops_api_key',
  'victorops_api_key_file',
  'telegram_api_url',
  'webex_api_url',
];
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

class ConfigParser {
  private readonly notes: string[] = [];

  constructor(
    private readonly reader: YamlReader,
    private readonly lines: LineCounter,
  ) {}

  duration(node: Node | null | undefined, what: string): number | undefined {
    if (node === undefined || node === null) return undefined;
    const text = this.reader.string(node, what);
    const ms = parseDuration(text);
    if (ms === null) throw this.reader.fail(node, `${what} "${text}" is not a duration; write e.g. 30s, 5m, 1h30m, 4h`);
    return ms;
  }

  matcherList(node: Node | null | undefined, what: string): Matcher[] {
    const out: Matcher[] = [];
    for (const { value, node: item } of this.reader.strings(node, what)) {
      try {
        out.push(...parseMatchers(value));
      } catch (error) {
        if (error instanceof MatcherError) throw this.reader.fail(item, `${error.message}; fix the ${what} entry`);
        throw error;
      }
    }
    return out;
  }

  /** Deprecated `match` / `match_re` maps: label name → value (or RE2 regex). */
  matchMap(node: Node | null | undefined, what: string, type: '=' | '=~'): Matcher[] {
    if (node === undefined || node === null) return [];
    const out: Matcher[] = [];
    for (const [name, entry] of this.reader.map(node, what, null)) {
      if (!labelName.test(name)) throw this.reader.fail(entry.key, `invalid label name "${name}" in ${what}`);
      const matcher: Matcher = { name, type, value: this.reader.string(entry.value, `${what}.${name}`) };
      try {
        compileMatcher(matcher);
      } catch (error) {
        if (error instanceof MatcherError) throw this.reader.fail(entry.value, `${error.message}; fix the regex`);
        throw error;
      }
      out.push(matcher);
    }
    return out;
  }

  route(node: Node | null, depth: number, counter: { routes: number }): RouteConfig {
    const reader = this.reader;
    if (++counter.routes > 5000 || depth > 100)
      throw reader.fail(node, 'more than 5000 routes or deeper than 100 levels (route budget); simplify the tree');
    const e = reader.map(node, 'a route', routeKeys);
    const { line, col } = { line: 0, col: 0, ...this.position(node) };
    let groupBy: RouteConfig['groupBy'];
    const groupNode = e.get('group_by')?.value;
    if (groupNode) {
      const names = reader.strings(groupNode, 'group_by');
      const all = names.some((n) => n.value === '...');
      if (all && names.length > 1)
        throw reader.fail(groupNode, "group_by cannot mix '...' with label names; use ['...'] alone or list labels");
      const seen = new Set<string>();
      for (const n of names) {
        if (n.value !== '...' && !labelName.test(n.value))
          throw reader.fail(n.node, `invalid label name "${n.value}" in group_by`);
        if (seen.has(n.value)) throw reader.fail(n.node, `duplicated label "${n.value}" in group_by; list it once`);
        seen.add(n.value);
      }
      if (names.length > 0) groupBy = all ? '...' : names.map((n) => n.value);
    }
    const timing = (key: string) => {
      const ms = this.duration(e.get(key)?.value, key);
      if (ms === 0 && key !== 'group_wait')
        throw reader.fail(e.get(key)!.value, `${key} cannot be zero; give a positive duration`);
      return ms;
    };
    const children = reader.seq(e.get('routes')?.value ?? null, 'routes');
    return {
      receiver: reader.optionalString(e.get('receiver')?.value, 'receiver'),
      groupBy,
      continue: reader.boolean(e.get('continue')?.value, 'continue', false),
      matchers: [
        ...this.matchMap(e.get('match')?.value, 'match', '='),
        ...this.matchMap(e.get('match_re')?.value, 'match_re', '=~'),
        ...this.matcherList(e.get('matchers')?.value, 'matchers'),
      ],
      groupWaitMs: timing('group_wait'),
      groupIntervalMs: timing('group_interval'),
      repeatIntervalMs: timing('repeat_interval'),
      muteTimeIntervals: [
        ...reader.strings(e.get('mute_time_intervals')?.value, 'mute_time_intervals'),
        ...reader.strings(e.get('active_time_intervals')?.value, 'active_time_intervals'),
      ].map((s) => s.value),
      routes: children.map((child) => this.route(child, depth + 1, counter)),
      line,
      column: col,
    };
  }

  private position(node: Node | null): { line: number; col: number } | undefined {
    return node?.range ? this.lines.linePos(node.range[0]) : undefined;
  }

  global(node: Node | null | undefined): GlobalConfig {
    const e = node ? this.reader.map(node, 'global', globalKeys) : new Map<string, { key: Node; value: Node | null }>();
    const s = (key: string) => this.reader.optionalString(e.get(key)?.value, key);
    const slack = s('slack_api_url');
    const pagerdutyUrl = s('pagerduty_url') ?? 'https://events.pagerduty.com/v2/enqueue';
    return {
      resolveTimeoutMs: this.duration(e.get('resolve_timeout')?.value, 'resolve_timeout') ?? 300_000,
      slackApiUrl: slack,
      smtpFrom: s('smtp_from'),
      smtpSmarthost: s('smtp_smarthost'),
      smtpAuthUsername: s('smtp_auth_username'),
      smtpAuthPassword: s('smtp_auth_password'),
      smtpRequireTls: this.reader.boolean(e.get('smtp_require_tls')?.value, 'smtp_require_tls', true),
      pagerdutyUrl,
    };
  }

  inhibitRule(node: Node): InhibitRule {
    const e = this.reader.map(node, 'an inhibit rule', inhibitKeys);
    const equal = this.reader.strings(e.get('equal')?.value, 'equal');
    for (const n of equal)
      if (!labelName.test(n.value)) throw this.reader.fail(n.node, `invalid label name "${n.value}" in equal`);
    return {
      sourceMatchers: [
        ...this.matchMap(e.get('source_match')?.value, 'source_match', '='),
        ...this.matchMap(e.get('source_match_re')?.value, 'source_match_re', '=~'),
        ...this.matcherList(e.get('source_matchers')?.value, 'source_matchers'),
      ],
      targetMatchers: [
        ...this.matchMap(e.get('target_match')?.value, 'target_match', '='),
        ...this.matchMap(e.get('target_match_re')?.value, 'target_match_re', '=~'),
        ...this.matcherList(e.get('target_matchers')?.value, 'target_matchers'),
      ],
      equal: equal.map((n) => n.value),
    };
  }

  config(root: Node | null): AlertmanagerConfig {
    const reader = this.reader;
    if (root === null) throw reader.fail(root, 'the config is empty; give at least route: and receivers:');
    const top = reader.map(root, 'the config', topKeys);
    const global = this.global(top.get('global')?.value);
    if (top.has('templates')) this.notes.push('templates are ignored: Caelum renders its own payloads');
    if (top.has('mute_time_intervals') || top.has('time_intervals'))
      this.notes.push('time intervals are accepted but not applied to routing or muting');
    const receivers: ReceiverConfig[] = [];
    const names = new Set<string>();
    for (const item of reader.seq(top.get('receivers')?.value ?? null, 'receivers')) {
      const { receiver, nameNode } = parseReceiver(reader, item, global, this.notes);
      if (names.has(receiver.name))
        throw reader.fail(nameNode, `receiver name "${receiver.name}" is not unique; rename one of them`);
      names.add(receiver.name);
      receivers.push(receiver);
    }
    const routeNode = top.get('route')?.value ?? null;
    if (!routeNode) throw reader.fail(root, 'no route provided; add a top-level route: with a receiver');
    const route = this.route(routeNode, 0, { routes: 0 });
    if (!route.receiver) throw reader.fail(routeNode, 'the root route must specify a default receiver; add receiver:');
    if (route.matchers.length > 0)
      throw reader.fail(routeNode, 'the root route must not have any matchers; it must match every alert');
    if (route.muteTimeIntervals.length > 0)
      throw reader.fail(routeNode, 'the root route must not have any mute time intervals');
    else if (hasTimeIntervals(route)) this.notes.push('route mute/active time intervals are not applied');
    this.checkReceivers(route, names);
    const inhibitRules = reader
      .seq(top.get('inhibit_rules')?.value ?? null, 'inhibit_rules')
      .map((n) => this.inhibitRule(n));
    return { global, route, inhibitRules, receivers, notes: this.notes };
  }

  private checkReceivers(route: RouteConfig, names: Set<string>): void {
    if (route.receiver !== undefined && !names.has(route.receiver)) {
      const known = [...names].join(', ') || 'none';
      throw this.reader.failAt(
        route.line,
        route.column,
        `undefined receiver "${route.receiver}" used in route; define it under receivers: (defined: ${known})`,
      );
    }
    for (const child of route.routes) this.checkReceivers(child, names);
  }
}

function hasTimeIntervals(route: RouteConfig): boolean {
  return route.muteTimeIntervals.length > 0 || route.routes.some(hasTimeIntervals);
}

/** Parses Alertmanager YAML; throws InputError(field, `line L, column C: …; fix`). */
export function parseAlertmanagerConfig(text: string, options: ParseOptions = {}): AlertmanagerConfig {
  const field = options.field ?? 'config';
  const maxBytes = options.maxBytes ?? defaultMaxConfigBytes;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes)
    throw new InputError(field, `the YAML is ${bytes} bytes, over the maxConfigBytes budget of ${maxBytes}; shrink it`);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const error = doc.errors[0];
  if (error) {
    const position = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError(
      field,
      `line ${position.line}, column ${position.col}: malformed YAML: ${message}; fix the syntax there`,
    );
  }
  const parser = new ConfigParser(new YamlReader(doc, lines, field, 200_000), lines);
  return parser.config(doc.contents as Node | null);
}
