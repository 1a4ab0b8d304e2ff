// monitoring_manage_silence: add, expire and list silences on the running alert engine, in
// Alertmanager's silence shape. The engine is the one the composition root places on the environment
// as `environment.monitoring.alerting.engine`; without it, listing says so and changes are refused.
import { z } from 'zod';
import { defineTool } from '../../../define-tool.js';
import type { ToolContext } from '../../../context.js';
import { InputError, ToolError } from '../../../errors.js';
import type { AlertEngine } from './alert-engine.js';
import { parseDuration } from './duration.js';
import { MatcherError, parseMatchers } from './matchers.js';
import type { SilenceMatcher } from './silences.js';

export interface AlertEngineEnvironment {
  monitoring?: { alerting?: { engine?: AlertEngine | undefined } | undefined } | undefined;
}

export function configuredAlertEngine(context: ToolContext): AlertEngine | undefined {
  return (context.environment as AlertEngineEnvironment).monitoring?.alerting?.engine;
}

function toSilenceMatchers(texts: string[]): SilenceMatcher[] {
  try {
    return texts.flatMap(parseMatchers).map((m) => ({
      name: m.name,
      value: m.value,
      isRegex: m.type === '=~' || m.type === '!~',
      isEqual: m.type === '=' || m.type === '=~',
    }));
  } catch (error) {
    if (error instanceof MatcherError) throw new InputError('matchers', `${error.message}; write name op value`);
    throw error;
  }
}

const silenceSchema = z.object({
  id: z.string(),
  matchers: z.array(z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean() })),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
  state: z.enum(['expired', 'active', 'pending']),
});

export const manageSilenceTool = defineTool({
  name: 'monitoring_manage_silence',
  domain: 'monitoring',
  tags: ['alertmanager', 'silence', 'mute', 'alerts', 'maintenance', 'expire'],
  requests: [
    'silence the disk alerts on db-01 for two hours',
    'mute alerts during maintenance',
    'list active silences',
    'expire a silence',
  ],
  title: 'Add, expire or list alert silences',
  description:
    'Manages silences on the running alert engine with Alertmanager semantics: a silence mutes every alert whose labels match all its matchers (anchored RE2 regexes, missing label = empty) between startsAt and endsAt; states are pending, active, expired. add needs matchers, a duration (Prometheus syntax, e.g. 2h) or endsAt, createdBy and comment; expire needs id; list shows them all. Muted alerts are not notified; they stay listed as suppressed. Example: {"action":"add","matchers":["alertname=\\"DiskFull\\"","instance=~\\"db-.*\\""],"duration":"2h","createdBy":"ops","comment":"disk swap"}',
  kind: { effect: 'action', openWorld: false },
  input: z.object({
    action: z.enum(['add', 'expire', 'list']).describe('add a silence, expire one by id, or list all silences.'),
    matchers: z
      .array(z.string().max(1024))
      .max(32)
      .optional()
      .describe('For add: Alertmanager matchers, each `name op value` with op = != =~ !~, e.g. severity="critical".'),
    duration: z.string().max(32).optional().describe('For add: how long from now, Prometheus syntax (30m, 2h, 1d).'),
    endsAt: z.string().datetime().optional().describe('For add, instead of duration: the ISO-8601 end time.'),
    createdBy: z.string().max(200).optional().describe('For add: who is silencing (recorded on the silence).'),
    comment: z.string().max(2000).optional().describe('For add: why, e.g. a ticket or maintenance note.'),
    id: z.string().max(100).optional().describe('For expire: the silence id from add or list.'),
  }),
  output: z.object({
    configured: z.boolean(),
    changed: silenceSchema.nullable(),
    silences: z.array(silenceSchema),
    message: z.string(),
  }),
  examples: [{ action: 'list' }],
  async handler(input, context) {
    const engine = configuredAlertEngine(context);
    const iso = (ms: number) => new Date(ms).toISOString();
    const view = () =>
      (engine?.listSilences() ?? []).map((s) => ({ ...s, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt) }));
    if (!engine) {
      if (input.action === 'list')
        return {
          configured: false,
          changed: null,
          silences: [],
          message: 'no alert engine is configured (monitoring.alertmanager.configFile)',
        };
      throw new ToolError('NOT_CONFIGURED', 'no alert engine is configured; set monitoring.alertmanager.configFile');
    }
    if (input.action === 'list')
      return { configured: true, changed: null, silences: view(), message: `${view().length} silences` };
    if (input.action === 'expire') {
      if (!input.id) throw new InputError('id', 'expire needs the silence id; list the silences for it');
      const expired = engine.expireSilence(input.id);
      const changed = view().find((s) => s.id === expired.id) ?? null;
      return { configured: true, changed, silences: view(), message: `expired silence ${expired.id}` };
    }
    if (!input.matchers || input.matchers.length === 0)
      throw new InputError('matchers', 'add needs at least one matcher, e.g. ["alertname=\\"DiskFull\\""]');
    if (!input.createdBy || !input.comment)
      throw new InputError('createdBy', 'add needs createdBy and comment; say who and why');
    const now = context.clock.now();
    let endsAt: number;
    if (input.endsAt) endsAt = Date.parse(input.endsAt);
    else {
      const ms = input.duration === undefined ? null : parseDuration(input.duration);
      if (ms === null || ms <= 0)
        throw new InputError('duration', 'give a positive Prometheus duration such as 2h, or endsAt');
      endsAt = now + ms;
    }
    const silence = engine.addSilence({
      matchers: toSilenceMatchers(input.matchers),
      endsAt,
      createdBy: input.createdBy,
      comment: input.comment,
    });
    const changed = view().find((s) => s.id === silence.id) ?? null;
    const muted = engine.listAlerts().filter((a) => a.silencedBy.includes(silence.id)).length;
    return {
      configured: true,
      changed,
      silences: view(),
      message: `added silence ${silence.id} until ${iso(endsAt)}; it mutes ${muted} firing alerts now`,
    };
  },
  summarize: (o) => [o.message, ...o.silences.map(describeSilence)].join('\n'),
});

function describeSilence(s: z.output<typeof silenceSchema>): string {
  const op = (m: SilenceMatcher) => (m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=');
  const matchers = s.matchers.map((m) => `${m.name}${op(m)}${JSON.stringify(m.value)}`).join(', ');
  return `${s.id} ${s.state} until ${s.endsAt}: ${matchers} (${s.createdBy}: ${s.comment})`;
}
