// The client side of a mounted stdio server: the child runs in its own process group (so a server
// that starts helpers leaves none behind when it is stopped), its stdout is read line by line with
// a size limit (a line past it is discarded up to its newline), lines that are not JSON-RPC are
// counted and logged instead of answered, and a server that floods stdout with them is stopped.
// Its stderr is drained into a short tail that errors quote, scrubbed of secrets.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../tools/context.js';
import { scrubText } from '../../tools/secrets.js';
import { LineStdioTransport } from '../stdio-transport.js';

export interface ChildTransportOptions {
  server: string;
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd: string;
  logger: Logger;
  /** Longest stdout line kept; a longer one is discarded (default 32 MiB). */
  maxLineBytes?: number;
  /** More malformed lines than this within floodWindowMs stops the server (default 200 in 5 s). */
  floodLines?: number;
  floodWindowMs?: number;
  /** How long a stopped server has after SIGTERM before SIGKILL (default 2 s). */
  killGraceMs?: number;
}

const stderrTailLines = 20;

export class ChildProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child: ChildProcessWithoutNullStreams | undefined;
  private lines: LineStdioTransport | undefined;
  private readonly tail: string[] = [];
  private stderrRest = '';
  private malformedCount = 0;
  private floodStarted = 0;
  private floodCount = 0;
  private closedOnce = false;
  private exited: Promise<void> | undefined;
  /** Why the transport ended, when it was not asked to: an exit code, a signal, a flood. */
  endReason: string | undefined;

  constructor(private readonly options: ChildTransportOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines the server wrote to stderr, scrubbed. */
  stderrTail(): string[] {
    return [...this.tail];
  }

  get malformedLines(): number {
    return this.malformedCount;
  }

  async start(): Promise<void> {
    const { command, args, env, cwd } = this.options;
    const child = spawn(command, [...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdin.on('error', () => undefined);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => this.takeStderr(chunk));
    child.once('close', (code, signal) => {
      this.endReason ??= signal ? `exited on ${signal}` : `exited with code ${code}`;
      this.finish();
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => {
        this.endReason ??= `${command}: ${error.message}`;
        reject(error);
      });
    });
    const lines = new LineStdioTransport(child.stdout, child.stdin, this.options.maxLineBytes ?? 32 * 2 ** 20, (p) =>
      this.onMalformed(p),
    );
    lines.onmessage = (message) => this.onmessage?.(message);
    lines.onerror = (error) => this.onerror?.(error);
    this.lines = lines;
    await lines.start();
  }

  private takeStderr(chunk: string): void {
    const text = this.stderrRest + chunk;
    const parts = text.split('\n');
    // Scrubbed before it is cut, so a cut cannot leave part of a secret.
    this.stderrRest = parts.pop()!.slice(-65536);
    for (const line of parts) {
      if (!line.trim()) continue;
      this.tail.push(scrubText(line).slice(0, 500));
      if (this.tail.length > stderrTailLines) this.tail.shift();
    }
  }

  private onMalformed(problem: string): void {
    this.malformedCount++;
    if (this.malformedCount <= 3 || this.malformedCount % 1000 === 0)
      this.options.logger.warn('mounted_server_malformed_output', {
        server: this.options.server,
        problem: problem.slice(0, 200),
        count: this.malformedCount,
      });
    const now = performance.now();
    const window = this.options.floodWindowMs ?? 5_000;
    if (now - this.floodStarted > window) {
      this.floodStarted = now;
      this.floodCount = 0;
    }
    if (++this.floodCount > (this.options.floodLines ?? 200)) {
      this.endReason = `stopped: it wrote over ${this.options.floodLines ?? 200} lines that are not JSON-RPC to stdout within ${window} ms`;
      void this.close();
    }
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.lines || this.closedOnce) throw new Error(`mounted server ${this.options.server} is not running`);
    await this.lines.send(message);
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already.
    }
  }

  /** Stops the server and its process group: SIGTERM, then SIGKILL after the grace period. */
  async close(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      this.signalGroup('SIGTERM');
      const grace = new Promise<'late'>((resolve) =>
        setTimeout(() => resolve('late'), this.options.killGraceMs ?? 2_000).unref(),
      );
      if ((await Promise.race([this.exited, grace])) === 'late') {
        this.signalGroup('SIGKILL');
        await this.exited;
      }
    } else {
      // The leader is gone; helpers it left in its group go too.
      this.signalGroup('SIGKILL');
    }
    this.finish();
  }

  private finish(): void {
    if (this.closedOnce) return;
    this.closedOnce = true;
    void this.lines?.close();
    this.onclose?.();
  }
}
