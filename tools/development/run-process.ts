// Runs a program (never through a shell) with a deadline, an output cap and cancellation. The child
// gets its own process group, so a timeout or a cancel kills everything it started (a test runner's
// workers included), not just the direct child. stdin is closed; stdout/stderr are captured, never
// passed through (our stdout is the MCP wire).
import { spawn } from 'node:child_process';

export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  truncated: boolean;
  durationMs: number;
  /** Set when the program could not start at all (ENOENT and the like). */
  spawnError?: string;
}

export interface RunOptions {
  cwd: string;
  timeoutMs: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  maxOutputBytes?: number;
}

export function runProcess(command: string, args: readonly string[], options: RunOptions): Promise<ProcessResult> {
  const started = performance.now();
  const cap = options.maxOutputBytes ?? 8 * 1024 * 1024;
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      shell: false,
    });
    const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    let bytes = 0;
    let truncated = false;
    let timedOut = false;
    let cancelled = false;
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (bytes >= cap) {
        truncated = true;
        return;
      }
      bytes += chunk.length;
      chunks[stream].push(chunk);
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const onAbort = () => {
      cancelled = true;
      killGroup();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (exitCode: number | null, signal: string | null, spawnError?: string) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(chunks.stdout).toString('utf8'),
        stderr: Buffer.concat(chunks.stderr).toString('utf8'),
        timedOut,
        cancelled,
        truncated,
        durationMs: Math.round(performance.now() - started),
        ...(spawnError ? { spawnError } : {}),
      });
    };
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(null, null, `${command}: ${error.code ?? error.message}`),
    );
    child.on('close', (code, signal) => finish(code, signal));
  });
}
