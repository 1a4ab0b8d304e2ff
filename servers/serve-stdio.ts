// `caelum serve` over stdio, fast path first: when a service already runs, the front-end reads
// only the settings it needs and relays, without loading the configuration schema or the suite.
// Otherwise the full configuration is loaded (and its errors reported), and the service started.
import { realpathSync } from 'node:fs';
import type { ParsedArgs } from './arguments.js';
import { printError } from './printer.js';
import { connectService } from './service-client.js';
import { servicePaths } from './service-paths.js';
import { quickSessionConfig } from './session-config.js';

export async function serveStdio(args: ParsedArgs): Promise<number> {
  const quick = quickSessionConfig(args.flags, process.env, process.cwd());
  if (quick?.serviceEnabled) {
    const session = { allowedRoots: quick.allowedRoots, testRunsAllowed: quick.testRunsAllowed };
    const connected = await connectService(servicePaths(quick.dataDir), session).catch(() => undefined);
    if (connected && connected !== 'restarting') {
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => process.exit(0));
      const [{ runFrontEnd }, { startSpec }] = await Promise.all([import('./front-end.js'), import('./start-spec.js')]);
      await runFrontEnd(
        {
          dataDir: quick.dataDir,
          ...session,
          start: startSpec(args, realpathSync(process.argv[1]!)),
          warn: (message) => void process.stderr.write(`caelum: ${message}\n`),
        },
        connected,
      );
      process.exit(0);
    }
  }
  const { loadConfigOrReport } = await import('./config.js');
  const loaded = loadConfigOrReport(args.flags, process.env, process.cwd(), printError);
  if (!loaded) return 2;
  const { serveStdioCommand } = await import('./service-command.js');
  await serveStdioCommand(loaded, args);
  return -1;
}
