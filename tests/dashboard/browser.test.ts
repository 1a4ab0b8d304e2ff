// The dashboard in a real browser: playwright-core drives Debian's Chromium against the service's
// HTTP endpoint, on a data dir seeded with real runs (tests/dashboard/seed.ts) and on a fresh one.
// Each view: the numbers on the page equal what the MCP tools return, no console error, no request
// to another origin, an axe-core check with no serious or critical violation, and a screenshot
// written to test-artifacts/dashboard/. Live updates are checked without reloading the page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serveHttp, type HttpEndpoint } from '../../servers/http.js';
import { findChromium } from '../../servers/mounts/mount-config.js';
import { repoRoot, testSuite } from '../helpers.js';
import { seedDataDir, type Seeded } from './seed.js';

const executable = findChromium(process.env);
const skip = !executable && process.env.CAELUM_REQUIRE_CHROMIUM !== '1' ? 'no system Chromium here' : false;
export const artifacts = path.join(repoRoot, 'test-artifacts', 'dashboard');
const axeSource = () => readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Six decimals under a cent, four above: the page's and the tools' text format. */
export function usd(value: number): string {
  const abs = Math.abs(value);
  return `${value < 0 ? '-' : ''}$${abs !== 0 && abs < 0.01 ? abs.toFixed(6) : abs.toFixed(4)}`;
}

export interface PageWatch {
  errors: string[];
  foreign: string[];
}

/** Console errors, uncaught exceptions and requests that leave the page's origin. */
export function watchPage(page: Page, origin: string): PageWatch {
  const watch: PageWatch = { errors: [], foreign: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') watch.errors.push(message.text());
  });
  page.on('pageerror', (error) => watch.errors.push(error.message));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:')) watch.foreign.push(url);
  });
  return watch;
}

/** Opens a view by its hash and waits until it has rendered. */
export async function openView(page: Page, base: string, hash: string): Promise<number> {
  const started = performance.now();
  await page.goto(`${base}#${hash}`);
  await page.waitForSelector('main#view[aria-busy="false"] .view-body > *', { timeout: 15_000 });
  return performance.now() - started;
}

export async function axeViolations(
  page: Page,
): Promise<{ id: string; impact: string; nodes: number; help: string }[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (a <script> would be refused).
  await page.evaluate(await axeSource());
  return page.evaluate(async () => {
    const axe = (globalThis as any).axe;
    const result = await axe.run((globalThis as any).document, { resultTypes: ['violations'] });
    return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  });
}

export async function checkAccessible(page: Page, view: string): Promise<void> {
  const serious = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${view}: axe-core found serious violations`);
}

export async function shoot(page: Page, name: string): Promise<void> {
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

const testText = (page: Page, id: string) => page.getByTestId(id).innerText();

describe('the dashboard in Chromium on a seeded data dir', { skip }, () => {
  let seeded: Seeded;
  let endpoint: HttpEndpoint;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;
  let base: string;
  const afterAll: (() => Promise<void> | void)[] = [];

  before(async () => {
    seeded = await seedDataDir({ after: (fn) => afterAll.push(fn) }, { ledgerRows: 10_000 });
    endpoint = await serveHttp(seeded.suite, { host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${endpoint.port}/`;
    browser = await chromium.launch({ executablePath: executable ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watch = watchPage(page, base.slice(0, -1));
  });

  after(async () => {
    await browser?.close();
    await endpoint?.close();
    for (const fn of afterAll.reverse()) await fn();
  });

  test('Savings: the tiles and tables are getCostReport’s numbers', async () => {
    await openView(page, base, 'savings');
    await page.getByRole('button', { name: 'day' }).waitFor();
    const report = (await seeded.suite.dispatcher.call('getCostReport', { groupBy: 'model' })).structuredContent as any;
    assert.ok(report.totals.calls > 8000, 'the 10k generated rows are in');
    assert.match(await testText(page, 'savings-cost'), new RegExp(`\\${usd(report.totals.costUsd)}`));
    assert.match(await testText(page, 'savings-baseline'), new RegExp(`\\${usd(report.totals.baselineCostUsd)}`));
    assert.match(await testText(page, 'savings-saving'), new RegExp(`\\${usd(report.totals.savingUsd)}`));
    const outcomes = report.breakdown.outcomes;
    const calls = outcomes.acceptedLocal + outcomes.escalated + outcomes.failed;
    assert.match(await testText(page, 'savings-calls'), new RegExp(calls.toLocaleString('en-US')));
    // The by-model table: one row per group, with the group's cost.
    const rows = await page.getByTestId('savings-by-model').locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, report.groups.length);
    for (const group of report.groups)
      assert.ok(
        rows.some((row) => row.startsWith(group.key) && row.includes(usd(group.costUsd))),
        `${group.key} ${usd(group.costUsd)}`,
      );
    assert.ok(await page.getByTestId('savings-chart').locator('canvas').count(), 'the chart is drawn');
    await page.getByRole('button', { name: 'month' }).click();
    const months = (await seeded.suite.dispatcher.call('getCostReport', { groupBy: 'month' })).structuredContent as any;
    await page.waitForFunction(
      (n) => (globalThis as any).document.querySelectorAll('[data-testid="savings-periods"] tbody tr').length === n,
      months.groups.length,
    );
    assert.match(await testText(page, 'savings-pricing'), /Price table: prices-/);
    await checkAccessible(page, 'savings');
    await shoot(page, 'savings');
  });

  test('Pool: the hosts, their health and tiers as infrastructure_get_pool_status says', async () => {
    await openView(page, base, 'pool');
    const status = (await seeded.suite.dispatcher.call('getPoolStatus', {})).structuredContent as any;
    const rows = await page.getByTestId('pool-hosts').locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, status.hosts.length);
    for (const host of status.hosts)
      assert.ok(
        rows.some((row) => row.includes(host.name) && row.includes(host.health)),
        `${host.name} ${host.health}`,
      );
    const tiers = await page.getByTestId('pool-tiers').locator('tbody tr').allInnerTexts();
    assert.equal(tiers.length, status.tiers.length);
    await checkAccessible(page, 'pool');
    await shoot(page, 'pool');
  });

  test('Executions: the calls agents made, a detail with its steps, and a new call arriving live', async () => {
    await openView(page, base, 'executions');
    const listed = await seeded.suite.executions.list({ limit: 100 });
    assert.match(
      await testText(page, 'executions-count'),
      new RegExp(`^${listed.total} of the newest ${listed.window} recorded call`),
    );
    const first = listed.entries[0]!;
    const rows = page.getByTestId('executions-table').locator('tbody tr');
    assert.match(await rows.first().innerText(), new RegExp(first.tool));
    // Live: a call made now appears without a reload.
    const before = await rows.count();
    await seeded.suite.dispatcher.call('getPoolStatus', { probe: false });
    await page.waitForFunction(
      (n) => {
        const doc = (globalThis as any).document;
        return (
          doc.querySelector('[data-testid="executions-table"] tbody tr')?.textContent?.includes('getPoolStatus') &&
          doc.querySelectorAll('[data-testid="executions-table"] tbody tr').length >= n
        );
      },
      Math.min(before, 100),
      { timeout: 5000 },
    );
    // A call with LLM steps: its detail shows them as the tool returned them.
    const delegated = (await seeded.suite.executions.list({ tool: 'delegateTask' })).entries[0]!;
    await page.goto(`${base}#executions/${delegated.id}`);
    await page.getByTestId('execution-llm').waitFor();
    const llmRows = await page.getByTestId('execution-llm').locator('tbody tr').allInnerTexts();
    assert.equal(llmRows.length, delegated.execution!.llm.length);
    for (const [index, step] of delegated.execution!.llm.entries()) {
      assert.ok(llmRows[index]!.includes(step.model), step.model);
      assert.ok(llmRows[index]!.includes(usd(step.costUsd)), `cost ${usd(step.costUsd)}`);
    }
    const steps = await page.getByTestId('execution-steps').locator('tbody tr').count();
    assert.equal(steps, delegated.execution!.steps.length);
    await checkAccessible(page, 'executions detail');
    await shoot(page, 'execution-detail');
    await openView(page, base, 'executions');
    await checkAccessible(page, 'executions');
    await shoot(page, 'executions');
  });

  /** An internal tool's output, as an agent gets it through runTool. */
  const internal = async (name: string, args: Record<string, unknown>) => {
    const result = await seeded.suite.dispatcher.call('runTool', { name, arguments: args });
    assert.equal(result.isError, false, result.text);
    return (result.structuredContent as { result: any }).result;
  };
  const tileValue = async (id: string) => (await page.getByTestId(id).locator('.tile-value').innerText()).trim();

  test('Knowledge: the graph, a country with its neighbours, series and regimes, and the snapshots', async () => {
    await openView(page, base, 'knowledge');
    const stats = await internal('knowledge_base_get_graph_stats', {});
    assert.equal(await tileValue('kb-nodes'), stats.nodes.toLocaleString('en-US'));
    assert.equal(await tileValue('kb-relationships'), stats.relationships.toLocaleString('en-US'));
    const snapshots = await internal('knowledge_base_list_snapshots', {});
    assert.equal(Number(await tileValue('kb-snapshot-count')), snapshots.snapshots.length);
    assert.equal(await page.getByTestId('kb-snapshots').locator('tbody tr').count(), snapshots.snapshots.length);
    await checkAccessible(page, 'knowledge');
    await shoot(page, 'knowledge');
    await openView(page, base, 'knowledge/USA');
    await page.getByTestId('kb-neighbours').waitFor();
    const both = await internal('knowledge_base_get_neighbours', { country: 'USA', direction: 'both', limit: 200 });
    assert.ok(both.neighbours.length > 0, 'USA has trade neighbours in the sample');
    assert.equal(await page.getByTestId('kb-neighbours').locator('tbody tr').count(), both.neighbours.length);
    // The series come in their own request after the neighbours: wait for the chart, not the first paint.
    await page.getByTestId('kb-series-chart').locator('canvas').first().waitFor({ timeout: 10_000 });
    assert.ok(await page.getByTestId('kb-series-chart').locator('canvas').count(), 'a series is drawn');
    assert.ok((await page.getByTestId('kb-regimes').locator('tbody tr').count()) > 0, 'USA has a regime history');
    await checkAccessible(page, 'knowledge country');
    await shoot(page, 'knowledge-country');
  });

  test('Fleet: the heatmap and states are getFleetHealth’s, the alerts are the alert list, and a new alert arrives live', async (t) => {
    await openView(page, base, 'fleet');
    const alerts = await internal('monitoring_list_alerts', {});
    const firing = (alerts.alerts as any[]).filter((a) => a.status !== 'resolved' && a.state !== 'resolved');
    const alertRows = await page.getByTestId('fleet-alerts').locator('tbody tr').allInnerTexts();
    for (const name of seeded.seeded.alerts)
      assert.ok(
        alertRows.some((row) => row.includes(name)),
        name,
      );
    assert.ok(firing.length >= seeded.seeded.alerts.length);
    if ('skipped' in seeded.seeded.fleet) {
      t.diagnostic(`fleet not seeded: ${seeded.seeded.fleet.skipped}`);
      assert.equal(await page.getByTestId('fleet-missing').count(), 1);
    } else {
      const health = await internal('monitoring_get_fleet_health', { forecastHours: 0, timelineHours: 24 });
      assert.equal(Number(await tileValue('fleet-total')), health.servers.length);
      const states = await page.getByTestId('fleet-states').locator('tbody tr').allInnerTexts();
      for (const [state, n] of Object.entries(health.states as Record<string, number>))
        assert.ok(
          states.some((row) => row.startsWith(state) && row.includes(String(n))),
          `${state} ${n}`,
        );
      const heatmap = page.getByTestId('fleet-heatmap');
      assert.equal(Number(await heatmap.getAttribute('data-rows')), health.timeline.servers.length);
      assert.equal(Number(await heatmap.getAttribute('data-cols')), health.timeline.times.length);
    }
    await checkAccessible(page, 'fleet');
    await shoot(page, 'fleet');
    // Live: an alert fired now shows up without a reload (the alerts watcher runs every 10 s).
    const fired = await seeded.suite.dispatcher.call('manageAlerts', {
      action: 'fire',
      labels: { alertname: 'DashboardLiveCheck', severity: 'warning', instance: 'web-1' },
      confirm: true,
    });
    assert.equal(fired.isError, false, fired.text);
    await page
      .getByTestId('fleet-alerts')
      .locator('tbody tr', { hasText: 'DashboardLiveCheck' })
      .waitFor({ timeout: 20_000 });
  });

  test('Trading: the newest backtest’s metrics and equity curve, and the committee’s votes', async () => {
    await openView(page, base, 'trading');
    await page.getByTestId('trading-backtest').waitFor();
    const newest = (await seeded.suite.executions.list({ tool: 'backtestStrategy', ok: true })).entries[0]!;
    const result = (await seeded.suite.executions.result(newest.id)) as any;
    assert.equal(await tileValue('trading-sharpe'), result.metrics.sharpe.toFixed(3));
    assert.equal(await tileValue('trading-trades'), String(result.metrics.tradeCount));
    assert.match(
      await page.getByTestId('trading-equity-points').innerText(),
      new RegExp(`^${result.equity.length} equity points`),
    );
    assert.ok(await page.getByTestId('trading-equity-chart').locator('canvas').count());
    assert.ok(await page.getByTestId('trading-drawdown-chart').locator('canvas').count());
    const votes = page.locator('[data-testid^="trading-votes-"] tbody tr');
    assert.ok((await votes.count()) > 0, 'committee votes are shown');
    await checkAccessible(page, 'trading');
    await shoot(page, 'trading');
  });

  test('Training: the job, its log tail and metrics, and the model alias', async () => {
    await openView(page, base, 'training');
    const jobs = await internal('ml_training_list_jobs', {});
    assert.equal(Number(await tileValue('training-job-count')), jobs.total ?? jobs.jobs.length);
    const jobRows = await page.getByTestId('training-jobs').locator('tbody tr').allInnerTexts();
    assert.ok(jobRows.some((row) => row.includes(seeded.seeded.jobId) && row.includes('SUCCEEDED')));
    const models = await page.getByTestId('training-models').locator('tbody tr').allInnerTexts();
    const model = seeded.seeded.model;
    assert.ok(
      models.some((row) => row.includes(model.name) && row.includes(model.alias)),
      'the alias is shown',
    );
    await checkAccessible(page, 'training');
    await shoot(page, 'training');
    await openView(page, base, `training/${seeded.seeded.jobId}`);
    await page.getByTestId('training-log').waitFor();
    assert.equal((await page.getByTestId('training-job-state').innerText()).trim(), 'SUCCEEDED');
    const logs = await internal('ml_training_read_job_logs', { jobId: seeded.seeded.jobId, tailLines: 200 });
    const logText = await page.getByTestId('training-log').innerText();
    const lastLines = (logs.text as string).trim().split('\n').slice(-3);
    assert.ok(lastLines.length > 0 && lastLines[0]!.length > 0, 'the job wrote a log');
    for (const line of lastLines) assert.ok(logText.includes(line.trim()), line);
    assert.ok((await page.locator('[data-testid^="training-metric-"] canvas').count()) > 0, 'metrics are drawn');
    await checkAccessible(page, 'training job');
    await shoot(page, 'training-job');
  });

  test('no console error and no request to another origin on any view', () => {
    assert.deepEqual(watch.errors, []);
    assert.deepEqual(watch.foreign, []);
  });
});

describe('the dashboard in Chromium on a fresh install', { skip }, () => {
  test('every view says what is missing and how to fill it, without errors', async (t) => {
    const suite = await testSuite(t);
    const endpoint = await serveHttp(suite, { host: '127.0.0.1', port: 0 });
    t.after(() => endpoint.close());
    const browser = await chromium.launch({
      executablePath: executable ?? '/usr/bin/chromium',
      args: ['--no-sandbox'],
    });
    t.after(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const base = `http://127.0.0.1:${endpoint.port}/`;
    const watch = watchPage(page, base.slice(0, -1));
    await page.goto(base);
    const views = await page
      .locator('#nav a')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')!.slice(1)));
    assert.ok(views.length >= 3);
    for (const view of views) {
      await openView(page, base, view);
      const body = page.locator('.view-body');
      assert.ok((await body.innerText()).trim().length > 0, `${view} is not empty without a word`);
      assert.equal(await body.locator('.error').count(), 0, `${view}: ${await body.innerText()}`);
      if (view !== 'pool') assert.ok((await body.locator('.empty').count()) > 0, `${view} says what is missing`);
      await checkAccessible(page, `${view} (fresh)`);
      await shoot(page, `fresh-${view}`);
    }
    assert.deepEqual(watch.errors, []);
    assert.deepEqual(watch.foreign, []);
  });
});
