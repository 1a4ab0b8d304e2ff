// Command-line parsing for `caelum`, kept apart from the entry point so it can be tested.
import type { ConfigFlags } from './config.js';
import { caelumVersion } from './version.js';

export const usage = `caelum ${caelumVersion}: an MCP server suite for AI coding agents

Usage:
  caelum serve                                 MCP over stdio, relayed to the shared service of the data dir (started when none runs)
  caelum serve --http [PORT] [--host HOST]     the shared service with a Streamable HTTP endpoint (default port 8765)
  caelum service status|start|stop|restart [--force] [--json]
                                               the shared service: show it, start it, stop it (--force even while a job runs)
  caelum tools [--domain D] [--json]           list high-level tools per supervisor, and the internal catalogue
  caelum call <tool> '<json>' [--output text|json|sarif]
                                               run a high-level or internal tool (through the service when one runs); prints text, then JSON,
                                               or only one of them; --output sarif (or "format": "sarif") prints only the SARIF log
  caelum doctor                                check config, data dir, Ollama hosts, PostgreSQL and the Claude key
  caelum kb build [--resume] [--skip-llm] [--offline] [--skip-ingestion] [--publish]
                                               build a knowledge snapshot (progress bar on a terminal)
  caelum kb list | verify [NAME] | diff [FROM TO] | signals | status
                                               list, verify or compare snapshots; daily signals; build status
  caelum ledger migrate [--confirm] [--json]   reclassify cost ledger rows from before call outcomes were tracked (dry run without --confirm)
  caelum kb sample | source                    load the bundled sample knowledge base; say what the graph holds
  caelum setup claude [--apply]                print (or run) the claude mcp add line that registers this install
  caelum setup json                            print the mcpServers block for Claude Desktop, Cursor and other clients

Options for every command:
  --config FILE         config file (default ./caelum.config.json when present; env CAELUM_CONFIG)
  --data-dir DIR        data directory (env CAELUM_DATA_DIR)
  --allowed-root DIR    a root tools may read; repeat for more (env CAELUM_ALLOWED_ROOTS)
  --threshold N         confidence threshold 0..1 (env CAELUM_CONFIDENCE_THRESHOLD, default 0.75)
  --log-level LEVEL     debug | info | warn | error (env CAELUM_LOG_LEVEL, default info)
`;

export interface ParsedArgs {
  command: string | undefined;
  positionals: string[];
  flags: ConfigFlags;
  domain?: string;
  json: boolean;
  /** `caelum call --output`: print only the text, only the JSON, or only the SARIF log. */
  output?: CallOutput;
  /** Boolean switches of `caelum kb build` and `caelum setup`. */
  switches: Set<string>;
  help: boolean;
  version: boolean;
}

export class UsageError extends Error {}

export const callOutputs = ['text', 'json', 'sarif'] as const;
export type CallOutput = (typeof callOutputs)[number];

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = {
    command: undefined,
    positionals: [],
    flags: {},
    json: false,
    switches: new Set(),
    help: false,
    version: false,
  };
  const value = (index: number, flag: string) => {
    const next = argv[index + 1];
    if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return next;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case '--help':
      case '-h':
        parsed.help = true;
        break;
      case '--version':
        parsed.version = true;
        break;
      case '--json':
        parsed.json = true;
        break;
      case '--http': {
        const next = argv[i + 1];
        if (next !== undefined && /^\d+$/.test(next)) {
          parsed.flags.http = Number(next);
          i++;
        } else parsed.flags.http = true;
        break;
      }
      case '--host':
        parsed.flags.host = value(i++, arg);
        break;
      case '--config':
        parsed.flags.config = value(i++, arg);
        break;
      case '--data-dir':
        parsed.flags.dataDir = value(i++, arg);
        break;
      case '--allowed-root':
        (parsed.flags.allowedRoots ??= []).push(value(i++, arg));
        break;
      case '--log-level':
        parsed.flags.logLevel = value(i++, arg);
        break;
      case '--threshold':
        parsed.flags.threshold = value(i++, arg);
        break;
      case '--resume':
      case '--skip-llm':
      case '--offline':
      case '--skip-ingestion':
      case '--publish':
      case '--force':
      case '--apply':
      case '--confirm':
        parsed.switches.add(arg.slice(2));
        break;
      case '--domain':
        parsed.domain = value(i++, arg);
        break;
      case '--output': {
        const output = value(i++, arg);
        if (!(callOutputs as readonly string[]).includes(output))
          throw new UsageError(`--output: unknown output "${output}"; valid outputs: ${callOutputs.join(', ')}`);
        parsed.output = output as CallOutput;
        break;
      }
      default:
        if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
        if (parsed.command === undefined) parsed.command = arg;
        else parsed.positionals.push(arg);
    }
  }
  return parsed;
}
