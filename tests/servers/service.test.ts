// One Caelum per data dir: `caelum serve` front-ends share one detached service over its socket.
// Real processes throughout: the built CLI as front-end and service, the SDK's stdio client, the
// loopback Ollama peer counting requests in flight, and kill -9.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { textOf } from '../helpers.js';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { alive, cli, gone, place, serviceStatus, session as open, type Place } from './service-fixture.js';

type After = { after(fn: () => Promise<void> | void): void };
const session = async (t: After, where: Place): Promise<Client> => (await open(t, where)).client;

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });
  return result as { isError?: boolean; structuredContent?: Record<string, unknown> };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('eight concurrent stdio sessions share one service: each writes facts and reads every other back', async (t) => {
  const where = await place(t);
  const clients = await Promise.all(range(8).map(() => session(t, where)));
  const written = await Promise.all(
    clients.map((client, i) =>
      call(client, 'rememberFacts', {
        entities: [{ name: `session-${i}`, entityType: 'tester', observations: [`session ${i} was here`] }],
      }),
    ),
  );
  for (const result of written) assert.equal(result.isError, undefined, textOf(result));
  const names = range(8).map((i) => `session-${i}`);
  await Promise.all(
    clients.map(async (client, i) => {
      const result = await call(client, 'recallFacts', { names: names.filter((_, j) => j !== i) });
      assert.equal(result.isError, undefined, textOf(result));
      const entities = (result.structuredContent!.entities as { name: string; observations: string[] }[]).map(
        (e) => `${e.name}: ${e.observations.join()}`,
      );
      assert.deepEqual(
        entities.sort(),
        range(8)
          .filter((j) => j !== i)
          .map((j) => `session-${j}: session ${j} was here`)
          .sort(),
      );
    }),
  );
  const status = serviceStatus(where);
  assert.equal(status.running, true);
  assert.equal(status.sessions, 8);
  const reported = await call(clients[0]!, 'getSystemStatus', { timeoutMs: 500 });
  const runtime = reported.structuredContent!.runtime as { mode: string; detail: string };
  assert.equal(runtime.mode, 'service');
  assert.match(runtime.detail, new RegExp(`pid ${status.pid}, 8 session`));
});

test('a host with maxConcurrent 2 driven from four sessions never sees more than 2 requests in flight', async (t) => {
  const peer = new OllamaPeer({ latencyMs: 150, resident: ['qwen3:4b'] });
  await peer.start();
  t.after(() => peer.stop());
  const where = await place(t, { CAELUM_OLLAMA_HOSTS: `gpu=${peer.url}` });
  const clients = await Promise.all(range(4).map(() => session(t, where)));
  const probed = await call(clients[0]!, 'getPoolStatus', { probe: true });
  assert.match(textOf(probed), /gpu/);
  const results = await Promise.all(
    clients.flatMap((client, i) =>
      range(3).map((j) =>
        call(client, 'runTool', {
          name: 'infrastructure_run_completion',
          arguments: { prompt: `question ${i}-${j} about the pool`, tier: 'small', threshold: 0 },
        }),
      ),
    ),
  );
  for (const result of results) assert.equal(result.isError, undefined, textOf(result));
  const generations = peer.requests.filter((r) => r.path === '/api/chat' || r.path === '/api/generate');
  // The twelve calls, plus the generation the deep probe makes.
  assert.ok(generations.length >= 12, `${generations.length} generations reached the host`);
  assert.equal(peer.maxInFlight, 2, `the host saw ${peer.maxInFlight} requests at once`);
});

test('kill -9 of the service mid-traffic: front-ends bring up a new one, no acknowledged write is lost, nothing is left behind', async (t) => {
  const where = await place(t);
  const clients = await Promise.all(range(3).map(() => session(t, where)));
  const first = serviceStatus(where);
  assert.equal(first.running, true);
  const acknowledged: string[] = [];
  let failedDuringKill = 0;
  let killed = false;
  const writer = async (client: Client, i: number) => {
    for (let n = 0; n < 25; n++) {
      const name = `w${i}-${n}`;
      const result = await call(client, 'rememberFacts', {
        entities: [{ name, entityType: 'write', observations: [`write ${n} of session ${i}`] }],
      }).catch((error: Error) => ({ isError: true, error }));
      if (result.isError) {
        assert.ok(killed, `a write failed before the kill: ${JSON.stringify(result)}`);
        failedDuringKill++;
        assert.ok(failedDuringKill <= 9, `too many failures after the kill: ${JSON.stringify(result)}`);
        n--;
        continue;
      }
      acknowledged.push(name);
      if (i === 0 && n === 8 && !killed) {
        killed = true;
        process.kill(first.pid!, 'SIGKILL');
      }
    }
  };
  await Promise.all(clients.map((client, i) => writer(client, i)));
  assert.ok(killed);
  assert.equal(alive(first.pid!), false, 'the killed service is gone');
  const second = serviceStatus(where);
  assert.equal(second.running, true);
  assert.notEqual(second.pid, first.pid);
  assert.equal(second.sessions, 3, 'all three front-ends reconnected to the new service');
  assert.equal(acknowledged.length, 75);
  const recalled = await call(clients[1]!, 'recallFacts', { names: acknowledged.slice(0, 100), k: 100 });
  const found = new Set((recalled.structuredContent!.entities as { name: string }[]).map((e) => e.name));
  assert.deepEqual(
    acknowledged.filter((name) => !found.has(name)),
    [],
    'every acknowledged write is there',
  );
  t.diagnostic(`${failedDuringKill} calls failed while the service was down and were retried`);
  for (const client of clients) await client.close();
  cli(where, ['service', 'stop']);
  await gone(second.pid!);
  assert.equal(alive(second.pid!), false, 'no service process is left behind');
});

test('a start race: ten front-ends started at once give one service', async (t) => {
  const where = await place(t);
  const clients = await Promise.all(range(10).map(() => session(t, where)));
  const pids = new Set<string>();
  for (const client of clients) {
    const result = await call(client, 'getSystemStatus', { timeoutMs: 300 });
    pids.add(/pid (\d+)/.exec((result.structuredContent!.runtime as { detail: string }).detail)![1]!);
  }
  assert.equal(pids.size, 1, `sessions were served by ${[...pids].join(', ')}`);
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout;
  const services = ps.split('\n').filter((line) => line.includes('service run') && line.includes(where.dataDir));
  assert.equal(services.length, 1, services.join('\n'));
});

test('the socket is private to its user, and a stopped service removes it', async (t) => {
  const where = await place(t);
  const client = await session(t, where);
  await client.listTools();
  const socket = path.join(where.dataDir, 'caelum.sock');
  assert.equal(statSync(socket).mode & 0o777, 0o600);
  await client.close();
  const stop = cli(where, ['service', 'stop']);
  assert.equal(stop.status, 0, stop.stderr);
  assert.throws(() => statSync(socket), /ENOENT/);
  assert.equal(serviceStatus(where).running, false);
});

test('where no service can start, the front-end serves in-process and says so in status and results', async (t) => {
  const where = await place(t);
  // A directory where the socket should be: the service cannot bind and exits with the reason.
  await mkdir(path.join(where.dataDir, 'caelum.sock'), { recursive: true });
  const client = await session(t, where);
  const result = await call(client, 'getSystemStatus', { timeoutMs: 300 });
  const runtime = result.structuredContent!.runtime as { mode: string; detail: string };
  assert.equal(runtime.mode, 'in-process');
  assert.match(runtime.detail, /no shared service: the service exited with code 1 at start/);
  assert.match(textOf(result), /Note: served in-process, not by the shared Caelum service/);
  assert.doesNotMatch(textOf(result), /\n\s+at /, 'no stack trace');
  const listed = await client.listTools();
  assert.ok(listed.tools.length > 0);
});
