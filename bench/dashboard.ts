// npm run bench:dashboard: the web dashboard's first render and page weight, on a data dir with
// 10,000 ledger records (generated through the real JsonlLedger) and 500 logged calls, in Chromium
// (playwright-core, a fresh browser context each round: nothing cached).
//  1. First render of each view: navigation until the view's figures are on the page (Savings: its
//     chart drawn), against the peer in the same run: an MCP client (the SDK's Client over
//     Streamable HTTP) getting the same numbers from getCostReport / getPoolStatus. Rounds alternate.
//  2. Page weight: every byte the browser received for the Savings view (page, assets, API answers).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { serveHttp } from '../servers/http.js';
import { findChromium } from '../servers/mounts/mount-config.js';
import { JsonlLedger } from '../gpu-pool/ledger.js';
import { testSuite } from '../tests/helpers.js';
import { generatedLedgerRows } from '../tests/dashboard/seed.js';
import { round, summary, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const rounds = Number(process.env.BENCH_DASHBOARD_ROUNDS ?? 7);
const ledgerRows = Number(process.env.BENCH_DASHBOARD_ROWS ?? 10_000);
const cleanups: (() => Promise<void> | void)[] = [];
const suite = await testSuite({ after: (fn) => cleanups.push(fn) });
await new JsonlLedger(path.join(suite.dataDir, 'ledger')).appendAll(generatedLedgerRows(ledgerRows));
for (let i = 0; i < 500; i++) await suite.dispatcher.call('getPoolStatus', {});
await suite.executions.flush();
const endpoint = await serveHttp(suite, { host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${endpoint.port}/`;
const browser = await chromium.launch({
  executablePath: findChromium(process.env) ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const client = new Client({ name: 'bench', version: '1' });
await client.connect(new StreamableHTTPClientTransport(new URL(endpoint.url)));

const views = [
  { view: 'savings', ready: '[data-testid="savings-chart"] canvas', peer: ['getCostReport', { groupBy: 'day' }] },
  { view: 'pool', ready: '[data-testid="pool-mode"]', peer: ['getPoolStatus', {}] },
  { view: 'executions', ready: '[data-testid="executions-table"] tbody tr', peer: ['getPoolStatus', {}] },
] as const;

async function render(view: string, ready: string): Promise<{ ms: number; bytes: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page: Page = await context.newPage();
  let bytes = 0;
  const pending: Promise<void>[] = [];
  page.on('response', (response) =>
    // The event stream never ends; its bytes are live updates, not page weight.
    response.url().endsWith('/api/events')
      ? undefined
      : pending.push(
          response
            .body()
            .then((body) => void (bytes += body.length))
            .catch(() => undefined),
        ),
  );
  const started = performance.now();
  await page.goto(`${base}#${view}`);
  await page.waitForSelector(ready, { timeout: 30_000 });
  const ms = performance.now() - started;
  await Promise.all(pending);
  await context.close();
  return { ms, bytes };
}

const json: Record<string, unknown> = { ledgerRows, loggedCalls: 500, rounds };
const rows: Record<string, string | number>[] = [];
for (const spec of views) {
  await render(spec.view, spec.ready); // warm the service's caches (the ledger's files, the assets)
  const page: number[] = [];
  const peer: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const rendered = await render(spec.view, spec.ready);
    page.push(rendered.ms);
    weights.push(rendered.bytes);
    const t0 = performance.now();
    await client.callTool({ name: spec.peer[0], arguments: spec.peer[1] });
    peer.push(performance.now() - t0);
  }
  const a = summary(page);
  const b = summary(peer);
  rows.push({
    view: spec.view,
    'first render p50 ms': a.p50,
    'first render max ms': round(Math.max(...page), 1),
    'peer: MCP call': spec.peer[0],
    'peer p50 ms': b.p50,
    ratio: round(a.p50 / b.p50, 2),
    'page weight KB': round(Math.max(...weights) / 1024, 1),
  });
  json[spec.view] = { render: a, peer: { tool: spec.peer[0], ...b }, pageBytes: Math.max(...weights) };
}
console.log(
  table(`Dashboard first render in Chromium (${ledgerRows} ledger rows, ${rounds} rounds, cold context)`, rows),
);
console.log('goals: first render ≤ 1,000 ms; page weight ≤ 500 KB');

await client.close();
await browser.close();
await endpoint.close();
for (const fn of cleanups.reverse()) await fn();
const out = path.join(root, 'bench', 'results');
await mkdir(out, { recursive: true });
await writeFile(path.join(out, 'dashboard.json'), JSON.stringify(json, null, 2));
console.log(`written ${path.join('bench', 'results', 'dashboard.json')}`);
