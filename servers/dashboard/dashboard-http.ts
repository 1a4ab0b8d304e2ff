// The web dashboard, served beside /mcp by the same listener (so behind the same Host and Origin
// checks): the page and its assets from dist/dashboard (built by `npm run build`, nothing fetched
// from elsewhere), a read-only JSON API under /api/, server-sent events at /api/events, and, only
// when http.dashboardActions is on, POST /api/action with a CSRF token and the MCP tool's confirm.
import type http from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Suite } from '../composition.js';
import { caelumVersion } from '../version.js';
import { ApiError, type ApiRoute } from './api.js';
import { DashboardEvents } from './events.js';
import { dashboardRoutes } from './views/index.js';
import { scrubDeep } from '../../tools/secrets.js';

/** No script, style or connection leaves the page's own origin; nothing may frame it. */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const assetTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

/** dist/dashboard of this package, found from this module (dist/bundle, dist/servers/dashboard or the source). */
export function dashboardAssetsDir(): string | undefined {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    const candidate = path.join(directory, 'dist', 'dashboard');
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    if (existsSync(path.join(directory, 'dashboard', 'index.html')) && path.basename(directory) === 'dist')
      return path.join(directory, 'dashboard');
    directory = path.dirname(directory);
  }
  return undefined;
}

const maxActionBytes = 16 * 1024;

const actionSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('pool-host'),
    host: z.string().min(1).max(200),
    enabled: z.boolean(),
    confirm: z.boolean().default(false),
  }),
  z.object({
    action: z.literal('ack-alert'),
    id: z.string().min(1).max(300),
    minutes: z.number().positive().max(525_600).optional(),
    comment: z.string().max(1000).optional(),
  }),
]);

export interface Dashboard {
  /** Handles the request if it is the dashboard's; false for anything else (/mcp, /health). */
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean>;
  close(): void;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { ...securityHeaders, 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

export function createDashboard(suite: Suite): Dashboard {
  const routes = new Map<string, ApiRoute>(dashboardRoutes.map((route) => [route.path, route]));
  const assets = new Map<string, { type: string; body: Buffer }>();
  const csrfToken = randomBytes(24).toString('base64url');
  const actionsOn = suite.config.http.dashboardActions;
  const events = DashboardEvents.of(suite);

  async function asset(name: string): Promise<{ type: string; body: Buffer } | undefined> {
    const cached = assets.get(name);
    if (cached) return cached;
    const directory = dashboardAssetsDir();
    if (!directory || !/^[a-zA-Z0-9_.-]+$/.test(name) || name.startsWith('.')) return undefined;
    const type = assetTypes[path.extname(name)];
    if (!type) return undefined;
    try {
      const loaded = { type, body: await readFile(path.join(directory, name)) };
      assets.set(name, loaded);
      return loaded;
    } catch {
      return undefined;
    }
  }

  async function page(res: http.ServerResponse): Promise<void> {
    const index = await asset('index.html');
    if (!index) {
      res
        .writeHead(503, { ...securityHeaders, 'content-type': 'text/plain; charset=utf-8' })
        .end('The dashboard is not built: run `npm run build` in the Caelum checkout, then reload.\n');
      return;
    }
    res.writeHead(200, { ...securityHeaders, 'content-type': index.type, 'cache-control': 'no-cache' }).end(index.body);
  }

  async function action(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!actionsOn)
      return send(res, 403, {
        ok: false,
        error:
          'actions are off: the dashboard is read-only. Set http.dashboardActions: true in the config (or CAELUM_DASHBOARD_ACTIONS=1) and restart to turn them on.',
      });
    const token = req.headers['x-caelum-csrf'];
    const given = Buffer.from(typeof token === 'string' ? token : '');
    const expected = Buffer.from(csrfToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return send(res, 403, { ok: false, error: 'x-caelum-csrf: missing or wrong CSRF token; reload the page' });
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      return send(res, 415, { ok: false, error: 'content-type: send application/json' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxActionBytes) return send(res, 413, { ok: false, error: `body over ${maxActionBytes} bytes` });
      chunks.push(chunk);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, { ok: false, error: 'body: not JSON' });
    }
    const parsed = actionSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return send(res, 400, { ok: false, error: `${issue.path.join('.') || 'action'}: ${issue.message}` });
    }
    const input = parsed.data;
    // The same high-level tools an agent calls, with the same confirm rule; recorded in the execution log.
    const result =
      input.action === 'pool-host'
        ? await suite.dispatcher.call('managePool', {
            operation: input.enabled ? 'enable' : 'disable',
            host: input.host,
            confirm: input.confirm,
          })
        : await suite.dispatcher.call('manageAlerts', {
            action: 'ack',
            id: input.id,
            ...(input.minutes ? { minutes: input.minutes } : {}),
            ...(input.comment ? { comment: input.comment } : {}),
          });
    send(
      res,
      result.isError ? 400 : 200,
      result.isError ? { ok: false, error: result.text } : { ok: true, text: result.text },
    );
  }

  async function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL, name: string): Promise<void> {
    if (name === 'meta') {
      return send(res, 200, {
        ok: true,
        version: caelumVersion,
        actions: actionsOn,
        ...(actionsOn ? { csrf: csrfToken } : {}),
        dataDir: suite.config.dataDir,
      });
    }
    if (name === 'events') return events.subscribe(req, res);
    const route = routes.get(name);
    if (!route) return send(res, 404, { ok: false, error: `no dashboard API named ${name}` });
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    try {
      const body = await route.handler({ suite, params: url.searchParams, signal: controller.signal });
      send(res, 200, scrubDeep(body));
    } catch (error) {
      if (error instanceof ApiError) return send(res, error.status, { ok: false, error: error.message });
      suite.logger.error('dashboard_api_failed', { route: name, error: (error as Error).message });
      send(res, 500, { ok: false, error: `the ${name} view failed inside Caelum; details are in the service log` });
    }
  }

  return {
    async handle(req, res, url) {
      const pathname = url.pathname;
      if (pathname === '/' || pathname === '/index.html') {
        if (req.method !== 'GET' && req.method !== 'HEAD') return false;
        await page(res);
        return true;
      }
      if (pathname.startsWith('/assets/')) {
        if (req.method !== 'GET' && req.method !== 'HEAD') return false;
        const found = await asset(pathname.slice('/assets/'.length));
        if (!found) send(res, 404, { ok: false, error: 'no such asset' });
        else
          res
            .writeHead(200, { ...securityHeaders, 'content-type': found.type, 'cache-control': 'no-cache' })
            .end(found.body);
        return true;
      }
      if (pathname === '/api/action') {
        if (req.method !== 'POST') {
          res.setHeader('allow', 'POST');
          send(res, 405, { ok: false, error: 'POST an action' });
        } else await action(req, res);
        return true;
      }
      if (pathname.startsWith('/api/')) {
        if (req.method !== 'GET') {
          res.setHeader('allow', 'GET');
          send(res, 405, { ok: false, error: 'the dashboard API is read-only: GET' });
          return true;
        }
        await api(req, res, url, pathname.slice('/api/'.length));
        return true;
      }
      return false;
    },
    close: () => undefined,
  };
}
