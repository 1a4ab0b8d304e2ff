// The CLI side of the shared service: `caelum serve` (stdio front-end), `caelum serve --http`
// (the service in a terminal, or an HTTP endpoint on the running one), and `caelum service
// status|stop|restart|run`.
import { realpathSync } from 'node:fs';
import type { ParsedArgs } from './arguments.js';
import type { LoadedConfig } from './config.js';
import { createLogger } from './logger.js';
import { print, printError, printJson } from './printer.js';
import { servicePaths } from './service-paths.js';
import { connectOrStart, control, ServiceUnavailableError, type StartSpec } from './service-client.js';
import type { ServiceStatus } from './service-protocol.js';
import { startSpec as startSpecFor } from './start-spec.js';
import { claudeAddLine, serveCommand } from './setup-command.js';

/** How to start the service with the same configuration as this command. */
export function startSpec(args: ParsedArgs): StartSpec {
  return startSpecFor(args, realpathSync(process.argv[1]!));
}

const warn = (message: string) => printError(`caelum: ${message}`);

/** `caelum serve` over stdio: relay to the shared service, or serve in-process when none can run. */
export async function serveStdioCommand(loaded: LoadedConfig, args: ParsedArgs): Promise<void> {
  const { config } = loaded;
  let reason = 'the shared service is turned off (service.enabled false / CAELUM_SERVICE=off)';
  if (config.service.enabled) {
    const session = { allowedRoots: config.allowedRoots, testRunsAllowed: config.testRunsAllowed };
    try {
      const connected = await connectOrStart(config.dataDir, session, startSpec(args));
      // The client ends the session: the service goes on serving the others.
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => process.exit(0));
      const { runFrontEnd } = await import('./front-end.js');
      await runFrontEnd({ dataDir: config.dataDir, ...session, start: startSpec(args), warn }, connected);
      process.exit(0);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError)) throw error;
      reason = `no shared service: ${error.message.split('\n')[0]}`;
      warn(`${reason}; serving this session in-process`);
    }
  }
  const { runStdio } = await import('./serve.js');
  await runStdio(config, { reason });
}

function describeStatus(status: ServiceStatus): string {
  return [
    `Caelum service pid ${status.pid}, build ${status.build}, up ${status.uptimeS} s (since ${status.startedAt})`,
    `  data dir   ${status.dataDir}`,
    `  socket     ${status.socket}`,
    `  sessions   ${status.sessions}${status.foreground ? ' (running in a terminal)' : ''}`,
    `  http       ${status.http.length ? status.http.join(', ') : 'none'}`,
    `  jobs       ${status.jobs.length ? status.jobs.join(', ') : 'none'}`,
    `  idle stop  ${status.idleShutdownS === null ? 'never' : `after ${status.idleShutdownS} s with no client and no job`}`,
    `  memory     ${status.rssMiB} MiB resident`,
  ].join('\n');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until the process has exited: its socket closes first, its files are closed last. */
async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** `caelum service status|stop|restart|run`. */
export async function serviceCommand(loaded: LoadedConfig, args: ParsedArgs): Promise<number> {
  const { config } = loaded;
  const paths = servicePaths(config.dataDir);
  const [action] = args.positionals;
  const none = `no Caelum service runs for ${config.dataDir} (socket ${paths.socket})`;
  switch (action) {
    case 'status': {
      const answer = await control(paths, { op: 'status' });
      if (!answer) {
        if (args.json) printJson({ running: false, dataDir: config.dataDir, socket: paths.socket });
        else print(none);
        return 3;
      }
      const status = answer.reply.status!;
      if (args.json) printJson({ running: true, ...status });
      else print(describeStatus(status));
      return 0;
    }
    case 'stop':
    case 'restart': {
      const before = await control(paths, { op: 'status' });
      const answer = before && (await control(paths, { op: 'stop', force: args.switches.has('force') }));
      if (answer && !answer.reply.ok) {
        printError(`caelum service ${action}: ${answer.reply.message}`);
        return 1;
      }
      if (answer) {
        if (!(await waitGone(before!.reply.status!.pid, 15_000))) {
          printError(`caelum service ${action}: the service did not stop within 15 s; see ${paths.log}`);
          return 1;
        }
        print(`stopped the Caelum service for ${config.dataDir}`);
      } else if (action === 'stop') {
        print(none);
        return 0;
      }
      if (action === 'stop') return 0;
      return startDetached(loaded, args);
    }
    case 'start':
      if (await control(paths, { op: 'status' })) {
        print('a Caelum service already runs; `caelum service status` shows it');
        return 0;
      }
      return startDetached(loaded, args);
    case 'run':
      return runServiceForeground(loaded, false);
    default:
      printError('caelum service: say status, start, stop [--force], restart [--force] or run');
      return 2;
  }
}

async function startDetached(loaded: LoadedConfig, args: ParsedArgs): Promise<number> {
  const { config } = loaded;
  try {
    const connected = await connectOrStart(
      config.dataDir,
      { allowedRoots: config.allowedRoots, testRunsAllowed: config.testRunsAllowed },
      startSpec(args),
    );
    connected.socket.destroy();
  } catch (error) {
    printError(`caelum service: cannot start it: ${(error as Error).message}`);
    return 1;
  }
  const status = await control(servicePaths(config.dataDir), { op: 'status' });
  print(status ? describeStatus(status.reply.status!) : 'started');
  return 0;
}

/**
 * Runs the service in this process until it stops: detached (`caelum service run`, which the
 * front-ends spawn) or in a terminal (`caelum serve --http`, never idling out).
 */
export async function runServiceForeground(
  loaded: LoadedConfig,
  foreground: boolean,
  http?: { host: string; port: number },
): Promise<number> {
  const { config } = loaded;
  const logger = createLogger({ level: config.logLevel });
  const { startService, ServiceRunningError } = await import('./service.js');
  let service;
  try {
    service = await startService({ config, logger, foreground, idleMs: config.service.idleMinutes * 60_000 });
  } catch (error) {
    if (error instanceof ServiceRunningError) {
      logger.info('service_already_running', { dataDir: config.dataDir });
      return 0;
    }
    logger.error('service_start_failed', { error: (error as Error).message });
    printError(`caelum service: cannot start: ${(error as Error).message}`);
    return 1;
  }
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void service.stop(`signal ${signal}`);
    });
  }
  if (http) {
    try {
      const endpoint = await service.openHttp(http.host, http.port);
      await printBanner(loaded, endpoint.url, service.suite);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      printError(
        `caelum serve: cannot listen on ${http.host}:${http.port} (${code ?? (error as Error).message}); pass another port with --http PORT (0 picks a free one) or set http.port`,
      );
      await service.stop('the HTTP endpoint could not open');
      return 2;
    }
  }
  const reason = await service.stopped;
  logger.info('service_stopped', { reason });
  process.exit(0);
}

/** `caelum serve --http`: the service in this terminal, or an HTTP endpoint on the running one. */
export async function serveHttpCommand(loaded: LoadedConfig): Promise<number> {
  const { config } = loaded;
  const http = { host: config.http.host, port: config.http.port };
  const paths = servicePaths(config.dataDir);
  const attached = await control(paths, { op: 'http', ...http, allowedRoots: config.allowedRoots }, true).catch(
    () => undefined,
  );
  if (!attached) return runServiceForeground(loaded, true, http);
  if (!attached.reply.ok) {
    printError(`caelum serve: ${attached.reply.message}; pass another port with --http PORT (0 picks a free one)`);
    return 2;
  }
  const status = await control(paths, { op: 'status' });
  print(
    `Attached to the running Caelum service (pid ${status?.reply.status?.pid ?? '?'}); its HTTP endpoint stays open while this command runs.`,
  );
  // The endpoint is the service's: its dashboard settings apply, not this command's environment.
  const meta = (await fetch(attached.reply.url!.replace(/\/mcp$/, '/api/meta'), { signal: AbortSignal.timeout(2000) })
    .then((response) => (response.ok ? response.json() : undefined))
    .catch(() => undefined)) as { actions?: boolean } | undefined;
  await printBanner(loaded, attached.reply.url!, undefined, meta ? { actions: meta.actions === true } : 'off');
  const stop = () => {
    attached.socket.destroy();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, stop);
  attached.socket.once('close', () => {
    printError('caelum serve: the service stopped; its HTTP endpoint is closed');
    process.exit(1);
  });
  attached.socket.resume();
  return -1;
}

async function printBanner(
  loaded: LoadedConfig,
  url: string,
  suiteLoading: Promise<import('./composition.js').Suite> | undefined,
  /** The running service's dashboard, when attached to it. */
  dashboard?: { actions: boolean } | 'off',
): Promise<void> {
  const board = dashboard ?? (loaded.config.http.dashboard ? { actions: loaded.config.http.dashboardActions } : 'off');
  const { configurationSummary } = await import('./commands.js');
  print(`Caelum is serving MCP (Streamable HTTP, stateless) at ${url}`);
  print(
    board !== 'off'
      ? `Dashboard: ${url.replace(/\/mcp$/, '/')} (${board.actions ? 'actions on, each with confirmation' : 'read-only'})\n`
      : 'Dashboard: off (http.dashboard: false)\n',
  );
  print(configurationSummary(loaded));
  if (suiteLoading) {
    const suite = await suiteLoading;
    // Joins the start-up probes (a probe in flight is shared), so that the tiers are resolved.
    await suite.pool.reprobe();
    const status = await suite.dispatcher.call('getSystemStatus', { timeoutMs: 1500 }, { record: false });
    const missing = (status.structuredContent?.missing ?? []) as {
      severity: string;
      what: string;
      impact: string;
      fix: string;
    }[];
    const { tierLines } = await import('../tools/infrastructure/pool-tools.js');
    const tiers = (status.structuredContent?.pool as { tiers?: Parameters<typeof tierLines>[0] } | undefined)?.tiers;
    if (tiers?.length) print(`Model tiers:\n${tierLines(tiers).join('\n')}\n`);
    print(
      missing.length
        ? `What is missing:\n${missing.map((m) => `  [${m.severity}] ${m.what}: ${m.impact}.\n      fix: ${m.fix}`).join('\n')}\n`
        : 'Nothing is missing.\n',
    );
  }
  print(
    [
      'Connect a client:',
      `  Claude Code (HTTP):   claude mcp add --transport http caelum ${url}`,
      `  Claude Code (stdio):  ${claudeAddLine(serveCommand())}`,
      '  Other clients:        caelum setup json prints the mcpServers block with that command',
      `  MCP Inspector:        npx @modelcontextprotocol/inspector --cli ${url} --transport http --method tools/list`,
      'Stop with Ctrl-C.',
    ].join('\n'),
  );
}
