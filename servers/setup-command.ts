// `caelum setup claude|json`: how to register this installation with an MCP client. The command
// it gives names node and this cli.js by absolute path, so it starts the server from any project
// directory. (`npx caelum serve` does not: caelum is not on the npm registry, so npx answers 404.)
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import type { ParsedArgs } from './arguments.js';
import type { LoadedConfig } from './config.js';
import { print, printError, printJson } from './printer.js';

export interface ServeCommand {
  command: string;
  args: string[];
}

/**
 * The stdio server of this installation: process.execPath and the real path of the running
 * script (through the `bin` symlink a global install makes). Flags given to `caelum setup` for
 * the config file, data dir and allowed roots carry over, as absolute paths.
 */
export function serveCommand(loaded?: LoadedConfig, args?: ParsedArgs): ServeCommand {
  const serveArgs = [realpathSync(process.argv[1]!), 'serve'];
  if (loaded && args?.flags.config && loaded.configFile) serveArgs.push('--config', loaded.configFile);
  if (loaded && args?.flags.dataDir) serveArgs.push('--data-dir', loaded.config.dataDir);
  if (loaded && args?.flags.allowedRoots?.length)
    for (const root of loaded.config.allowedRoots) serveArgs.push('--allowed-root', root);
  return { command: process.execPath, args: serveArgs };
}

/** POSIX shell quoting: words of safe characters stay bare, anything else is single-quoted. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The arguments of `claude mcp add`: user scope, so that it applies in every project. */
export function claudeAddArgs(serve: ServeCommand): string[] {
  return ['mcp', 'add', '--scope', 'user', 'caelum', '--', serve.command, ...serve.args];
}

export function claudeAddLine(serve: ServeCommand): string {
  return ['claude', ...claudeAddArgs(serve)].map(shellQuote).join(' ');
}

/** The block that Claude Desktop, Cursor and other JSON-configured clients read. */
export function mcpServersBlock(serve: ServeCommand) {
  return { mcpServers: { caelum: { command: serve.command, args: serve.args } } };
}

export async function setupCommand(loaded: LoadedConfig, args: ParsedArgs): Promise<number> {
  const [target] = args.positionals;
  const serve = serveCommand(loaded, args);
  if (target === 'json') {
    printJson(mcpServersBlock(serve));
    return 0;
  }
  if (target !== 'claude') {
    printError(
      `caelum setup: ${target === undefined ? 'name a client' : `unknown client "${target}"`}; use "caelum setup claude [--apply]" or "caelum setup json"`,
    );
    return 2;
  }
  const line = claudeAddLine(serve);
  if (!args.switches.has('apply')) {
    print(line);
    return 0;
  }
  return applyWithClaude(claudeAddArgs(serve), line);
}

/** Runs `claude mcp add` without a shell; says what to do when claude is missing or refuses. */
function applyWithClaude(claudeArgs: string[], line: string): Promise<number> {
  return new Promise((resolve) => {
    execFile('claude', claudeArgs, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (stdout) print(stdout);
      if (!error) {
        resolve(0);
        return;
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        printError(`caelum setup: claude is not on PATH; install Claude Code, or run this line where it is:\n${line}`);
        resolve(1);
        return;
      }
      if (stderr) printError(stderr);
      const exists = /already exists/i.test(`${stdout}${stderr}`);
      printError(
        exists
          ? 'caelum setup: a server named caelum is already registered; remove it with "claude mcp remove --scope user caelum", then run this again'
          : `caelum setup: claude mcp add failed (${error.message.split('\n')[0]}); the line was:\n${line}`,
      );
      resolve(1);
    });
  });
}
