// Reaching the data dir's service from a front-end: connect, say hello or send a control line, and
// start the service, detached, when none answers. Of many front-ends starting at once, the one
// that takes the kernel-held start lock spawns the service and the rest wait for its socket.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { kernelLocks, rotateLog, servicePaths, type ServicePaths } from './service-paths.js';
import {
  buildId,
  parseLine,
  type ControlReply,
  type ControlRequest,
  type Hello,
  type Welcome,
} from './service-protocol.js';

/** No service could be reached or started; the caller serves in-process and says why. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
}

export interface Connected {
  socket: net.Socket;
  welcome: Extract<Welcome, { caelum: 'welcome' }>;
  /** Bytes that arrived after the welcome line. */
  rest: Buffer;
}

export interface StartSpec {
  /** The CLI entry and the config flags the service is started with. */
  entry: string;
  args: string[];
  startTimeoutMs?: number;
}

function connectSocket(file: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(file);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Sends one line and reads one line back; the socket stays open for what follows. */
function exchange(socket: net.Socket, message: unknown, timeoutMs: number): Promise<{ value: unknown; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`no answer from the service within ${timeoutMs} ms`)), timeoutMs);
    const finish = (error?: Error, result?: { value: unknown; rest: Buffer }) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      if (error) reject(error);
      else resolve(result!);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      const line = parseLine(buffered);
      if (line) {
        socket.pause();
        finish(undefined, line);
      }
    };
    const onClose = () => finish(new Error('the service closed the connection'));
    const onError = (error: Error) => finish(error);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.write(`${JSON.stringify(message)}\n`);
  });
}

const absent = new Set(['ENOENT', 'ECONNREFUSED']);

/** Connects and says hello. Undefined when no service listens; throws on anything else. */
export async function connectService(
  paths: ServicePaths,
  hello: Omit<Hello, 'caelum' | 'build' | 'pid'>,
): Promise<Connected | 'restarting' | undefined> {
  let socket: net.Socket;
  try {
    socket = await connectSocket(paths.socket);
  } catch (error) {
    if (absent.has((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw new ServiceUnavailableError(`cannot connect to ${paths.socket}: ${(error as Error).message}`);
  }
  try {
    const { value, rest } = await exchange(
      socket,
      { caelum: 'hello', build: buildId(), pid: process.pid, ...hello },
      10_000,
    );
    const welcome = value as Welcome;
    if (welcome?.caelum === 'restarting') {
      socket.destroy();
      return 'restarting';
    }
    if (welcome?.caelum !== 'welcome') throw new Error('the service answered something other than a welcome');
    return { socket, welcome, rest };
  } catch (error) {
    socket.destroy();
    // A service killed between connect and welcome is as good as absent: start another.
    if (/closed the connection|ECONNRESET|EPIPE/.test((error as Error).message)) return undefined;
    throw new ServiceUnavailableError(`the service at ${paths.socket} did not answer: ${(error as Error).message}`);
  }
}

/** One control request. Undefined when no service listens. */
export async function control(paths: ServicePaths, request: Omit<ControlRequest, 'caelum'>, keepOpen = false) {
  let socket: net.Socket;
  try {
    socket = await connectSocket(paths.socket);
  } catch (error) {
    if (absent.has((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  }
  const { value } = await exchange(socket, { caelum: 'control', ...request }, 15_000);
  if (!keepOpen) socket.destroy();
  return { reply: value as ControlReply, socket };
}

function takeLock(name: string): Promise<net.Server | undefined> {
  if (!kernelLocks) return Promise.resolve(net.createServer());
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error),
    );
    server.listen(name, () => resolve(server));
  });
}

function tail(file: string, lines = 5): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spawns `caelum service run`, detached, with its output appended to the service log. */
export function spawnService(paths: ServicePaths, spec: StartSpec): { exited: () => number | null | undefined } {
  let log: number;
  try {
    mkdirSync(paths.dataDir, { recursive: true });
    rotateLog(paths.log);
    log = openSync(paths.log, 'a', 0o600);
  } catch (error) {
    throw new ServiceUnavailableError(`cannot write ${paths.log}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let code: number | null | undefined;
  try {
    const child = spawn(process.execPath, [spec.entry, 'service', 'run', ...spec.args], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.once('exit', (exitCode) => (code = exitCode));
    child.once('error', () => (code = -1));
    child.unref();
  } finally {
    closeSync(log);
  }
  return { exited: () => code };
}

/**
 * Connects to the data dir's service, starting one when none answers. Throws
 * ServiceUnavailableError with the reason when that cannot be done.
 */
export async function connectOrStart(
  dataDir: string,
  hello: Omit<Hello, 'caelum' | 'build' | 'pid'>,
  spec: StartSpec,
): Promise<Connected> {
  const paths = servicePaths(dataDir);
  const deadline = Date.now() + (spec.startTimeoutMs ?? 20_000);
  let lock: net.Server | undefined;
  let started: ReturnType<typeof spawnService> | undefined;
  try {
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const connected = await connectService(paths, hello);
      if (connected && connected !== 'restarting') return connected;
      if (connected === 'restarting') {
        await delay(50);
        continue;
      }
      const exit = started?.exited();
      if (started && exit !== undefined) {
        // It exits 0 when another service won the data dir; then that one will answer.
        if (exit !== 0) {
          const last = tail(paths.log);
          throw new ServiceUnavailableError(
            `the service exited with code ${exit} at start${last ? `; its log (${paths.log}) ends:\n${last}` : ''}`,
          );
        }
        started = undefined;
        // The winner may still be closing an old service that holds the data dir: do not respawn at once.
        await delay(250);
      }
      if (!started) {
        lock ??= await takeLock(paths.startLock);
        if (lock) started = spawnService(paths, spec);
      }
      await delay(attempt < 20 ? 10 : 50);
    }
  } finally {
    lock?.close();
  }
  throw new ServiceUnavailableError(
    `no service answered on ${paths.socket} within ${spec.startTimeoutMs ?? 20_000} ms; see ${paths.log}`,
  );
}
