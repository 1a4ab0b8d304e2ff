// monitoring routing figures (node --import tsx bench/monitoring-routing.ts): routing decisions per
// second on a 10-route Alertmanager tree, against two peers in the same run:
// 1. amtool 0.25 `config routes test` (the real Alertmanager routing code), one process per
//    decision as amtool offers it, so its time includes start-up and config load: a per-decision
//    figure, not a like-for-like inner loop; its answers are also checked against ours;
// 2. a naive matcher over the same parsed config that parses and compiles matchers on every
//    decision (no precompilation), the obvious implementation the precompiled tree replaces.
// The target is ≥ 50k decisions/s (issue 19).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAlertmanagerConfig, type RouteConfig } from '../tools/monitoring/alerts/routing/am-config.js';
import { compileMatcher } from '../tools/monitoring/alerts/routing/matchers.js';
import { buildRouteTree, routeAlert, walkRoutes } from '../tools/monitoring/alerts/routing/route.js';
import type { LabelSet } from '../tools/monitoring/alerts/alert-types.js';
import { seededRandom, generateLabels } from '../tests/monitoring/routing-fixture.js';
import { round, table } from './stats.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

const yaml = `route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['severity="critical"']
      receiver: pagerduty-oncall
      continue: true
      routes:
        - matchers: ['team=~"db|ml"', 'env!="dev"']
          receiver: pagerduty-db
    - match_re: {profile: 'database|ml_compute'}
      receiver: slack-db-ml
      routes:
        - matchers: ['alertname=~"Disk.*"']
          receiver: email-storage
        - matchers: ['env="staging"']
          receiver: slack-staging
    - matchers: ['team="web"', 'severity!~"info|warning"']
      receiver: slack-web
      routes:
        - matchers: ['instance=~"web-0[0-9]+"']
          receiver: email-ops
    - match: {env: dev}
      receiver: devnull
    - matchers: ['alertname=~".*Down"']
      receiver: pagerduty-oncall
      continue: true
    - matchers: ['team="ops"']
      receiver: email-ops
receivers:
  - name: default
  - name: pagerduty-oncall
  - name: pagerduty-db
  - name: slack-db-ml
  - name: email-storage
  - name: slack-staging
  - name: slack-web
  - name: devnull
  - name: email-ops
`;

/** The peer without precompilation: matchers compiled (regexes built) on every decision. */
function naiveRoute(route: RouteConfig, labels: LabelSet, inherited: string): string[] {
  const receiver = route.receiver ?? inherited;
  if (!route.matchers.every((m) => compileMatcher(m).test(labels))) return [];
  const out: string[] = [];
  for (const child of route.routes) {
    const found = naiveRoute(child, labels, receiver);
    out.push(...found);
    if (found.length > 0 && !child.continue) break;
  }
  return out.length > 0 ? out : [receiver];
}

function rate(decisions: number, work: (i: number) => void): number {
  const started = performance.now();
  for (let i = 0; i < decisions; i++) work(i);
  return decisions / ((performance.now() - started) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main() {
  const config = parseAlertmanagerConfig(yaml);
  const tree = buildRouteTree(config);
  const routes = walkRoutes(tree).length - 1;
  const random = seededRandom(42);
  const labelSets = Array.from({ length: 1000 }, () => generateLabels(random));
  let sink = 0;
  const ours = (i: number) => void (sink += routeAlert(tree, labelSets[i % labelSets.length]!).length);
  const naive = (i: number) => void (sink += naiveRoute(config.route, labelSets[i % labelSets.length]!, '').length);
  rate(50_000, ours);
  rate(5_000, naive);
  const oursRates = [0, 1, 2, 3, 4].map(() => rate(200_000, ours));
  const naiveRates = [0, 1, 2].map(() => rate(20_000, naive));

  const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-bench-routing-'));
  const file = path.join(dir, 'am.yml');
  await writeFile(file, yaml);
  const amtoolDecisions = 300;
  let agree = 0;
  const started = performance.now();
  for (let i = 0; i < amtoolDecisions; i++) {
    const labels = labelSets[i]!;
    const args = ['config', 'routes', 'test', `--config.file=${file}`];
    for (const [name, value] of Object.entries(labels)) args.push(`${name}=${JSON.stringify(value)}`);
    const { stdout } = await run('/usr/bin/amtool', args);
    if (
      stdout.trim() ===
      routeAlert(tree, labels)
        .map((r) => r.receiver)
        .join(',')
    )
      agree++;
  }
  const amtoolMs = (performance.now() - started) / amtoolDecisions;
  await rm(dir, { recursive: true, force: true });

  const oursPerSecond = median(oursRates);
  const naivePerSecond = median(naiveRates);
  const amtoolPerSecond = 1000 / amtoolMs;
  const rows = [
    {
      router: 'caelum (precompiled)',
      decisionsPerSecond: Math.round(oursPerSecond),
      usPerDecision: round(1e6 / oursPerSecond, 2),
      ratio: 1,
    },
    {
      router: 'naive (compile per decision)',
      decisionsPerSecond: Math.round(naivePerSecond),
      usPerDecision: round(1e6 / naivePerSecond, 2),
      ratio: round(oursPerSecond / naivePerSecond, 1),
    },
    {
      router: 'amtool 0.25 (process per decision)',
      decisionsPerSecond: round(amtoolPerSecond, 1),
      usPerDecision: round(amtoolMs * 1000, 0),
      ratio: Math.round(oursPerSecond / amtoolPerSecond),
    },
  ];
  process.stdout.write(
    table(`Routing decisions on a ${routes}-route tree (target ≥ 50,000/s); ratio = caelum ÷ peer`, rows),
  );
  process.stdout.write(`amtool agreed on ${agree}/${amtoolDecisions} label sets\n`);
  const out = path.join(root, 'bench', 'results');
  await mkdir(out, { recursive: true });
  await writeFile(
    path.join(out, 'monitoring-routing.json'),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        routes,
        labelSets: labelSets.length,
        targetPerSecond: 50_000,
        meetsTarget: oursPerSecond >= 50_000,
        rows,
        oursRuns: oursRates.map((r) => Math.round(r)),
        naiveRuns: naiveRates.map((r) => Math.round(r)),
        amtool: { decisions: amtoolDecisions, msPerDecision: round(amtoolMs, 2), agreed: agree },
        sink,
      },
      null,
      2,
    ) + '\n',
  );
}

await main();
