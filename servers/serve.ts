// Entry points that keep a server running: stdio (for clients that launch Caelum) and HTTP.
// Both exit cleanly on SIGTERM/SIGINT; stdio also exits when stdin reaches EOF.
import type { Suite } from './composition.js';
import { createServer } from './mcp-server.js';
import { LineStdioTransport } from './stdio-transport.js';
import { serveHttp, type HttpEndpoint } from './http.js';

function onSignals(stop: (signal: string) => void): void {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => stop(signal));
}

export async function runStdio(suite: Suite): Promise<void> {
  const { server, close } = createServer(suite);
  const transport = new LineStdioTransport();
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    suite.logger.info('server_stopping', { transport: 'stdio', reason });
    void close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  transport.onclose = () => stop('stdin closed');
  onSignals(stop);
  await server.connect(transport);
  suite.logger.info('server_started', { transport: 'stdio', tools: suite.dispatcher.tools().length, internalTools: suite.registry.size });
}

export async function runHttp(suite: Suite, options: { host: string; port: number }): Promise<HttpEndpoint> {
  const endpoint = await serveHttp(suite, options);
  let stopping = false;
  onSignals((reason) => {
    if (stopping) return;
    stopping = true;
    suite.logger.info('server_stopping', { transport: 'http', reason });
    void endpoint.close().finally(() => process.exit(0));
  });
  suite.logger.info('server_started', { transport: 'http', url: endpoint.url });
  return endpoint;
}
