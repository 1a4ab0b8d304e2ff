// One mounted MCP server's lifecycle. It starts lazily, on the first call (or when the catalogue
// has no record of its tools), with a deadline; every call has a timeout, forwards cancellation
// (the SDK sends notifications/cancelled) and relays progress. A server that exits is restarted
// on the next call after a backoff that doubles with each failure in a row; after `breakerAfter`
// failures in a row its breaker opens and calls fail at once until the cool-down ends. A call that
// times out is followed by a ping: a server that does not answer that is hung, and is stopped. An
// idle server is stopped after `idleMs`. Nothing it starts outlives stop().
import { mkdir } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../tools/context.js';
import { InputError, ToolError, isAbortError } from '../../tools/errors.js';
import type {
  MountState,
  MountStatus,
  RemoteCallOptions,
  RemoteCaller,
  RemoteResult,
  RemoteTool,
} from '../../tools/mounted/mounted-tool.js';
import { scrubDeep, scrubText } from '../../tools/secrets.js';
import { caelumVersion } from '../version.js';
import { ChildProcessTransport } from './child-transport.js';
import type { ResolvedMount } from './mount-config.js';

export type { MountStatus };

export interface MountedServerOptions {
  logger: Logger;
  /** Working directory of a stdio server. */
  cwd: string;
  /** The allow-listed environment a stdio server starts with; the mount's own env is added to it. */
  baseEnv: Record<string, string>;
  /** Its tools changed: at start, and on notifications/tools/list_changed. */
  onTools: (tools: RemoteTool[]) => void;
  idleMs?: number;
  breakerAfter?: number;
  breakerCooldownMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  now?: () => number;
}

export class MountedServer implements RemoteCaller {
  readonly server: string;
  private client: Client | undefined;
  private transport: Transport | undefined;
  private starting: Promise<Client> | undefined;
  private state: MountState;
  private tools: RemoteTool[] = [];
  private starts = 0;
  private crashes = 0;
  private calls = 0;
  private inFlight = 0;
  private failuresInARow = 0;
  private retryAt = 0;
  private lastError: string | undefined;
  private lastTail: string[] = [];
  private malformed = 0;
  private coldStartMs: number | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private refreshing = false;
  private unknownAllow: string[] = [];
  private writes: Promise<void> = Promise.resolve();
  private refreshAgain = false;
  private closed = false;
  private readonly now: () => number;

  constructor(
    readonly mount: ResolvedMount,
    private readonly options: MountedServerOptions,
  ) {
    this.server = mount.name;
    this.state = mount.config.enabled ? 'stopped' : 'disabled';
    this.now = options.now ?? Date.now;
  }

  status(): MountStatus {
    const child = this.transport instanceof ChildProcessTransport ? this.transport : undefined;
    return {
      name: this.server,
      supervisor: this.mount.config.supervisor,
      transport: this.mount.config.url ? 'http' : 'stdio',
      origin: this.mount.origin,
      ...(this.mount.package ? { package: `${this.mount.package.name}@${this.mount.package.version}` } : {}),
      state: this.state,
      enabled: this.mount.config.enabled,
      ...(child?.pid !== undefined && this.state === 'ready' ? { pid: child.pid } : {}),
      tools: this.tools.length,
      starts: this.starts,
      crashes: this.crashes,
      calls: this.calls,
      failuresInARow: this.failuresInARow,
      ...(this.state === 'broken' || this.state === 'backoff' ? { retryAt: new Date(this.retryAt).toISOString() } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.lastTail.length > 0 ? { stderrTail: this.lastTail } : {}),
      malformedLines: this.malformed + (child?.malformedLines ?? 0),
      ...(this.coldStartMs !== undefined ? { coldStartMs: this.coldStartMs } : {}),
      ...(this.mount.note || this.unknownAllow.length > 0
        ? {
            note: [
              this.mount.note,
              this.unknownAllow.length > 0
                ? `mcpServers.${this.server}.allow names tools it does not have: ${this.unknownAllow.join(', ')}`
                : undefined,
            ]
              .filter(Boolean)
              .join('; '),
          }
        : {}),
    };
  }

  /** The server's tools (allow and deny applied), starting it if need be. */
  async listTools(signal?: AbortSignal): Promise<RemoteTool[]> {
    await this.ensureStarted(signal);
    return this.tools;
  }

  async call(tool: string, args: Record<string, unknown>, options: RemoteCallOptions): Promise<RemoteResult> {
    if (!options.exclusive) return this.callNow(tool, args, options);
    // Calls that may write go one at a time, in arrival order.
    const previous = this.writes;
    let release!: () => void;
    this.writes = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      options.signal.throwIfAborted();
      return await this.callNow(tool, args, options);
    } finally {
      release();
    }
  }

  private async callNow(
    tool: string,
    args: Record<string, unknown>,
    options: RemoteCallOptions,
  ): Promise<RemoteResult> {
    const timeout = this.mount.config.timeoutMs;
    const client = await this.ensureStarted(options.signal);
    this.calls++;
    this.inFlight++;
    this.clearIdle();
    try {
      const result = await client.callTool({ name: tool, arguments: args }, CallToolResultSchema, {
        signal: options.signal,
        timeout,
        resetTimeoutOnProgress: true,
        maxTotalTimeout: timeout * 10,
        onprogress: (progress) => options.onProgress(progress.progress, progress.total, progress.message),
      });
      this.failuresInARow = 0;
      return scrubDeep({
        content: (result.content ?? []) as Record<string, unknown>[],
        structuredContent: result.structuredContent as Record<string, unknown> | undefined,
        isError: result.isError === true,
      });
    } catch (error) {
      throw await this.callFailure(error, tool, options.signal);
    } finally {
      this.inFlight--;
      this.armIdle();
    }
  }

  private async callFailure(error: unknown, tool: string, signal: AbortSignal): Promise<Error> {
    if (signal.aborted || isAbortError(error)) return error instanceof Error ? error : new Error(String(error));
    if (error instanceof McpError) {
      if (error.code === ErrorCode.RequestTimeout) {
        await this.checkHung();
        return new ToolError(
          'TIMEOUT',
          `mounted server "${this.server}" did not answer ${tool} within ${this.mount.config.timeoutMs} ms (mcpServers.${this.server}.timeoutMs)${this.state === 'ready' ? '' : '; it was hung and has been stopped, and restarts on the next call'}`,
        );
      }
      if (error.code === ErrorCode.ConnectionClosed)
        return new ToolError(
          'UNAVAILABLE',
          `mounted server "${this.server}" ${this.lastError ?? 'exited'} during ${tool}; it restarts on the next call`,
        );
      if (error.code === ErrorCode.InvalidParams || error.code === ErrorCode.MethodNotFound)
        return new InputError('', `${this.server}/${tool}: ${scrubText(error.message)}`);
      return new ToolError(
        'UNAVAILABLE',
        `mounted server "${this.server}" failed ${tool}: ${scrubText(error.message)}`,
      );
    }
    // Not an MCP answer at all: the connection failed (an HTTP server gone, its session expired).
    // The client is dropped and the failure counted, so the next call reconnects or the breaker opens.
    this.lastError = `connection failed: ${scrubText(String((error as Error)?.message ?? error))}`;
    await this.stopProcess();
    this.noteFailure();
    return new ToolError(
      'UNAVAILABLE',
      `mounted server "${this.server}" failed ${tool}: ${this.lastError}; it reconnects on the next call`,
    );
  }

  /** After a timeout: a server that does not answer a ping either is hung, and is stopped. */
  private async checkHung(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.ping({ timeout: Math.min(2_000, this.mount.config.timeoutMs) });
    } catch {
      this.options.logger.warn('mounted_server_hung', { server: this.server });
      this.lastError = 'was hung (no answer to a ping after a timed-out call)';
      await this.stopProcess();
      this.noteFailure();
    }
  }

  private async ensureStarted(signal?: AbortSignal): Promise<Client> {
    // A loop: after a backoff wait, another call may have started it, or close() may have run.
    for (;;) {
      if (this.closed) throw new ToolError('UNAVAILABLE', `mounted server "${this.server}" is shut down`);
      if (!this.mount.config.enabled)
        throw new ToolError(
          'UNAVAILABLE',
          `mounted server "${this.server}" is disabled (mcpServers.${this.server}.enabled)`,
        );
      signal?.throwIfAborted();
      if (this.client && this.state === 'ready') return this.client;
      if (this.starting) return this.starting;
      const wait = this.retryAt - this.now();
      if (this.state === 'broken' && wait > 0)
        throw new ToolError(
          'UNAVAILABLE',
          `mounted server "${this.server}" failed ${this.failuresInARow} times in a row (${this.lastError ?? 'unknown'}); it is tried again at ${new Date(this.retryAt).toISOString()}, or now with infrastructure_restart_mcp_server`,
        );
      if (this.state === 'backoff' && wait > 0) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            clearTimeout(timer);
            reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
          };
          const timer = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          }, wait);
          signal?.addEventListener('abort', onAbort, { once: true });
        });
        continue;
      }
      this.starting = this.start().finally(() => (this.starting = undefined));
      return this.starting;
    }
  }

  private makeTransport(): Transport {
    const config = this.mount.config;
    if (config.url)
      return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers } });
    return new ChildProcessTransport({
      server: this.server,
      command: config.command!,
      args: config.args,
      env: { ...this.options.baseEnv, ...config.env },
      cwd: config.cwd ?? this.options.cwd,
      logger: this.options.logger,
    });
  }

  private async start(): Promise<Client> {
    this.state = 'starting';
    this.stopping = false;
    this.starts++;
    const started = performance.now();
    const transport = this.makeTransport();
    const client = new Client(
      { name: 'caelum', version: caelumVersion },
      { capabilities: {}, enforceStrictCapabilities: false },
    );
    client.onerror = (error) =>
      this.options.logger.debug('mounted_server_protocol_error', {
        server: this.server,
        error: scrubText(error.message),
      });
    transport.onclose = undefined;
    try {
      for (const directory of this.mount.directories ?? []) await mkdir(directory, { recursive: true });
      await client.connect(transport, { timeout: this.mount.config.startTimeoutMs });
      const tools = await this.fetchTools(client);
      // Only now is it the live one: a close from here on is a crash (or a stop).
      this.client = client;
      this.transport = transport;
      const previous = client.onclose;
      client.onclose = () => {
        previous?.();
        this.onExit(client, transport);
      };
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.refreshTools(client));
      this.state = 'ready';
      this.coldStartMs ??= Number((performance.now() - started).toFixed(1));
      this.options.logger.info('mounted_server_started', {
        server: this.server,
        tools: tools.length,
        ms: Number((performance.now() - started).toFixed(1)),
        ...(transport instanceof ChildProcessTransport ? { pid: transport.pid } : {}),
      });
      this.publish(tools);
      this.armIdle();
      return client;
    } catch (error) {
      const reason =
        transport instanceof ChildProcessTransport && transport.endReason
          ? transport.endReason
          : scrubText((error as Error).message);
      this.lastTail = transport instanceof ChildProcessTransport ? transport.stderrTail() : [];
      await client.close().catch(() => undefined);
      await transport.close().catch(() => undefined);
      this.lastError = `could not start: ${reason}`;
      this.noteFailure();
      this.options.logger.warn('mounted_server_start_failed', {
        server: this.server,
        reason,
        stderr: this.lastTail.slice(-3),
      });
      throw new ToolError(
        'UNAVAILABLE',
        `mounted server "${this.server}" could not start: ${reason}${this.lastTail.length ? ` (stderr: ${this.lastTail.slice(-2).join(' | ')})` : ''}`,
      );
    }
  }

  /**
   * notifications/tools/list_changed: one refresh at a time; notifications that arrive during one
   * make one more afterwards, so a server that sends them in a loop costs one list at a time.
   */
  private async refreshTools(client: Client): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        if (this.client !== client) return;
        try {
          this.publish(await this.fetchTools(client));
        } catch (error) {
          this.options.logger.warn('mounted_server_list_failed', {
            server: this.server,
            error: scrubText((error as Error).message),
          });
        }
      } while (this.refreshAgain);
    } finally {
      this.refreshing = false;
    }
  }

  private async fetchTools(client: Client): Promise<RemoteTool[]> {
    const all: RemoteTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const listed = await client.listTools(cursor ? { cursor } : {}, { timeout: this.mount.config.startTimeoutMs });
      all.push(...(listed.tools as RemoteTool[]));
      cursor = listed.nextCursor;
      if (!cursor) break;
    }
    const { allow, deny } = this.mount.config;
    // A name in allow that the server does not have is a typo the user should hear about.
    const unknown = (allow ?? []).filter((name) => !all.some((tool) => tool.name === name));
    if (unknown.length > 0 && unknown.join() !== this.unknownAllow.join())
      this.options.logger.warn('mounted_server_unknown_allow', { server: this.server, names: unknown });
    this.unknownAllow = unknown;
    // An explicit allow wins over a deny (a default's deny list included).
    return all.filter((tool) => (allow ? allow.includes(tool.name) : !deny.includes(tool.name)));
  }

  private publish(tools: RemoteTool[]): void {
    this.tools = scrubDeep(tools);
    this.options.onTools(this.tools);
  }

  private onExit(client: Client, transport: Transport): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.transport = undefined;
    this.clearIdle();
    if (transport instanceof ChildProcessTransport) {
      this.lastTail = transport.stderrTail();
      this.malformed += transport.malformedLines;
    }
    if (this.stopping || this.closed) {
      this.state = this.mount.config.enabled ? 'stopped' : 'disabled';
      return;
    }
    // The leader is gone; what it started in its group goes too (Chromium under Playwright).
    void transport.close().catch(() => undefined);
    this.crashes++;
    this.lastError =
      transport instanceof ChildProcessTransport ? (transport.endReason ?? 'exited') : 'closed the connection';
    this.options.logger.warn('mounted_server_exited', {
      server: this.server,
      reason: this.lastError,
      stderr: this.lastTail.slice(-3),
    });
    this.noteFailure();
  }

  private noteFailure(): void {
    this.failuresInARow++;
    const breakerAfter = this.options.breakerAfter ?? 5;
    if (this.failuresInARow >= breakerAfter) {
      this.state = 'broken';
      this.retryAt = this.now() + (this.options.breakerCooldownMs ?? 60_000);
      this.options.logger.warn('mounted_server_breaker_open', { server: this.server, failures: this.failuresInARow });
    } else {
      this.state = 'backoff';
      const base = this.options.backoffBaseMs ?? 200;
      this.retryAt = this.now() + Math.min(this.options.backoffMaxMs ?? 10_000, base * 2 ** (this.failuresInARow - 1));
    }
  }

  private armIdle(): void {
    this.clearIdle();
    const idleMs = this.options.idleMs ?? 10 * 60_000;
    if (this.inFlight > 0 || this.state !== 'ready' || idleMs <= 0) return;
    this.idleTimer = setTimeout(() => {
      this.options.logger.info('mounted_server_idle_stop', { server: this.server });
      void this.stopProcess();
    }, idleMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private async stopProcess(): Promise<void> {
    this.stopping = true;
    this.clearIdle();
    // A start in progress finishes first, so the process it makes is the one stopped here.
    if (this.starting) await this.starting.catch(() => undefined);
    this.stopping = true;
    // Detached at once: a call that arrives while the process is being stopped starts a new one
    // instead of using a client that is closing.
    const client = this.client;
    const transport = this.transport;
    this.client = undefined;
    this.transport = undefined;
    if (this.state === 'ready' || this.state === 'starting')
      this.state = this.mount.config.enabled ? 'stopped' : 'disabled';
    if (client) await client.close().catch(() => undefined);
    if (transport) await transport.close().catch(() => undefined);
  }

  /** Start-up skipped listing its tools because that failed a moment ago: the status says so. */
  noteEarlierFailure(message: string): void {
    this.lastError = message;
  }

  /** The tools recorded in the data dir, before the server has started this time. */
  adoptTools(tools: RemoteTool[]): void {
    this.tools = tools;
  }

  /** Stops the process after start-up discovery; the next call starts it again. */
  async park(): Promise<void> {
    await this.stopProcess();
  }

  /** Stops it and clears the breaker; the next call starts it afresh. */
  async restart(): Promise<MountStatus> {
    await this.stopProcess();
    this.failuresInARow = 0;
    this.retryAt = 0;
    this.state = this.mount.config.enabled ? 'stopped' : 'disabled';
    await this.ensureStarted();
    return this.status();
  }

  async close(): Promise<void> {
    await this.stopProcess();
    this.closed = true;
  }
}
