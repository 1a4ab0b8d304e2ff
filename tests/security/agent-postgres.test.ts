// An agent's connection string gets nothing from Caelum's environment. Left to itself, pg fills an
// empty password, user, host or database from PGPASSWORD, PGUSER, PGHOST, PGDATABASE (and
// ~/.pgpass), so `postgres://agent@evil:5432/db` would send the operator's password to a host the
// agent chose. A loopback server speaking the PostgreSQL wire protocol asks for a cleartext password
// and records what it is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { testSuite } from '../helpers.js';

const canary = 'operator-pg-password-5e1f0c';

/** A server that answers every startup with AuthenticationCleartextPassword and records the reply. */
async function passwordRecorder(t: { after(fn: () => Promise<void>): void }) {
  const seen: { startup: Record<string, string>; password?: string }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let buffer = Buffer.alloc(0);
    let started = false;
    const entry: (typeof seen)[number] = { startup: {} };
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!started && buffer.length >= 8 && buffer.length >= buffer.readInt32BE(0)) {
        const length = buffer.readInt32BE(0);
        const fields = buffer
          .subarray(8, length - 1)
          .toString('utf8')
          .split('\0');
        for (let i = 0; i + 1 < fields.length; i += 2) entry.startup[fields[i]!] = fields[i + 1]!;
        buffer = buffer.subarray(length);
        started = true;
        seen.push(entry);
        const ask = Buffer.alloc(9);
        ask.write('R', 0);
        ask.writeInt32BE(8, 1);
        ask.writeInt32BE(3, 5); // AuthenticationCleartextPassword
        socket.write(ask);
      }
      if (started && buffer.length >= 5 && buffer[0] === 0x70 && buffer.length >= 1 + buffer.readInt32BE(1)) {
        entry.password = buffer.subarray(5, buffer.readInt32BE(1)).toString('utf8');
        const message = Buffer.from('SFATAL\0C28P01\0Mpassword authentication failed\0\0');
        const error = Buffer.alloc(5);
        error.write('E', 0);
        error.writeInt32BE(4 + message.length, 1);
        socket.end(Buffer.concat([error, message]));
      }
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as { port: number }).port, seen };
}

test("an agent's connection string never gets PGPASSWORD, PGUSER or ~/.pgpass", async (t) => {
  const recorder = await passwordRecorder(t);
  const saved = { PGPASSWORD: process.env.PGPASSWORD, PGUSER: process.env.PGUSER };
  process.env.PGPASSWORD = canary;
  process.env.PGUSER = 'operator-user';
  t.after(() => {
    for (const [key, value] of Object.entries(saved))
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
  });
  const suite = await testSuite(t);
  t.after(() => suite.close());
  const context = suite.dispatcher.context({});
  const run = (connectionString: string) =>
    suite.dispatcher.router.invoke(
      'knowledge_base_import_postgres',
      { table: 'concepts', idColumn: 'id', vectorColumn: 'vec', connectionString },
      context,
      { confirm: true },
    );
  const outcome = await run(`postgres://agent@127.0.0.1:${recorder.port}/db`);
  assert.equal(outcome.ok, false);
  // The agent's server refused it: an input error naming the field, not Caelum's fault.
  assert.match(outcome.ok ? '' : outcome.error.message, /^connectionString: cannot connect to PostgreSQL/);
  assert.equal(recorder.seen.length, 1, 'the import connected once');
  assert.equal(recorder.seen[0]!.startup.user, 'agent');
  assert.equal(recorder.seen[0]!.password, '', 'an empty password is sent as empty, not as PGPASSWORD');
  assert.ok(!JSON.stringify(outcome).includes(canary));
  // A password the agent wrote itself is the one sent.
  await run(`postgres://agent:own-secret@127.0.0.1:${recorder.port}/db`);
  assert.equal(recorder.seen[1]!.password, 'own-secret');
  // No user or no host: refused before connecting, naming the field.
  for (const bad of [`postgres://127.0.0.1:${recorder.port}/db`, 'postgres:///db']) {
    const refused = await run(bad);
    assert.ok(!refused.ok && /connectionString: names no (user|host)/.test(refused.error.message), bad);
  }
  assert.equal(recorder.seen.length, 2);
});
