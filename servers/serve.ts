// Entry points that keep a server running: stdio (for clients that launch Caelum) and HTTP.
// Both exit cleanly on SIGTERM/SIGINT; stdio also exits when stdin reaches EOF.
import type { Suite } from './composition.js';
import type { CaelumConfig } from './config.js';
import { createLogger } from './logger.js';
import { createServer } from './mcp-server.js';
import { LineStdioTransport } from './stdio-transport.js';

function onSignals(stop: (signal: string) => void): void {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => stop(signal));
}

/**
 * Serves stdio. The suite (tool catalogue, supervisors) loads after the transport is connected, so
 * `initialize` is answered without waiting for it; requests that need it wait.
 */
export async function runStdio(config: CaelumConfig, options: { reason?: string } = {}): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
  const runtime = () => ({
    mode: 'in-process' as const,
    detail: `this session is served in-process (pid ${process.pid}): ${options.reason ?? 'no shared service'}`,
  });
  const suiteLoading = import('./composition.js').then(({ createSuite }) => createSuite(config, { logger, runtime }));
  const { server, close } = createServer(suiteLoading, {
    ...(options.reason ? { notice: `served in-process, not by the shared Caelum service (${options.reason})` } : {}),
  });
  const transport = new LineStdioTransport();
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('server_stopping', { transport: 'stdio', reason });
    void close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  transport.onclose = () => stop('stdin closed');
  onSignals(stop);
  await server.connect(transport);
  let suite: Suite;
  try {
    suite = await suiteLoading;
  } catch (error) {
    // Without its catalogue the server cannot answer anything useful; say why and leave.
    logger.error('suite_load_failed', { error: (error as Error).stack ?? String(error) });
    process.exit(1);
  }
  logger.info('server_started', {
    transport: 'stdio',
    tools: suite.dispatcher.tools().length,
    internalTools: suite.registry.size,
  });
  void suite.pool.start();
  void import('./sample-data.js').then(({ loadSampleOnFirstStart }) => loadSampleOnFirstStart(suite));
}
