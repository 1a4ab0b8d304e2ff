// Streamable HTTP, stateless: every POST gets a fresh protocol server over the shared suite, so no
// session state lives here (the spec is moving to sessionless). Bound to 127.0.0.1 by default;
// Host and Origin are checked against DNS rebinding before the SDK sees the request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Suite } from './composition.js';
import { createServer, type ServerOptions } from './mcp-server.js';
import { promptsWith } from './prompts.js';
import { caelumVersion } from './version.js';
import { createDashboard } from './dashboard/dashboard-http.js';

const maxBodyBytes = 32 * 1024 * 1024;
const loopbackNames = ['localhost', '127.0.0.1', '[::1]'];

export interface HttpEndpoint {
  url: string;
  /** The web dashboard's address (same listener), when it is on. */
  dashboardUrl?: string;
  port: number;
  close(): Promise<void>;
}

function jsonRpcError(res: http.ServerResponse, status: number, code: number, message: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }));
}

/** Host header values accepted for this listener: loopback forms plus any configured ones. */
export function allowedHostsFor(host: string, port: number, extra: readonly string[]): Set<string> {
  const names = new Set([...loopbackNames, ...extra]);
  if (host !== '0.0.0.0' && host !== '::') names.add(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
  const allowed = new Set<string>();
  for (const name of names) {
    allowed.add(name.toLowerCase());
    allowed.add(`${name.toLowerCase()}:${port}`);
  }
  return allowed;
}

/**
 * Whether a browser Origin may call this listener: a configured value, or the listener's own origin
 * under a loopback name, compared as scheme, host and port with the scheme's default port applied
 * (`http://127.0.0.1` is port 80, a different origin from this server's unless it listens on 80).
 * The listener speaks plain HTTP, so an https origin is another site even on the same port.
 */
export function originAllowed(origin: string, port: number, extra: readonly string[]): boolean {
  if (extra.includes(origin)) return true;
  try {
    const url = new URL(origin);
    const hostname = url.hostname === '[::1]' || url.hostname === '::1' ? '[::1]' : url.hostname;
    // URL leaves port empty when it is the scheme's default.
    const effectivePort = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return url.protocol === 'http:' && loopbackNames.includes(hostname) && effectivePort === port;
  } catch {
    return false;
  }
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) return 'too-large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export interface HttpOptions extends Pick<ServerOptions, 'allowedRoots' | 'extraPrompts'> {
  host: string;
  port: number;
}

export async function serveHttp(suite: Suite, options: HttpOptions): Promise<HttpEndpoint> {
  const { allowedHosts: extraHosts, allowedOrigins } = suite.config.http;
  // A prompt name clash fails here, at start, rather than on every request.
  promptsWith(options.extraPrompts);
  let hosts = new Set<string>();
  let port = options.port;
  const dashboard = suite.config.http.dashboard ? createDashboard(suite) : undefined;

  const server = http.createServer(async (req, res) => {
    try {
      const hostHeader = (req.headers.host ?? '').toLowerCase();
      if (!hosts.has(hostHeader))
        return jsonRpcError(res, 403, -32000, `Forbidden: Host "${hostHeader}" is not allowed`);
      const origin = req.headers.origin;
      if (origin !== undefined && !originAllowed(origin, port, allowedOrigins))
        return jsonRpcError(res, 403, -32000, `Forbidden: Origin "${origin}" is not allowed`);
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/health' && req.method === 'GET') {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: true, name: 'caelum', version: caelumVersion }));
        return;
      }
      if (url.pathname !== '/mcp') {
        if (dashboard && (await dashboard.handle(req, res, url))) return;
        return jsonRpcError(res, 404, -32000, `Not found: the MCP endpoint is /mcp`);
      }
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        return jsonRpcError(
          res,
          405,
          -32000,
          'Method not allowed: this server is stateless; send requests with POST /mcp',
        );
      }
      const body = await readBody(req);
      if (body === 'too-large')
        return jsonRpcError(res, 413, -32600, `Invalid Request: body over ${maxBodyBytes} bytes`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (error) {
        return jsonRpcError(res, 400, -32700, `Parse error: ${(error as Error).message}`);
      }
      const { server: protocol, close } = createServer(suite, {
        notifications: false,
        ...(options.allowedRoots ? { allowedRoots: options.allowedRoots } : {}),
        ...(options.extraPrompts ? { extraPrompts: options.extraPrompts } : {}),
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        void transport.close().catch(() => undefined);
        void close().catch(() => undefined);
      });
      await protocol.connect(transport);
      await transport.handleRequest(req, res, parsed);
    } catch (error) {
      suite.logger.error('http_request_failed', { error: (error as Error).message });
      if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal error');
      else res.end();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  hosts = allowedHostsFor(options.host, port, extraHosts);
  const display = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${display}:${port}/mcp`,
    ...(dashboard ? { dashboardUrl: `http://${display}:${port}/` } : {}),
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
