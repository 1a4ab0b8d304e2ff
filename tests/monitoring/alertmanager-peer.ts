// Starts the real Debian Alertmanager (/usr/bin/prometheus-alertmanager, 0.25) for a test: a free
// loopback port, a temp --storage.path, the given config, clustering off (an empty
// --cluster.listen-address), and waits until /-/ready answers 200. The process is killed and its
// directory removed in t.after. Usage:
//   const am = await startAlertmanager(t, 'route:\n  receiver: x\nreceivers:\n  - name: x\n');
//   await fetch(`${am.url}/api/v2/alerts`);
// Skips (t.skip) when the binary is missing, unless CAELUM_REQUIRE_ALERTMANAGER=1 makes that a failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './prometheus-peer.js';

export const alertmanagerBinary = '/usr/bin/prometheus-alertmanager';

export interface AlertmanagerPeer {
  /** http://127.0.0.1:PORT, no trailing slash. */
  url: string;
  port: number;
  process: ChildProcess;
  /** stderr so far, for assertion messages. */
  log: () => string;
}

interface TestLike {
  after(fn: () => Promise<void> | void): void;
  skip(message?: string): void;
}

/** undefined when the binary is not installed and the test was skipped. */
export async function startAlertmanager(t: TestLike, configYaml: string): Promise<AlertmanagerPeer | undefined> {
  if (!existsSync(alertmanagerBinary)) {
    const reason = `${alertmanagerBinary} is not installed (apt-get install prometheus-alertmanager)`;
    if (process.env.CAELUM_REQUIRE_ALERTMANAGER === '1') throw new Error(reason);
    t.skip(reason);
    return undefined;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-am-'));
  const config = path.join(dir, 'alertmanager.yml');
  await writeFile(config, configYaml);
  // A port can be taken between probing and binding on a busy machine: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    let stderr = '';
    const child = spawn(
      alertmanagerBinary,
      [
        `--config.file=${config}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    let ready = false;
    let gone = false;
    void exited.then(() => (gone = true));
    while (!ready && !gone && Date.now() < deadline) {
      ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })
        .then((r) => r.ok)
        .catch(() => false);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (ready) {
      t.after(async () => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
        await rm(dir, { recursive: true, force: true });
      });
      return { url, port, process: child, log: () => stderr };
    }
    child.kill('SIGKILL');
    await exited;
    if (!/address already in use/.test(stderr)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`alertmanager did not become ready on ${url}: ${stderr.slice(-2000)}`);
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error('alertmanager: no free port after 3 attempts');
}
