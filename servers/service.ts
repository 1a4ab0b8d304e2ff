// The one Caelum service of a data dir. It owns everything with state (graph, indexes, pool, ledger,
// jobs) and serves every front-end over a Unix socket: `caelum serve` relays a client's stdio here,
// `caelum call` and `caelum service` send a line or two. Each socket session gets its own protocol
// server over the shared suite, with the allowed roots of the front-end that opened it.
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type { Suite } from './composition.js';
import type { CaelumConfig } from './config.js';
import type { HttpEndpoint } from './http.js';
import type { Logger } from '../tools/context.js';
import { createServer } from './mcp-server.js';
import { kernelLocks, servicePaths, type ServicePaths } from './service-paths.js';
import {
  buildId,
  parseLine,
  type ControlReply,
  type ControlRequest,
  type Hello,
  type ServiceStatus,
  type Welcome,
} from './service-protocol.js';
import { LineStdioTransport } from './stdio-transport.js';
import { caelumVersion } from './version.js';

/** A hello or control line longer than this is not from a Caelum front-end. */
const maxFirstLineBytes = 256 * 1024;

export interface ServiceOptions {
  config: CaelumConfig;
  logger: Logger;
  /** Run by `caelum serve --http` in a terminal: it stays until stopped, never idles out. */
  foreground: boolean;
  /** Shut down after this long with no client and no job; 0 or less never. */
  idleMs: number;
}

export interface RunningService {
  paths: ServicePaths;
  suite: Promise<Suite>;
  /** Opens a Streamable HTTP endpoint on the shared suite; closed with the returned handle. */
  openHttp(host: string, port: number, allowedRoots?: string[]): Promise<HttpEndpoint>;
  stop(reason: string): Promise<void>;
  /** Settles when the service has stopped. */
  stopped: Promise<string>;
}

export class ServiceRunningError extends Error {
  override readonly name = 'ServiceRunningError';
}

function listen(server: net.Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Takes the data dir's service lock, binds its socket and starts loading the suite. Throws
 * ServiceRunningError when another service holds the lock.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { config, logger } = options;
  const paths = servicePaths(config.dataDir);
  mkdirSync(paths.dataDir, { recursive: true });

  const lock = net.createServer((socket) => socket.destroy());
  if (kernelLocks) {
    try {
      await listen(lock, paths.serviceLock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new ServiceRunningError(`a Caelum service already runs for ${paths.dataDir}`);
      }
      throw error;
    }
  }
  const listener = net.createServer();
  try {
    // Holding the lock, any socket file left here is from a service that died.
    if (existsSync(paths.socket)) unlinkSync(paths.socket);
    const previousMask = process.umask(0o177);
    try {
      await listen(listener, paths.socket);
    } finally {
      process.umask(previousMask);
    }
    chmodSync(paths.socket, 0o600);
  } catch (error) {
    lock.close();
    throw new Error(`cannot listen on ${paths.socket}: ${(error as Error).message}`, { cause: error });
  }

  const startedAt = new Date();
  const build = buildId();
  const sockets = new Set<net.Socket>();
  const endpoints = new Set<HttpEndpoint>();
  let sessions = 0;
  let holds = 0;
  let stopping: Promise<void> | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let resolveStopped!: (reason: string) => void;
  const stopped = new Promise<string>((resolve) => (resolveStopped = resolve));

  const runtime = () => ({
    mode: 'service' as const,
    detail: `shared service pid ${process.pid}, ${sessions} session(s), socket ${paths.socket}`,
  });
  const suite: Promise<Suite> = import('./composition.js').then(({ createSuite }) =>
    createSuite(config, { logger, runtime }),
  );
  suite.then(
    (loaded) => {
      void loaded.pool.start();
      // In the background: the first session does not wait for it (about a second on an empty graph).
      void import('./sample-data.js').then(({ loadSampleOnFirstStart }) => loadSampleOnFirstStart(loaded));
    },
    (error: unknown) => {
      logger.error('suite_load_failed', { error: (error as Error).stack ?? String(error) });
      void stop('the suite failed to load');
    },
  );

  const jobs = async (): Promise<string[]> => {
    try {
      return (await suite).busy();
    } catch {
      return [];
    }
  };

  const scheduleIdle = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (options.foreground || options.idleMs <= 0 || sessions > 0 || holds > 0 || stopping) return;
    idleTimer = setTimeout(async () => {
      idleTimer = undefined;
      if (sessions > 0 || holds > 0) return;
      const running = await jobs();
      if (running.length > 0) {
        logger.info('idle_shutdown_deferred', { jobs: running });
        idleTimer = setTimeout(scheduleIdle, Math.min(options.idleMs, 60_000));
        return;
      }
      void stop(`idle for ${Math.round(options.idleMs / 1000)} s with no client`);
    }, options.idleMs);
  };

  const status = async (): Promise<ServiceStatus> => ({
    pid: process.pid,
    build,
    version: caelumVersion,
    startedAt: startedAt.toISOString(),
    uptimeS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    socket: paths.socket,
    dataDir: paths.dataDir,
    sessions,
    foreground: options.foreground,
    http: [...endpoints].map((e) => e.url),
    jobs: await jobs(),
    idleShutdownS: options.foreground || options.idleMs <= 0 ? null : Math.round(options.idleMs / 1000),
    rssMiB: Math.round(process.memoryUsage.rss() / 1048576),
  });

  const openHttp = async (host: string, port: number, allowedRoots?: string[]): Promise<HttpEndpoint> => {
    const { serveHttp } = await import('./http.js');
    const endpoint = await serveHttp(await suite, { host, port, ...(allowedRoots ? { allowedRoots } : {}) });
    endpoints.add(endpoint);
    logger.info('http_opened', { url: endpoint.url });
    return {
      ...endpoint,
      close: async () => {
        endpoints.delete(endpoint);
        await endpoint.close();
      },
    };
  };

  const reply = (socket: net.Socket, message: ControlReply | Welcome) => socket.write(`${JSON.stringify(message)}\n`);

  const startSession = (socket: net.Socket, hello: Hello, rest: Buffer) => {
    const otherBuild = hello.build !== build;
    if (otherBuild && sessions === 0 && holds === 0 && !options.foreground) {
      void jobs().then((running) => {
        if (running.length > 0) return openSession(socket, hello, rest, running);
        reply(socket, { caelum: 'restarting', reason: `service build ${build}, front-end build ${hello.build}` });
        socket.end();
        void stop(`a front-end of build ${hello.build} replaces this idle service of build ${build}`);
      });
      return;
    }
    openSession(socket, hello, rest, []);
  };

  const openSession = (socket: net.Socket, hello: Hello, rest: Buffer, running: string[]) => {
    sessions++;
    scheduleIdle();
    const mismatch =
      hello.build !== build
        ? `this service runs build ${build} and your front-end is build ${hello.build}; it keeps serving you, and ` +
          `is replaced when idle. To switch now, run \`caelum service restart\`${running.length ? ` after ${running.join(', ')}` : ''}.`
        : undefined;
    reply(socket, { caelum: 'welcome', build, pid: process.pid, sessions, ...(mismatch ? { mismatch } : {}) });
    const { server, close } = createServer(suite, {
      notifications: true,
      allowedRoots: hello.allowedRoots,
      testRunsAllowed: hello.testRunsAllowed,
    });
    const transport = new LineStdioTransport(socket, socket);
    socket.pause();
    if (rest.length > 0) socket.unshift(rest);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      sessions--;
      void close().catch(() => undefined);
      scheduleIdle();
    };
    socket.once('close', end);
    server.connect(transport).catch((error: unknown) => {
      logger.error('session_failed', { error: (error as Error).message });
      socket.destroy();
    });
  };

  const control = async (socket: net.Socket, request: ControlRequest) => {
    if (request.op === 'status') {
      reply(socket, { caelum: 'reply', ok: true, status: await status() });
      socket.end();
      return;
    }
    if (request.op === 'stop') {
      const running = await jobs();
      if (running.length > 0 && !request.force) {
        reply(socket, {
          caelum: 'reply',
          ok: false,
          message: `not stopping: ${running.join(', ')} still running; wait for it, cancel it, or pass --force (snapshot builds are checkpointed and resume with --resume; training jobs keep running and the next service re-attaches them)`,
        });
        socket.end();
        return;
      }
      reply(socket, { caelum: 'reply', ok: true, message: `stopping service pid ${process.pid}` });
      socket.end();
      void stop(request.force ? 'stopped with --force' : 'stopped on request');
      return;
    }
    if (request.op === 'http') {
      let endpoint: HttpEndpoint;
      try {
        endpoint = await openHttp(
          request.host ?? config.http.host,
          request.port ?? config.http.port,
          request.allowedRoots,
        );
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        reply(socket, {
          caelum: 'reply',
          ok: false,
          message: `cannot listen on ${request.host}:${request.port} (${code})`,
        });
        socket.end();
        return;
      }
      // The endpoint lives as long as the terminal that asked for it keeps this connection.
      holds++;
      scheduleIdle();
      reply(socket, { caelum: 'reply', ok: true, url: endpoint.url });
      socket.once('close', () => {
        holds--;
        void endpoint.close().finally(scheduleIdle);
      });
      return;
    }
    reply(socket, { caelum: 'reply', ok: false, message: `unknown control op ${String(request.op)}` });
    socket.end();
  };

  listener.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      const first = parseLine(buffered);
      if (!first) {
        if (buffered.length > maxFirstLineBytes) socket.destroy();
        return;
      }
      socket.off('data', onData);
      const message = first.value as { caelum?: unknown } | undefined;
      // A session is welcomed once the suite has loaded, so that its first requests are answered at once.
      if (message?.caelum === 'hello')
        void suite.then(
          () => startSession(socket, message as Hello, first.rest),
          () => socket.destroy(),
        );
      else if (message?.caelum === 'control') void control(socket, message as ControlRequest);
      else socket.destroy();
    };
    socket.on('data', onData);
  });

  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info('service_stopping', { reason, pid: process.pid });
      if (idleTimer) clearTimeout(idleTimer);
      listener.close();
      for (const socket of sockets) socket.destroy();
      await Promise.all([...endpoints].map((e) => e.close().catch(() => undefined)));
      try {
        unlinkSync(paths.socket);
      } catch {
        // Already gone.
      }
      try {
        const loaded = await Promise.race([
          suite,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000)),
        ]);
        await Promise.race([loaded.close(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      } catch {
        // A suite that never loaded has nothing to close.
      }
      lock.close();
      resolveStopped(reason);
    })();
    return stopping;
  };

  scheduleIdle();
  logger.info('service_started', { pid: process.pid, socket: paths.socket, build, foreground: options.foreground });
  return { paths, suite, openHttp, stop, stopped };
}
