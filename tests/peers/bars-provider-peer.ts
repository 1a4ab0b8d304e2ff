// A loopback market data provider: GET /bars/{SYMBOL} answers {symbol, bars: [{date, open, high,
// low, close, volume}]} for the symbols it holds and 404 for others. It counts requests, and can be
// switched to answer a status (500, 503) or to stall (accept and never answer) for outage tests.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface PeerBar {
  date: string;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number | null;
}

export type BarsPeerMode = 'ok' | 'stall' | { status: number };

export class BarsProviderPeer {
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Every request's path, in order. */
  readonly requests: string[] = [];
  mode: BarsPeerMode = 'ok';
  url = '';

  constructor(readonly symbols: Map<string, PeerBar[]> = new Map()) {}

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => this.answer(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private answer(request: http.IncomingMessage, response: http.ServerResponse): void {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://peer').pathname);
    this.requests.push(path);
    if (this.mode === 'stall') return;
    if (typeof this.mode === 'object') {
      response.writeHead(this.mode.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'provider failure' }));
      return;
    }
    const match = /\/bars\/([^/]+)$/.exec(path);
    const bars = match ? this.symbols.get(match[1]!) : undefined;
    if (request.method !== 'GET' || !bars) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: `no bars for ${match?.[1] ?? path}` }));
      return;
    }
    const body = JSON.stringify({ symbol: match![1], bars });
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  }
}

/** Consecutive weekday bars from `start`, a gentle random walk (deterministic). */
export function weekdayBars(start: string, count: number, first = 100): PeerBar[] {
  const bars: PeerBar[] = [];
  let time = Date.parse(`${start}T00:00:00Z`);
  let close = first;
  for (let i = 0; bars.length < count; i++, time += 86_400_000) {
    const day = new Date(time).getUTCDay();
    if (day === 0 || day === 6) continue;
    const open = close;
    close = Math.round(open * (1 + 0.01 * Math.sin(i * 1.7)) * 100) / 100;
    bars.push({
      date: new Date(time).toISOString().slice(0, 10),
      open,
      high: Math.max(open, close) + 0.5,
      low: Math.min(open, close) - 0.5,
      close,
      volume: 1000 + i,
    });
  }
  return bars;
}
