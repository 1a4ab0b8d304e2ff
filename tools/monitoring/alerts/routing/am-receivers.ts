// The `receivers:` list of an Alertmanager config, with `global:` defaults applied, into the shared
// ReceiverConfig shape. Checks follow Alertmanager's config.Load (a missing API URL, routing key,
// address or smarthost is an error there too). Secrets are never quoted in errors.
import type { Node } from 'yaml';
import type { ReceiverConfig } from '../alert-types.js';
import type { YamlReader } from './yaml-nodes.js';

export interface GlobalConfig {
  resolveTimeoutMs: number;
  slackApiUrl?: string | undefined;
  smtpFrom?: string | undefined;
  smtpSmarthost?: string | undefined;
  smtpAuthUsername?: string | undefined;
  smtpAuthPassword?: string | undefined;
  smtpRequireTls: boolean;
  pagerdutyUrl: string;
}

const supported = ['slack_configs', 'pagerduty_configs', 'webhook_configs', 'email_configs'];
const unsupported = [
  'opsgenie_configs',
  'victorops_configs',
  'pushover_configs',
  'wechat_configs',
  'telegram_configs',
  'sns_configs',
  'webex_configs',
  'discord_configs',
  'msteams_configs',
];

function checkUrl(reader: YamlReader, node: Node | null, value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw reader.fail(node, `${what} is not a valid URL; give an absolute http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw reader.fail(node, `${what} has unsupported scheme "${url.protocol.slice(0, -1)}"; use http or https`);
  return value;
}

export function parseReceiver(
  reader: YamlReader,
  node: Node,
  global: GlobalConfig,
  notes: string[],
): { receiver: ReceiverConfig; nameNode: Node | null } {
  const entries = reader.map(node, 'a receiver', ['name', ...supported, ...unsupported]);
  const nameNode = entries.get('name')?.value ?? null;
  const name = reader.optionalString(nameNode, 'receiver name');
  if (!name) throw reader.fail(node, 'missing name in receiver; add `name: <receiver>`');
  const receiver: ReceiverConfig = { name, slack: [], pagerduty: [], webhook: [], email: [] };
  for (const kind of unsupported)
    if (entries.has(kind)) notes.push(`receiver ${name}: ${kind} are not sent by Caelum; they are ignored`);
  const configs = (key: string) => reader.seq(entries.get(key)?.value ?? null, `${name}.${key}`);
  for (const item of configs('slack_configs')) {
    const c = reader.map(item, `a slack_configs entry of ${name}`, null);
    const urlNode = c.get('api_url')?.value ?? null;
    const apiUrl = reader.optionalString(urlNode, 'api_url') ?? global.slackApiUrl;
    if (!apiUrl) throw reader.fail(item, `no Slack api_url in receiver ${name} and no global slack_api_url; set one`);
    receiver.slack.push({
      apiUrl: checkUrl(reader, urlNode ?? item, apiUrl, 'slack api_url'),
      channel: reader.optionalString(c.get('channel')?.value, 'channel'),
      title: reader.optionalString(c.get('title')?.value, 'title'),
      text: reader.optionalString(c.get('text')?.value, 'text'),
      sendResolved: reader.boolean(c.get('send_resolved')?.value, 'send_resolved', false),
    });
  }
  for (const item of configs('pagerduty_configs')) {
    const c = reader.map(item, `a pagerduty_configs entry of ${name}`, null);
    const routingKey =
      reader.optionalString(c.get('routing_key')?.value, 'routing_key') ??
      reader.optionalString(c.get('service_key')?.value, 'service_key');
    if (!routingKey) throw reader.fail(item, `missing routing_key in a PagerDuty config of ${name}; add routing_key`);
    const urlNode = c.get('url')?.value ?? null;
    receiver.pagerduty.push({
      routingKey,
      url: checkUrl(
        reader,
        urlNode ?? item,
        reader.optionalString(urlNode, 'url') ?? global.pagerdutyUrl,
        'pagerduty url',
      ),
      severity: reader.optionalString(c.get('severity')?.value, 'severity'),
      sendResolved: reader.boolean(c.get('send_resolved')?.value, 'send_resolved', true),
    });
  }
  for (const item of configs('webhook_configs')) {
    const c = reader.map(item, `a webhook_configs entry of ${name}`, null);
    const urlNode = c.get('url')?.value ?? null;
    const url = reader.optionalString(urlNode, 'url');
    if (!url) throw reader.fail(item, `missing url in a webhook config of ${name}; add url`);
    const maxNode = c.get('max_alerts')?.value ?? null;
    const max = maxNode === null ? 0 : Number(reader.string(maxNode, 'max_alerts'));
    if (!Number.isInteger(max) || max < 0)
      throw reader.fail(maxNode, 'max_alerts must be a whole number ≥ 0 (0 = all)');
    receiver.webhook.push({
      url: checkUrl(reader, urlNode, url, 'webhook url'),
      maxAlerts: max,
      sendResolved: reader.boolean(c.get('send_resolved')?.value, 'send_resolved', true),
    });
  }
  for (const item of configs('email_configs')) {
    const c = reader.map(item, `an email_configs entry of ${name}`, null);
    const to = reader.optionalString(c.get('to')?.value, 'to');
    if (!to) throw reader.fail(item, `missing to address in an email config of ${name}; add to`);
    const from = reader.optionalString(c.get('from')?.value, 'from') ?? global.smtpFrom;
    if (!from) throw reader.fail(item, `no from in an email config of ${name} and no global smtp_from; set one`);
    const smarthost = reader.optionalString(c.get('smarthost')?.value, 'smarthost') ?? global.smtpSmarthost;
    if (!smarthost)
      throw reader.fail(item, `no smarthost in an email config of ${name} and no global smtp_smarthost; set host:port`);
    receiver.email.push({
      to,
      from,
      smarthost,
      authUsername: reader.optionalString(c.get('auth_username')?.value, 'auth_username') ?? global.smtpAuthUsername,
      authPassword: reader.optionalString(c.get('auth_password')?.value, 'auth_password') ?? global.smtpAuthPassword,
      requireTls: reader.boolean(c.get('require_tls')?.value, 'require_tls', global.smtpRequireTls),
      sendResolved: reader.boolean(c.get('send_resolved')?.value, 'send_resolved', false),
    });
  }
  return { receiver, nameNode };
}
