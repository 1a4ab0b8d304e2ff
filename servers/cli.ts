#!/usr/bin/env node
// The `caelum` command: serve, tools, call, doctor. Heavy modules load per command, so that
// `caelum serve` over stdio starts fast.
import { print, printError } from './printer.js';
import { caelumVersion } from './version.js';
import { parseArgs, usage, type ParsedArgs } from './arguments.js';

async function main(argv: readonly string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    printError(`caelum: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (args.output !== undefined && args.command !== 'call') {
    printError(`caelum: --output is an option of caelum call\n\n${usage}`);
    return 2;
  }
  if (args.version) {
    print(caelumVersion);
    return 0;
  }
  if (args.help || args.command === undefined || args.command === 'help') {
    print(usage);
    return args.command === undefined && !args.help ? 2 : 0;
  }
  if (args.command === 'serve' && args.flags.http === undefined) {
    // Loads the configuration schema only when no service is running.
    return (await import('./serve-stdio.js')).serveStdio(args);
  }
  const { loadConfigOrReport } = await import('./config.js');
  const loaded = loadConfigOrReport(args.flags, process.env, process.cwd(), printError);
  if (!loaded) return 2;
  if (args.command === 'service' || args.command === 'serve') {
    const service = await import('./service-command.js');
    return args.command === 'serve' ? service.serveHttpCommand(loaded) : service.serviceCommand(loaded, args);
  }
  const commands = await import('./commands.js');
  switch (args.command) {
    case 'tools':
      return commands.tools(loaded, args);
    case 'call':
      return commands.call(loaded, args);
    case 'doctor':
      return commands.doctor(loaded);
    case 'kb':
      return (await import('./kb-command.js')).kbCommand(loaded, args);
    case 'ledger':
      return (await import('./ledger-command.js')).ledgerCommand(loaded, args);
    case 'setup':
      return (await import('./setup-command.js')).setupCommand(loaded, args);
    default:
      printError(`caelum: unknown command "${args.command}"\n\n${usage}`);
      return 2;
  }
}

// A closed pipe (`caelum tools | head`) is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    // `serve` keeps running; it returns -1 and exits on its own signals.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    printError(`caelum: unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
    process.exitCode = 1;
  },
);
