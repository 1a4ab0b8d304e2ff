// Alertmanager YAML parsing, matchers, RE2 checks, durations and route inheritance.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../tools/errors.js';
import { parseAlertmanagerConfig } from '../../tools/monitoring/alerts/routing/am-config.js';
import { formatDuration, parseDuration } from '../../tools/monitoring/alerts/routing/duration.js';
import { compileMatcher, parseMatchers } from '../../tools/monitoring/alerts/routing/matchers.js';
import { buildRouteTree, routeAlert } from '../../tools/monitoring/alerts/routing/route.js';

const config = `global:
  slack_api_url: https://hooks.slack.com/services/T000/B000/SECRETSLACKPATH
  smtp_smarthost: 127.0.0.1:2525
  smtp_from: am@example.org
  resolve_timeout: 2m
templates: ['/etc/am/*.tmpl']
route:
  receiver: default
  group_by: [alertname]
  group_wait: 10s
  routes:
    - matchers: ['severity="critical"']
      receiver: pagerduty-oncall
      continue: true
      group_by: ['...']
      repeat_interval: 1h30m
      routes:
        - match: {profile: database}
          receiver: db-mail
    - match_re: {profile: 'database|ml_compute'}
      receiver: slack-db-ml
      group_interval: 2m
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
receivers:
  - name: default
  - name: pagerduty-oncall
    pagerduty_configs:
      - routing_key: R0UT1NGKEYSECRET
  - name: slack-db-ml
    slack_configs:
      - channel: '#db'
  - name: db-mail
    email_configs:
      - to: db@example.org
        auth_password: SMTPSECRET
`;

test('parses routes, inheritance, receivers with global defaults and inhibit rules', () => {
  const parsed = parseAlertmanagerConfig(config);
  const tree = buildRouteTree(parsed);
  assert.equal(tree.groupWaitMs, 10_000);
  assert.equal(tree.groupIntervalMs, 300_000);
  assert.equal(tree.repeatIntervalMs, 4 * 3600_000);
  const [critical, dbMl] = tree.routes;
  assert.equal(critical!.groupByAll, true);
  assert.equal(critical!.repeatIntervalMs, 5_400_000);
  assert.equal(critical!.groupWaitMs, 10_000, 'inherited from the root');
  const dbMail = critical!.routes[0]!;
  assert.equal(dbMail.groupByAll, true, 'group_by ... inherited');
  assert.equal(dbMail.repeatIntervalMs, 5_400_000, 'repeat inherited from the parent');
  assert.equal(dbMail.key, '{}/{severity="critical"}/{profile="database"}');
  assert.equal(dbMl!.groupBy.join(), 'alertname');
  assert.equal(dbMl!.groupIntervalMs, 120_000);
  const slack = parsed.receivers.find((r) => r.name === 'slack-db-ml')!;
  assert.equal(slack.slack[0]!.apiUrl, 'https://hooks.slack.com/services/T000/B000/SECRETSLACKPATH');
  assert.equal(slack.slack[0]!.sendResolved, false);
  const pd = parsed.receivers.find((r) => r.name === 'pagerduty-oncall')!.pagerduty[0]!;
  assert.deepEqual([pd.url, pd.sendResolved], ['https://events.pagerduty.com/v2/enqueue', true]);
  const mail = parsed.receivers.find((r) => r.name === 'db-mail')!.email[0]!;
  assert.deepEqual([mail.smarthost, mail.from, mail.requireTls], ['127.0.0.1:2525', 'am@example.org', true]);
  assert.equal(parsed.global.resolveTimeoutMs, 120_000);
  assert.deepEqual(parsed.inhibitRules[0]!.equal, ['alertname']);
  assert.ok(parsed.notes.some((n) => n.includes('templates')));
  // The example of domain-facts §3.1: continue sends to both.
  const receivers = routeAlert(tree, { severity: 'critical', profile: 'database' }).map((r) => r.receiver);
  assert.deepEqual(receivers, ['db-mail', 'slack-db-ml']);
  assert.deepEqual(
    routeAlert(tree, { profile: 'ml_compute' }).map((r) => r.receiver),
    ['slack-db-ml'],
  );
  assert.deepEqual(
    routeAlert(tree, { profile: 'ml_compute-x' }).map((r) => r.receiver),
    ['default'],
    'match_re is anchored',
  );
});

function errorOf(yaml: string): InputError {
  try {
    parseAlertmanagerConfig(yaml, { field: 'yaml' });
  } catch (error) {
    assert.ok(error instanceof InputError);
    return error;
  }
  assert.fail('expected an InputError');
}

test('errors name the line and column of the offending node and the fix, never secrets', () => {
  const badRegex = config.replace("'database|ml_compute'", "'(?<=x)db'");
  assert.match(errorOf(badRegex).message, /^yaml: line 20, column 27: .*lookbehind.*RE2/);
  const badDuration = config.replace('1h30m', '90 minutes');
  assert.match(
    errorOf(badDuration).message,
    /^yaml: line 16, column 24: repeat_interval "90 minutes" is not a duration/,
  );
  const unknown = config.replace('receiver: db-mail', 'receiver: db-mial');
  const message = errorOf(unknown).message;
  assert.match(message, /^yaml: line 18, column 11: undefined receiver "db-mial"/);
  assert.match(message, /define it under receivers/);
  const badMatcher = config.replace(`['severity="critical"']`, `['severity=="crit"ical"']`);
  assert.match(errorOf(badMatcher).message, /line 12, column 18: matcher value contains an unescaped double quote/);
  const malformed = config.replace('group_wait: 10s', 'group_wait: [10s');
  assert.match(errorOf(malformed).message, /^yaml: line \d+, column \d+: malformed YAML/);
  const noKey = config.replace('      - routing_key: R0UT1NGKEYSECRET', '      - severity: critical');
  assert.match(errorOf(noKey).message, /missing routing_key/);
  const badUrl = config.replace(
    'https://hooks.slack.com/services/T000/B000/SECRETSLACKPATH',
    'ftp://x/SECRETSLACKPATH',
  );
  const urlMessage = errorOf(badUrl).message;
  assert.match(urlMessage, /unsupported scheme "ftp"/);
  for (const text of [message, urlMessage]) assert.doesNotMatch(text, /SECRET/);
});

test('the YAML size budget is named when hit', () => {
  const error = (() => {
    try {
      parseAlertmanagerConfig(config, { maxBytes: 100 });
    } catch (e) {
      return e as Error;
    }
  })();
  assert.match(String(error), /over the maxConfigBytes budget of 100/);
});

test('classic matchers: operators, quoting, escapes, several per string, missing label as empty', () => {
  const [a, b, c] = parseMatchers('{team="db", env!~"prod|staging" , msg=~"a\\"b,c"}');
  assert.deepEqual([a!.name, a!.type, a!.value], ['team', '=', 'db']);
  assert.deepEqual([b!.type, b!.value], ['!~', 'prod|staging']);
  assert.equal(c!.value, 'a"b,c');
  assert.equal(parseMatchers('x = unquoted value ')[0]!.value, 'unquoted value');
  assert.equal(compileMatcher({ name: 'team', type: '=', value: '' }).test({}), true);
  assert.equal(compileMatcher({ name: 'team', type: '!=', value: '' }).test({ team: 'db' }), true);
  assert.equal(compileMatcher({ name: 'team', type: '=~', value: 'd.' }).test({ team: 'db2' }), false);
  assert.equal(compileMatcher({ name: 's', type: '=~', value: '(?i)CRIT' }).test({ s: 'crit' }), true);
  assert.equal(compileMatcher({ name: 's', type: '=~', value: '[[:alpha:]]+' }).test({ s: 'abc' }), true);
  assert.equal(compileMatcher({ name: 's', type: '=~', value: '(?P<x>a)b' }).test({ s: 'ab' }), true);
  for (const bad of ['(a)\\1', 'a(?!b)', 'a(?=b)', '(?<x>a)', '\\k<x>']) {
    assert.throws(() => compileMatcher({ name: 's', type: '=~', value: bad }), /RE2/, bad);
  }
  assert.throws(() => parseMatchers('team~db'), /bad matcher format/);
});

test('Prometheus durations', () => {
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('1w2d'), 9 * 86_400_000);
  assert.equal(parseDuration('1y'), 365 * 86_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('0'), 0);
  for (const bad of ['', '5', '30m1h', '1.5h', '5 m', '-1s']) assert.equal(parseDuration(bad), null, bad);
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(30_000), '30s');
});
