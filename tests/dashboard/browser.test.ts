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
    assert.match(await testText(page, 'executions-count'), new RegExp(`^${listed.total} call`));
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
