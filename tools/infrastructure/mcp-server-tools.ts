// Internal tools over the mounted MCP servers (config mcpServers): their state, and a restart.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import type { ToolContext } from '../context.js';
import { InputError, ToolError } from '../errors.js';

const mountRow = z.object({
  name: z.string(),
  supervisor: z.string().describe('the domain its tools are in'),
  transport: z.enum(['stdio', 'http']),
  origin: z.enum(['default', 'config']).describe('default: shipped with Caelum; config: from mcpServers'),
  package: z.string().optional().describe('npm package@version of a default mount'),
  state: z
    .enum(['stopped', 'starting', 'ready', 'backoff', 'broken', 'disabled'])
    .describe(
      'stopped: starts on the next call; backoff: exited, restarts after retryAt; broken: its breaker is open until retryAt',
    ),
  enabled: z.boolean(),
  pid: z.number().int().optional(),
  tools: z.number().int().describe('its tools in the catalogue'),
  starts: z.number().int(),
  crashes: z.number().int(),
  calls: z.number().int(),
  failuresInARow: z.number().int(),
  retryAt: z.string().optional(),
  lastError: z.string().optional(),
  stderrTail: z.array(z.string()).optional().describe("the last lines of the server's stderr, secrets removed"),
  malformedLines: z.number().int().describe('stdout lines that were not JSON-RPC'),
  coldStartMs: z.number().optional().describe('its first start: spawn, initialize and tools/list'),
  note: z.string().optional().describe('something to know about it here, e.g. a missing browser'),
});

function mountsOf(context: ToolContext) {
  const mounts = context.environment.mounts;
  if (!mounts) throw new ToolError('NOT_CONFIGURED', 'no MCP servers are mounted in this process');
  return mounts;
}

export const listMcpServers = defineTool({
  name: 'infrastructure_list_mcp_servers',
  domain: 'infrastructure',
  tags: ['mcp', 'servers', 'status'],
  requests: [
    'which external MCP servers are plugged into caelum',
    'is the filesystem mcp server running or crashed',
    'show the stderr of a mounted server that keeps failing',
  ],
  title: 'List mounted MCP servers',
  description:
    'Lists the MCP servers mounted behind the supervisors (config mcpServers and the defaults): state (stopped, ready, backoff, broken), pid, tools, starts, crashes, calls, last error and stderr tail. Use it when a mounted tool fails or to see what is mounted; it starts nothing. Example: {}',
  kind: { effect: 'readOnly' },
  input: z.object({
    name: z.string().max(40).optional().describe('Only this server.'),
  }),
  output: z.object({ servers: z.array(mountRow) }),
  examples: [{}],
  async handler(input, context) {
    const all = mountsOf(context).list();
    const servers = input.name ? all.filter((s) => s.name === input.name) : all;
    if (input.name && servers.length === 0)
      throw new InputError(
        'name',
        `no mounted server named "${input.name}"; mounted: ${all.map((s) => s.name).join(', ') || 'none'}`,
      );
    return { servers };
  },
  summarize: (output) =>
    output.servers.length === 0
      ? 'No MCP servers are mounted (config mcpServers).'
      : output.servers
          .map(
            (s) =>
              `${s.name} [${s.supervisor}, ${s.transport}] ${s.state}${s.pid ? ` pid ${s.pid}` : ''}: ${s.tools} tools, ${s.calls} calls, ${s.crashes} crashes${s.lastError ? `; last error: ${s.lastError}` : ''}${s.retryAt ? `; retry at ${s.retryAt}` : ''}${s.note ? `; note: ${s.note}` : ''}`,
          )
          .join('\n'),
});

export const restartMcpServer = defineTool({
  name: 'infrastructure_restart_mcp_server',
  domain: 'infrastructure',
  tags: ['mcp', 'servers', 'restart'],
  requests: [
    'restart the mounted playwright mcp server',
    'the memory mcp server is stuck, restart it',
    'start a crashed mounted mcp server again',
  ],
  title: 'Restart a mounted MCP server',
  description:
    'Stops a mounted MCP server (its whole process group), clears its failure count and breaker, and starts it again, returning its new state. Use it after fixing what made it crash, or when it is hung. Example: {"name":"filesystem"}',
  kind: { effect: 'action', idempotent: true },
  input: z.object({
    name: z.string().min(1).max(40).describe('Mounted server name, as infrastructure_list_mcp_servers shows.'),
  }),
  output: z.object({ server: mountRow }),
  examples: [{ name: 'filesystem' }],
  async handler(input, context) {
    const mounts = mountsOf(context);
    const names = mounts.list().map((s) => s.name);
    if (!names.includes(input.name))
      throw new InputError('name', `no mounted server named "${input.name}"; mounted: ${names.join(', ') || 'none'}`);
    try {
      return { server: await mounts.restart(input.name) };
    } catch (error) {
      if (error instanceof ToolError) throw error;
      throw new ToolError('UNAVAILABLE', (error as Error).message, { cause: error });
    }
  },
  summarize: (output) =>
    `${output.server.name}: ${output.server.state}${output.server.pid ? ` (pid ${output.server.pid})` : ''}, ${output.server.tools} tools`,
});
