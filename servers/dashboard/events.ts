// Live updates for the dashboard over server-sent events: one stream per open page, fed by what
// happens in the service (a high-level call finished, a pool host went up or down) and by watchers
// that recompute a view's live part on a timer only while a page is open, and send it only when it
// changed. Pages never poll; a page that loses the stream reconnects after `retry`.
import type http from 'node:http';
import type { Suite } from '../composition.js';
import type { ExecutionEntry } from './execution-log.js';
import { tool } from './api.js';
import { dashboardWatchers } from './views/index.js';

export const maxSubscribers = 32;
/** A page that stops reading is dropped once this much is waiting for it, rather than buffered forever. */
export const maxPendingBytes = 1024 * 1024;
/** A watcher's value that takes longer than this is given up (and tried at the next tick). */
export const watchTimeoutMs = 15_000;
const heartbeatMs = 20_000;

interface Watcher {
  name: string;
  intervalMs: number;
  compute(): Promise<unknown>;
  last: string | undefined;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
}

/** What the Executions list shows of a new entry, and what the other views refresh on. */
export function compactEntry(entry: ExecutionEntry) {
  const llm = entry.execution?.llm ?? [];
  return {
    id: entry.id,
    ts: entry.ts,
    tool: entry.tool,
    supervisor: entry.supervisor,
    ok: entry.ok,
    errorCode: entry.errorCode,
    durationMs: entry.durationMs,
    steps: entry.execution?.steps.length ?? 0,
    llmSteps: llm.length,
    costUsd: llm.reduce((sum, step) => sum + step.costUsd, 0),
    savingUsd: llm.reduce((sum, step) => sum + step.savingUsd, 0),
  };
}

function withTimeout<T>(work: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} took over ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const bySuite = new WeakMap<Suite, DashboardEvents>();

export class DashboardEvents {
  private readonly subscribers = new Set<http.ServerResponse>();
  private readonly watchers: Watcher[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private sequence = 0;

  /** One per suite: every HTTP endpoint of the service shares the listeners. */
  static of(suite: Suite): DashboardEvents {
    let events = bySuite.get(suite);
    if (!events) {
      events = new DashboardEvents(suite);
      bySuite.set(suite, events);
    }
    return events;
  }

  private constructor(private readonly suite: Suite) {
    const signal = new AbortController().signal;
    suite.executions.on('entry', (entry) => this.publish('execution', compactEntry(entry)));
    this.watch('pool', 5_000, async () => {
      const answer = await tool({ suite, params: new URLSearchParams(), signal }, 'infrastructure_get_pool_status', {});
      return answer.ok ? answer.output : { error: answer.message };
    });
    for (const event of ['host-up', 'host-down', 'tiers', 'failover'] as const)
      suite.pool.on(event, () => void this.refresh('pool'));
    for (const register of dashboardWatchers) register(this, suite);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Recomputes `compute` every intervalMs while a page is open and sends it as event `name` when its
   * JSON changed; a page gets the current value when it subscribes.
   */
  watch(name: string, intervalMs: number, compute: () => Promise<unknown>): void {
    if (this.watchers.some((watcher) => watcher.name === name)) return;
    const watcher: Watcher = { name, intervalMs, compute, last: undefined, timer: undefined, running: false };
    this.watchers.push(watcher);
    if (this.subscribers.size > 0) this.startWatcher(watcher);
  }

  publish(event: string, data: unknown): void {
    if (this.subscribers.size === 0) return;
    this.broadcast(`id: ${++this.sequence}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private broadcast(frame: string): void {
    for (const res of this.subscribers) this.send(res, frame);
  }

  /** Writes a frame, or drops a page that is not reading (its reconnect starts afresh). */
  private send(res: http.ServerResponse, frame: string): void {
    if (res.writableLength > maxPendingBytes) {
      this.unsubscribe(res);
      res.destroy();
      return;
    }
    res.write(frame);
  }

  subscribe(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.subscribers.size >= maxSubscribers) {
      res
        .writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' })
        .end(JSON.stringify({ ok: false, error: `too many open dashboards (${maxSubscribers}); close one` }));
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write(`retry: 5000\nevent: hello\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
    const first = this.subscribers.size === 0;
    this.subscribers.add(res);
    req.socket.setTimeout(0);
    // A peer that vanished without closing is found by TCP keep-alive, not after hours.
    req.socket.setKeepAlive(true, 30_000);
    req.on('close', () => this.unsubscribe(res));
    res.on('error', () => this.unsubscribe(res));
    // The new page gets each watched value now; the others only when it changes.
    for (const watcher of this.watchers)
      if (watcher.last !== undefined) this.send(res, `event: ${watcher.name}\ndata: ${watcher.last}\n\n`);
    if (first) {
      for (const watcher of this.watchers) this.startWatcher(watcher);
      this.heartbeat = setInterval(() => {
        this.broadcast(': keep-alive\n\n');
      }, heartbeatMs);
      this.heartbeat.unref();
    }
  }

  /** Runs a watcher now (an event said its value may have changed). */
  async refresh(name: string): Promise<void> {
    const watcher = this.watchers.find((w) => w.name === name);
    if (watcher && this.subscribers.size > 0) await this.runWatcher(watcher);
  }

  close(): void {
    for (const res of this.subscribers) res.end();
    this.subscribers.clear();
    this.stopAll();
  }

  private unsubscribe(res: http.ServerResponse): void {
    if (!this.subscribers.delete(res)) return;
    if (this.subscribers.size === 0) this.stopAll();
  }

  private stopAll(): void {
    for (const watcher of this.watchers) {
      clearTimeout(watcher.timer);
      watcher.timer = undefined;
      // A value seen while nobody watched may be stale by the next page: compute it afresh then.
      watcher.last = undefined;
    }
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private startWatcher(watcher: Watcher): void {
    if (watcher.timer) return;
    const loop = async () => {
      await this.runWatcher(watcher);
      if (this.subscribers.size > 0) {
        watcher.timer = setTimeout(() => void loop(), watcher.intervalMs);
        watcher.timer.unref();
      }
    };
    watcher.timer = setTimeout(() => void loop(), 0);
    watcher.timer.unref();
  }

  private async runWatcher(watcher: Watcher): Promise<void> {
    if (watcher.running) return;
    watcher.running = true;
    try {
      const text = JSON.stringify(await withTimeout(watcher.compute(), watchTimeoutMs, watcher.name));
      if (text !== watcher.last) {
        watcher.last = text;
        if (this.subscribers.size > 0)
          this.broadcast(`id: ${++this.sequence}\nevent: ${watcher.name}\ndata: ${text}\n\n`);
      }
    } catch (error) {
      this.suite.logger.warn('dashboard_watch_failed', { watch: watcher.name, error: (error as Error).message });
    } finally {
      watcher.running = false;
    }
  }
}
