// Loopback services for the remediation tests: an HTTP service whose health can be made to fail and
// whose restart endpoint brings it back (every request logged), a real child-process service that a
// real allow-listed command restarts, and small scripts the command steps run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

type After = { after(fn: () => Promise<void> | void): void };

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface LoopbackService {
  base: string;
  requests: SeenRequest[];
  healthy: boolean;
  /** Restarts received on POST /restart. */
  restarts: number;
  /** When set, POST /restart does not bring it back. */
  restartBroken: boolean;
  /** GET /slow waits until this is called. */
  releaseSlow(): void;
  /** Resolves when a GET /slow has arrived. */
  slowArrived: Promise<void>;
}

export async function loopbackService(t: After): Promise<LoopbackService> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrived!: () => void;
  const slowArrived = new Promise<void>((resolve) => (arrived = resolve));
  const service: LoopbackService = {
    base: '',
    requests: [],
    healthy: true,
    restarts: 0,
    restartBroken: false,
    releaseSlow: () => release(),
    slowArrived,
  };
  const server = http.createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const url = new URL(request.url ?? '/', 'http://x');
    service.requests.push({
      method: request.method ?? '',
      path: url.pathname + url.search,
      headers: request.headers,
      body,
    });
    if (url.pathname === '/health') {
      response.writeHead(service.healthy ? 200 : 503, { 'content-type': 'text/plain' });
      response.end(service.healthy ? 'status=green' : 'status=red');
    } else if (url.pathname === '/restart' && request.method === 'POST') {
      service.restarts += 1;
      if (!service.restartBroken) service.healthy = true;
      response.writeHead(202).end('restarting');
    } else if (url.pathname === '/slow') {
      arrived();
      await released;
      response.writeHead(200).end('slow done');
    } else if (url.pathname === '/fail') {
      response.writeHead(500).end('internal error');
    } else if (url.pathname === '/redirect') {
      response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    } else {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, path: url.pathname }));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  service.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(async () => {
    release();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return service;
}

export async function scratch(t: After): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-remediation-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A node script that writes its fixed arguments to a file: proof that a command step ran (and with what). */
export async function touchScript(dir: string): Promise<{ script: string; marker: string }> {
  const script = path.join(dir, 'touch.mjs');
  const marker = path.join(dir, 'touched.txt');
  await writeFile(
    script,
    "import { appendFileSync } from 'node:fs';\nappendFileSync(process.argv[2], process.argv.slice(3).join(' ') + '\\n');\nconsole.log('touched', process.argv[2]);\n",
  );
  return { script, marker };
}

/**
 * A real service process: a node HTTP server on a fixed port answering /health with "alive <pid>",
 * and the restart program an operator would allow-list: it stops the pid in the pid file (if alive)
 * and starts a fresh server, detached, then exits.
 */
export async function processService(t: After) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-remediation-service-'));
  const port = await freePort();
  const serverScript = path.join(dir, 'service.mjs');
  const restartScript = path.join(dir, 'restart.mjs');
  const pidFile = path.join(dir, 'service.pid');
  await writeFile(
    serverScript,
    [
      "import http from 'node:http';",
      "import { writeFileSync } from 'node:fs';",
      'const [port, pidFile] = process.argv.slice(2);',
      "http.createServer((q, r) => r.end('alive ' + process.pid)).listen(Number(port), '127.0.0.1', () => writeFileSync(pidFile, String(process.pid)));",
    ].join('\n'),
  );
  await writeFile(
    restartScript,
    [
      "import { spawn } from 'node:child_process';",
      "import { readFileSync } from 'node:fs';",
      'const [serverScript, port, pidFile] = process.argv.slice(2);',
      "try { process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM'); } catch {}",
      'await new Promise((r) => setTimeout(r, 100));',
      "const child = spawn(process.execPath, [serverScript, port, pidFile], { detached: true, stdio: 'ignore' });",
      'child.unref();',
      "console.log('restarted service');",
    ].join('\n'),
  );
  const start = () => {
    const child = spawn(process.execPath, [serverScript, String(port), pidFile], { detached: true, stdio: 'ignore' });
    child.unref();
  };
  const pid = async () => Number(await readFile(pidFile, 'utf8').catch(() => '0'));
  const stop = async () => {
    const current = await pid();
    if (current) {
      try {
        process.kill(current, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  // One hook, in order: the service goes before the directory holding its pid file does.
  t.after(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    port,
    healthUrl: `http://127.0.0.1:${port}/health`,
    serverScript,
    restartScript,
    pidFile,
    start,
    stop,
    pid,
  };
}

export async function freePort(): Promise<number> {
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function fileExists(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    () => false,
  );
}
