// The CLI commands. Each returns an exit code; `serve` returns -1 and keeps the process alive.
import type { LoadedConfig } from './config.js';
import type { ParsedArgs } from './arguments.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createSuite, type Suite } from './composition.js';
import { connectService } from './service-client.js';
import { servicePaths } from './service-paths.js';
import { LineStdioTransport } from './stdio-transport.js';
import { caelumVersion } from './version.js';
import { print, printError, printJson } from './printer.js';
import { listTools } from './mcp-server.js';
import { supervisors } from '../supervisors/index.js';
import { domains, type Domain } from '../tools/define-tool.js';
import { redactUrl } from '../tools/redact.js';
import { resolveMounts } from './mounts/mount-config.js';

/** The mounted MCP servers, as configured (none is started for this). */
function mountLines(loaded: LoadedConfig): string[] {
  const { config } = loaded;
  const mounts = resolveMounts(
    config.mcpServers,
    config.allowedRoots,
    config.dataDir,
    process.env,
    config.mountDefaultServers,
  );
  if (mounts.length === 0) return ['  MCP servers          none mounted'];
  return [
    `  MCP servers          ${mounts.map((m) => `${m.name}${m.config.enabled ? '' : ' (disabled)'}`).join(', ')}  (${loaded.origin.mcpServers ?? 'default'})`,
    ...mounts.filter((m) => m.note && m.config.enabled).map((m) => `    ${m.name}: ${m.note}`),
  ];
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
    ...mountLines(loaded),
    '',
  ].join('\n');
}

export async function tools(loaded: LoadedConfig, args: ParsedArgs): Promise<number> {
  if (args.domain !== undefined && !domains.includes(args.domain as Domain)) {
    printError(`caelum: --domain: unknown domain "${args.domain}"; valid domains: ${domains.join(', ')}`);
    return 2;
  }
  const suite = createSuite(loaded.config, { followReplica: false });
  try {
    // The mounted servers' tools: from the data dir's record, or listed now (each server starts and stops).
    await suite.mounts.ready();
    return listCatalogue(suite, args);
  } finally {
    await suite.close();
  }
}

function listCatalogue(suite: Suite, args: ParsedArgs): number {
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
        ...(t.mounted ? { mounted: { server: t.mounted.server, tool: t.mounted.tool } } : {}),
      })),
      mounts: suite.mounts.list(),
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
  const mounts = suite.mounts.list();
  if (mounts.length > 0) {
    lines.push('', 'Mounted MCP servers (config mcpServers; their tools are listed above):');
    for (const m of mounts)
      lines.push(
        `  ${m.name.padEnd(12)} ${m.supervisor.padEnd(15)} ${m.enabled ? `${m.tools} tools` : 'disabled'}${m.package ? `  ${m.package}` : ''}${m.lastError ? `  last error: ${m.lastError}` : ''}`,
      );
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
  // A SARIF log is what a CI step wants in its file: ask the tool for one unless told otherwise.
  if (args.output === 'sarif' && input && typeof input === 'object' && !Array.isArray(input) && !('format' in input))
    input = { ...input, format: 'sarif' };
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const { config } = loaded;
  // The running service owns the graph and the pool; a call goes through it when there is one.
  const viaService = config.service.enabled
    ? await callThroughService(loaded, name, input, controller.signal).catch((error: unknown) => {
        printError(`caelum call: the service did not answer (${(error as Error).message}); running in-process`);
        return undefined;
      })
    : undefined;
  let result: { isError: boolean; text: string; structuredContent?: Record<string, unknown> };
  if (viaService) result = viaService;
  else {
    const suite = createSuite(config, { followReplica: false });
    result = await runAny(suite, name, input, controller.signal).finally(() => suite.close());
  }
  if (result.isError) {
    printError(`caelum call: ${result.text}`);
    return 1;
  }
  // Asking for "format": "sarif" is asking for a log that parses: print only the log, unless
  // --output says otherwise (or the tool wrote none).
  const askedForSarif =
    input !== null && typeof input === 'object' && (input as { format?: unknown }).format === 'sarif';
  const implied = askedForSarif && result.structuredContent?.sarif ? 'sarif' : undefined;
  return printResult(name, result, args.output ?? implied);
}

/** Text, a blank line and JSON for a person; one of them alone for a pipe or a file. */
function printResult(
  name: string,
  result: { text: string; structuredContent?: Record<string, unknown> },
  output: ParsedArgs['output'],
): number {
  if (output === 'sarif') {
    const sarif = result.structuredContent?.sarif;
    if (!sarif || typeof sarif !== 'object') {
      printError(
        `caelum call: --output sarif: ${name} returned no SARIF log; analyzeAndImproveCode and reviewChanges write one (with "format": "sarif")`,
      );
      return 1;
    }
    printJson(sarif);
    return 0;
  }
  if (output === 'json') {
    printJson(result.structuredContent ?? null);
    return 0;
  }
  print(result.text);
  if (output === 'text') return 0;
  print('');
  printJson(result.structuredContent);
  return 0;
}

/** Runs the call on the data dir's service over its socket; undefined when no service runs. */
export async function callThroughService(loaded: LoadedConfig, name: string, input: unknown, signal: AbortSignal) {
  const { config } = loaded;
  const connected = await connectService(servicePaths(config.dataDir), {
    allowedRoots: config.allowedRoots,
    testRunsAllowed: config.testRunsAllowed,
  });
  if (!connected || connected === 'restarting') return undefined;
  const transport = new LineStdioTransport(connected.socket, connected.socket);
  if (connected.rest.length) connected.socket.unshift(connected.rest);
  const client = new Client({ name: 'caelum-call', version: caelumVersion });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    let toolName = name;
    let toolArguments = input as Record<string, unknown>;
    if (!tools.some((tool) => tool.name === name) && input && typeof input === 'object' && !Array.isArray(input)) {
      // An internal tool: through runTool, as in-process, with the same validation and confirm rule.
      const { confirm, ...rest } = input as Record<string, unknown>;
      toolName = 'runTool';
      toolArguments = { name, arguments: rest, confirm: confirm === true };
    }
    const result = await client.callTool({ name: toolName, arguments: toolArguments }, undefined, {
      signal,
      timeout: 24 * 3600_000,
    });
    const text = (result.content as { type: string; text?: string }[])
      .map((part) => (part.type === 'text' ? part.text : ''))
      .join('\n');
    return {
      isError: result.isError === true,
      text,
      ...(result.structuredContent ? { structuredContent: result.structuredContent as Record<string, unknown> } : {}),
    };
  } finally {
    await client.close().catch(() => undefined);
    connected.socket.destroy();
  }
}

export async function doctor(loaded: LoadedConfig): Promise<number> {
  print(`caelum doctor: configuration is valid.\n`);
  print(configurationSummary(loaded));
  // The running service's view is the one that counts: its pool, its graph, its sessions.
  const signal = new AbortController().signal;
  const viaService = loaded.config.service.enabled
    ? await callThroughService(loaded, 'getSystemStatus', { timeoutMs: 3000 }, signal).catch(() => undefined)
    : undefined;
  let status: { isError: boolean; text: string; structuredContent?: Record<string, unknown> };
  if (viaService) status = viaService;
  else {
    const suite = createSuite(loaded.config, { followReplica: false });
    await suite.pool.reprobe();
    status = await suite.dispatcher
      .call('getSystemStatus', { timeoutMs: 3000 }, { record: false })
      .finally(() => suite.close());
  }
  if (status.isError) {
    printError(`caelum doctor: ${status.text}`);
    return 1;
  }
  print(status.text);
  return status.structuredContent?.healthy === true ? 0 : 1;
}
