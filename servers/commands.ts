// The CLI commands. Each returns an exit code; `serve` returns -1 and keeps the process alive.
import type { LoadedConfig } from './config.js';
import type { ParsedArgs } from './arguments.js';
import { createSuite, type Suite } from './composition.js';
import { print, printError, printJson } from './printer.js';
import { listTools } from './mcp-server.js';
import { supervisors } from '../supervisors/index.js';
import { domains, type Domain } from '../tools/define-tool.js';
import { redactUrl } from '../tools/redact.js';
import { claudeAddLine, serveCommand } from './setup-command.js';

/** `caelum serve --http`: stdio goes through serve.ts directly, so it loads less at start-up. */
export async function serveHttpCommand(loaded: LoadedConfig): Promise<number> {
  const suite = createSuite(loaded.config);
  const { runHttp } = await import('./serve.js');
  const { host, port } = loaded.config.http;
  let endpoint;
  try {
    endpoint = await runHttp(suite, { host, port });
    void suite.pool.start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      printError(
        `caelum serve: cannot listen on ${host}:${port} (${code}); pass another port with --http PORT (0 picks a free one) or set http.port`,
      );
      return 2;
    }
    throw error;
  }
  print(
    `Caelum ${suite.dispatcher.tools().length} high-level tools over ${suite.registry.size} internal tools, serving MCP (Streamable HTTP, stateless) at ${endpoint.url}\n`,
  );
  print(configurationSummary(loaded));
  const status = await suite.dispatcher.call('getSystemStatus', { timeoutMs: 1500 });
  const missing = (status.structuredContent?.missing ?? []) as {
    severity: string;
    what: string;
    impact: string;
    fix: string;
  }[];
  print(
    missing.length
      ? `What is missing:\n${missing.map((m) => `  [${m.severity}] ${m.what}: ${m.impact}.\n      fix: ${m.fix}`).join('\n')}\n`
      : 'Nothing is missing.\n',
  );
  print(
    [
      'Connect a client:',
      `  Claude Code (HTTP):   claude mcp add --transport http caelum ${endpoint.url}`,
      `  Claude Code (stdio):  ${claudeAddLine(serveCommand())}`,
      '  Other clients:        caelum setup json prints the mcpServers block with that command',
      `  MCP Inspector:        npx @modelcontextprotocol/inspector --cli ${endpoint.url} --transport http --method tools/list`,
      'Stop with Ctrl-C.',
    ].join('\n'),
  );
  return -1;
}

export function configurationSummary(loaded: LoadedConfig): string {
  const { config, origin } = loaded;
  const from = (key: string) => origin[key] ?? 'default';
  const hosts = config.ollamaHosts.length
    ? config.ollamaHosts.map((h) => `${h.name}=${redactUrl(h.url)}`).join(', ')
    : 'none';
  return [
    'Configuration:',
    `  config file          ${loaded.configFile ?? 'none (defaults, environment and flags only)'}`,
    `  data dir             ${config.dataDir}  (${from('dataDir')})`,
    `  allowed roots        ${config.allowedRoots.join(', ')}  (${from('allowedRoots')})`,
    `  Ollama hosts         ${hosts}  (${from('ollamaHosts')})`,
    `  Claude               ${config.claude.apiKey ? `key set, model ${config.claude.model}${config.claude.baseUrl ? `, base URL ${redactUrl(config.claude.baseUrl)}` : ''}` : 'no key'}`,
    `  PostgreSQL           ${config.databaseUrl ? redactUrl(config.databaseUrl) : 'not set (embedded JSONL ledger)'}`,
    `  confidence threshold ${config.confidenceThreshold}  (${from('confidenceThreshold')})`,
    '',
  ].join('\n');
}

export function tools(loaded: LoadedConfig, args: ParsedArgs): number {
  if (args.domain !== undefined && !domains.includes(args.domain as Domain)) {
    printError(`caelum: --domain: unknown domain "${args.domain}"; valid domains: ${domains.join(', ')}`);
    return 2;
  }
  const suite = createSuite(loaded.config);
  const domain = args.domain as Domain | undefined;
  const chosen = supervisors.filter((s) => !domain || s.name === domain);
  const internal = domain ? suite.registry.byDomain(domain) : suite.registry.all();
  if (args.json) {
    printJson({
      highLevel: listTools(suite).filter(
        (t) => !domain || chosen.some((s) => s.tools.some((st) => st.name === t.name)),
      ),
      supervisors: chosen.map((s) => ({ name: s.name, description: s.description, tools: s.tools.map((t) => t.name) })),
      internal: internal.map((t) => ({
        name: t.name,
        domain: t.domain,
        tags: t.tags,
        title: t.title,
        effect: t.kind.effect,
        description: t.description,
      })),
    });
    return 0;
  }
  const lines: string[] = ['High-level tools (what an MCP client sees):'];
  if (!domain)
    lines.push(
      `  suite: ${suite.dispatcher
        .tools()
        .filter((t) => t.owner === 'suite')
        .map((t) => t.name)
        .join(', ')}`,
    );
  for (const supervisor of chosen)
    lines.push(
      `  ${supervisor.name}: ${supervisor.tools.length ? supervisor.tools.map((t) => t.name).join(', ') : 'no tools yet'}`,
    );
  lines.push('', `Internal tools (${internal.length}; reach them with runTool):`);
  for (const name of domain ? [domain] : domains) {
    const list = suite.registry.byDomain(name);
    lines.push(`  ${name}: ${list.length ? '' : 'none yet'}`);
    for (const tool of list) lines.push(`    ${tool.name.padEnd(44)} ${tool.kind.effect.padEnd(11)} ${tool.title}`);
  }
  print(lines.join('\n'));
  return 0;
}

/** Internal tools run through runTool, so they get the same validation, confirm rule and execution block. */
async function runAny(suite: Suite, name: string, input: unknown, signal: AbortSignal) {
  if (
    !suite.dispatcher.get(name) &&
    suite.registry.get(name) &&
    input &&
    typeof input === 'object' &&
    !Array.isArray(input)
  ) {
    const { confirm, ...rest } = input as Record<string, unknown>;
    return suite.dispatcher.call('runTool', { name, arguments: rest, confirm: confirm === true }, { signal });
  }
  return suite.dispatcher.call(name, input, { signal });
}

export async function call(loaded: LoadedConfig, args: ParsedArgs): Promise<number> {
  const [name, json] = args.positionals;
  if (!name) {
    printError("caelum call: name a tool, e.g. caelum call getSystemStatus '{}'");
    return 2;
  }
  let input: unknown = {};
  if (json !== undefined) {
    try {
      input = JSON.parse(json);
    } catch (error) {
      printError(
        `caelum call: arguments: not valid JSON (${(error as Error).message}); pass one JSON object, e.g. '{"path": "."}'`,
      );
      return 2;
    }
  }
  const suite = createSuite(loaded.config);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const result = await runAny(suite, name, input, controller.signal).finally(() => suite.close());
  if (result.isError) {
    printError(`caelum call: ${result.text}`);
    return 1;
  }
  print(result.text);
  print('');
  printJson(result.structuredContent);
  return 0;
}

export async function doctor(loaded: LoadedConfig): Promise<number> {
  const suite = createSuite(loaded.config);
  print(`caelum doctor: configuration is valid.\n`);
  print(configurationSummary(loaded));
  await suite.pool.reprobe();
  const status = await suite.dispatcher.call('getSystemStatus', { timeoutMs: 3000 }).finally(() => suite.close());
  if (status.isError) {
    printError(`caelum doctor: ${status.text}`);
    return 1;
  }
  print(status.text);
  return status.structuredContent?.healthy === true ? 0 : 1;
}
