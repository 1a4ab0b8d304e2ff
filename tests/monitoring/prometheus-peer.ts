// Real Prometheus and node_exporter for tests: the Debian binaries (/usr/bin/prometheus,
// /usr/bin/prometheus-node-exporter) on free loopback ports with temp data dirs, waited for until
// they answer (and, for Prometheus, until every target is up with samples), killed in t.after.
//
//   const exporter = await startNodeExporter(t);               // exporter.metricsUrl
//   const prometheus = await startPrometheus(t, {
//     scrapeTargets: [{ address: exporter.address, labels: { instance: 'web-1', profile: 'web' } }],
//   });                                                          // prometheus.url
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ToolContext } from '../../tools/context.js';
import type { AnyTool } from '../../tools/define-tool.js';
import { ToolRegistry } from '../../tools/registry.js';
import { ToolRouter } from '../../tools/router.js';

export const nodeExporterBinary = '/usr/bin/prometheus-node-exporter';
export const prometheusBinary = '/usr/bin/prometheus';

interface TestContext {
  after(fn: () => Promise<void> | void): void;
}

export interface RunningPeer {
  /** host:port, as a scrape target. */
  address: string;
  /** http://host:port */
  url: string;
  /** The process's stderr so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface NodeExporterPeer extends RunningPeer {
  /** http://host:port/metrics */
  metricsUrl: string;
}

export interface ScrapeTarget {
  /** host:port of an exposition endpoint (/metrics). */
  address: string;
  /** Target labels, e.g. instance (the server name) and profile. */
  labels?: Record<string, string>;
}

export interface PrometheusPeer extends RunningPeer {
  dataDir: string;
  configFile: string;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${what}: the process exited (${child.exitCode}): ${log().slice(-2000)}`);
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not ready within 60 s: ${log().slice(-2000)}`);
}

function launch(t: TestContext, binary: string, args: string[], port: number, cleanup?: () => Promise<void>) {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await cleanup?.();
  };
  t.after(stop);
  const address = `127.0.0.1:${port}`;
  return { child, address, url: `http://${address}`, log: () => stderr, stop };
}

/** node_exporter with its default collectors except systemd (no D-Bus here); ready when /metrics answers. */
export async function startNodeExporter(t: TestContext): Promise<NodeExporterPeer> {
  const port = await freePort();
  const peer = launch(
    t,
    nodeExporterBinary,
    [`--web.listen-address=127.0.0.1:${port}`, '--no-collector.systemd'],
    port,
  );
  const metricsUrl = `${peer.url}/metrics`;
  await waitFor('node_exporter', async () => (await fetch(metricsUrl)).ok, peer.child, peer.log);
  return { address: peer.address, url: peer.url, metricsUrl, log: peer.log, stop: peer.stop };
}

/**
 * Prometheus scraping `scrapeTargets` every `scrapeIntervalS` (default 1) under job `node`. Ready when
 * /-/ready answers, every target is up, and each has at least `minSamples` (default 3) scrapes stored,
 * so that rate() over them has an answer.
 */
export async function startPrometheus(
  t: TestContext,
  options: { scrapeTargets: ScrapeTarget[]; scrapeIntervalS?: number; minSamples?: number },
): Promise<PrometheusPeer> {
  const interval = options.scrapeIntervalS ?? 1;
  const minSamples = options.minSamples ?? 3;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caelum-prometheus-'));
  const configFile = path.join(dataDir, 'prometheus.yml');
  const config = {
    global: { scrape_interval: `${interval}s`, evaluation_interval: `${interval}s` },
    scrape_configs: [
      {
        job_name: 'node',
        static_configs: options.scrapeTargets.map((target) => ({
          targets: [target.address],
          labels: target.labels ?? {},
        })),
      },
    ],
  };
  // JSON is YAML.
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const port = await freePort();
  const peer = launch(
    t,
    prometheusBinary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dataDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
    ],
    port,
    () => rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }),
  );
  await waitFor('prometheus', async () => (await fetch(`${peer.url}/-/ready`)).ok, peer.child, peer.log);
  const wanted = options.scrapeTargets.length;
  await waitFor(
    'prometheus targets up with samples',
    async () => {
      const query = encodeURIComponent(`count_over_time(up{job="node"}[5m]) >= ${minSamples}`);
      const answer = (await (await fetch(`${peer.url}/api/v1/query?query=${query}`)).json()) as {
        data?: { result?: unknown[] };
      };
      const targets = (await (await fetch(`${peer.url}/api/v1/targets?state=active`)).json()) as {
        data?: { activeTargets?: { health: string }[] };
      };
      const up = (targets.data?.activeTargets ?? []).filter((target) => target.health === 'up').length;
      return up === wanted && (answer.data?.result?.length ?? 0) === wanted;
    },
    peer.child,
    peer.log,
  );
  return { address: peer.address, url: peer.url, dataDir, configFile, log: peer.log, stop: peer.stop };
}

export const quiet = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return quiet;
  },
};

/** Calls one Prometheus-reading tool through the router, with this Prometheus configured (or none). */
export function routeTool(tool: AnyTool, prometheus?: { url: string; timeoutMs: number }) {
  const context = {
    logger: quiet,
    clock: { now: () => Date.now() },
    signal: new AbortController().signal,
    progress: () => undefined,
    environment: { dataDir: '/nonexistent', allowedRoots: [], ...(prometheus ? { monitoring: { prometheus } } : {}) },
  } as unknown as ToolContext;
  const routed = new ToolRouter(new ToolRegistry([[tool]]));
  return (input: unknown) => routed.invoke(tool.name, input, context);
}

/**
 * A loopback server speaking the Prometheus HTTP API (targets, range queries) with a constructed history:
 * every instance at cpu 0.3, memory 0.5, disk 0.4, load 0.3, no network errors, except web-1, whose CPU is
 * 0.99 from 5.5 h before the end of each range query on (critical under the generic profile after 5 min).
 */
export async function constructedPrometheus(t: TestContext, instances: string[]): Promise<string> {
  const switchBeforeEndMs = 5.5 * 3_600_000;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const reply = (data: unknown) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data }));
    if (url.pathname === '/api/v1/targets')
      return reply({
        activeTargets: instances.map((instance) => ({
          labels: { instance, job: 'node', profile: 'generic' },
          health: 'up',
          lastError: '',
          lastScrape: new Date().toISOString(),
          scrapeUrl: `http://${instance}:9100/metrics`,
        })),
      });
    if (url.pathname !== '/api/v1/query_range') return response.writeHead(404).end('not found');
    const query = url.searchParams.get('query') ?? '';
    const start = Number(url.searchParams.get('start'));
    const end = Number(url.searchParams.get('end'));
    const step = Number(url.searchParams.get('step'));
    const metric = query.includes('node_load1')
      ? 'load'
      : query.includes('MemAvailable')
        ? 'memory'
        : query.includes('node_filesystem')
          ? 'disk'
          : query.includes('node_network')
            ? 'netErrors'
            : 'cpu';
    const normal = { cpu: 0.3, memory: 0.5, disk: 0.4, load: 0.3, netErrors: 0 }[metric];
    const switchAt = end - switchBeforeEndMs / 1000;
    return reply({
      resultType: 'matrix',
      result: instances.map((instance) => {
        const values: [number, string][] = [];
        for (let at = start; at <= end + 1e-6; at += step)
          values.push([at, String(instance === 'web-1' && metric === 'cpu' && at >= switchAt ? 0.99 : normal)]);
        return { metric: { instance }, values };
      }),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}
