// A loopback prediction service speaking the seed system's wire protocol:
// POST /api/v1/inference/predict/{symbol} → { symbol, direction, confidence (0–100), predictions
// {1d, 5d, 20d}, uncertainty, volatility, risk_score, current_price, model identity }. Answers follow
// a script (ok, an HTTP status, a stall that never answers, a malformed body), then `fallback`;
// every request is counted and its path and Authorization header kept.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type PeerStep =
  | { kind: 'ok'; body?: Record<string, unknown> }
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'stall' }
  | { kind: 'malformed'; body: string };

export interface PeerRequest {
  path: string;
  authorization: string | undefined;
  body: string;
}

export function seedAnswer(symbol: string): Record<string, unknown> {
  return {
    symbol,
    direction: 'LONG',
    confidence: 72.5,
    predictions: { '1d': 0.0031, '5d': 0.0112, '20d': 0.0274 },
    uncertainty: 0.18,
    volatility: 0.0123,
    risk_score: 0.34,
    current_price: 2874.56,
    timestamp: '2020-04-17T20:00:00Z',
    model_name: 'ohlc-transformer',
    checkpoint: 'step-412000.pt',
    sha256: 'a'.repeat(64),
    trained_at: '2020-03-31T00:00:00Z',
  };
}

export class PredictionPeer {
  readonly requests: PeerRequest[] = [];
  script: PeerStep[] = [];
  fallback: PeerStep = { kind: 'ok' };
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly sockets = new Set<Socket>();
  url = '';

  async start(): Promise<this> {
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      this.requests.push({ path, authorization: req.headers.authorization, body: Buffer.concat(chunks).toString() });
      const match = /^\/api\/v1\/inference\/predict\/([^/?]+)$/.exec(path);
      if (req.method !== 'POST' || !match) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
        return;
      }
      const symbol = decodeURIComponent(match[1]!);
      const step = this.script.shift() ?? this.fallback;
      if (step.kind === 'stall') return;
      if (step.kind === 'status') {
        res.writeHead(step.status, { 'content-type': 'application/json' }).end(step.body ?? '{"detail":"unavailable"}');
        return;
      }
      const body = step.kind === 'malformed' ? step.body : JSON.stringify(step.body ?? seedAnswer(symbol));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  }
}
