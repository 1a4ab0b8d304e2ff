// A real MCP server (the SDK's McpServer over stdio) that misbehaves on request, for the mount
// fault tests: it crashes, hangs, blocks its event loop, floods stdout, writes malformed JSON-RPC,
// leaves a helper process behind, sends progress and honours cancellation, and adds a tool
// (which sends notifications/tools/list_changed). FAULT_EXIT_ON_START=1, or a file at FAULT_EXIT_IF,
// makes it exit at once.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

if (process.env.FAULT_EXIT_ON_START === '1' || (process.env.FAULT_EXIT_IF && existsSync(process.env.FAULT_EXIT_IF))) {
  process.stderr.write('fault-server: told to exit on start\n');
  process.exit(3);
}
const log = (line) => process.env.FAULT_LOG && appendFileSync(process.env.FAULT_LOG, `${line}\n`);
const server = new McpServer({ name: 'fault-server', version: '1.0.0' });
const text = (value) => ({ content: [{ type: 'text', text: String(value) }] });

server.registerTool(
  'echo',
  { description: 'Echoes its text back.', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } },
  async ({ text: value }) => text(value),
);
server.registerTool(
  'crash',
  { description: 'Exits the process mid-call.', annotations: { readOnlyHint: true } },
  async () => {
    process.stderr.write('fault-server: crashing now\n');
    process.exit(7);
  },
);
server.registerTool(
  'hang',
  { description: 'Never answers.', annotations: { readOnlyHint: true } },
  () => new Promise(() => {}),
);
server.registerTool(
  'block',
  { description: 'Blocks its event loop for good.', annotations: { readOnlyHint: true } },
  async () => {
    for (;;);
  },
);
server.registerTool(
  'flood',
  { description: 'Floods stdout with junk.', annotations: { readOnlyHint: true } },
  async () => {
    for (let i = 0; i < 5000; i++) process.stdout.write(`junk line ${i} that is not JSON-RPC\n`);
    return text('flooded');
  },
);
server.registerTool(
  'malformed',
  { description: 'Writes malformed JSON-RPC, then answers.', annotations: { readOnlyHint: true } },
  async () => {
    process.stdout.write('{"jsonrpc":"2.0","id":\n');
    process.stdout.write('{"jsonrpc":"1.0","result":{}}\n');
    process.stdout.write('[1,2,3]\n');
    process.stdout.write('{"jsonrpc":"2.0","id":999999,"result":{"content":[]}}\n');
    return text('still here');
  },
);
server.registerTool(
  'spawn_helper',
  { description: 'Starts a helper process that sleeps.', annotations: { readOnlyHint: true } },
  async () => {
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    return text(child.pid);
  },
);
server.registerTool(
  'slow',
  {
    description: 'Counts to steps with progress; stops when cancelled.',
    inputSchema: { steps: z.number().int() },
    annotations: { readOnlyHint: true },
  },
  async ({ steps }, extra) => {
    for (let i = 1; i <= steps; i++) {
      if (extra.signal.aborted) {
        log('cancelled');
        return text('cancelled');
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (extra._meta?.progressToken !== undefined)
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: extra._meta.progressToken, progress: i, total: steps, message: `step ${i}` },
        });
    }
    log('finished');
    return text(`done ${steps}`);
  },
);
server.registerTool(
  'get_secret',
  { description: 'Returns the FAULT_SECRET variable.', annotations: { readOnlyHint: true } },
  async () => {
    process.stderr.write(`fault-server: my secret is ${process.env.FAULT_SECRET}\n`);
    return text(`secret=${process.env.FAULT_SECRET}`);
  },
);
server.registerTool(
  'add_tool',
  { description: 'Adds a tool named extra.', annotations: { readOnlyHint: false, destructiveHint: false } },
  async () => {
    server.registerTool(
      'extra',
      { description: 'A tool added at run time.', annotations: { readOnlyHint: true } },
      async () => text('extra'),
    );
    return text('added');
  },
);
server.registerTool(
  'wipe',
  { description: 'Pretends to delete everything.', annotations: { readOnlyHint: false, destructiveHint: true } },
  async () => text('wiped'),
);
await server.connect(new StdioServerTransport());
