// The /proc tools on this real machine: a child that listens is listed with its pid, a busy child
// tops the CPU list with its memory, and disk space agrees with df.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { testSuite } from '../helpers.js';

const linux = process.platform === 'linux';

/** A node child running `code`; resolves with its first stdout line once it prints one. */
async function child(t: { after(fn: () => void): void }, code: string, ...args: string[]) {
  const proc: ChildProcess = spawn(process.execPath, ['-e', code, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    proc.kill('SIGKILL');
  });
  const [chunk] = (await once(proc.stdout!, 'data')) as [Buffer];
  return { proc, line: chunk.toString().trim() };
}

async function invoke(suite: Awaited<ReturnType<typeof testSuite>>, name: string, args: Record<string, unknown>) {
  const outcome = await suite.dispatcher.router.invoke(name, args, suite.dispatcher.context({}), {});
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  return outcome;
}

type Sockets = {
  sockets: {
    protocol: string;
    address: string;
    port: number;
    state: string;
    processes: { pid: number; name: string }[];
  }[];
};

test(
  'list_listening_ports lists a child that listens on TCP (IPv4 and IPv6) and UDP, with its pid',
  { skip: !linux },
  async (t) => {
    const { proc, line } = await child(
      t,
      `const net = require('net'), dgram = require('dgram');
     const a = net.createServer().listen(0, '127.0.0.1', () => {
       const b = net.createServer().listen(0, '::1', () => {
         const u = dgram.createSocket('udp4'); u.bind(0, '127.0.0.1', () => {
           console.log([a.address().port, b.address().port, u.address().port].join(' '));
         });
       }).on('error', () => console.log(a.address().port + ' 0 0'));
     });`,
    );
    const [tcp4, tcp6, udp4] = line.split(' ').map(Number) as [number, number, number];
    const suite = await testSuite(t);
    const outcome = await invoke(suite, 'infrastructure_list_listening_ports', { port: tcp4 });
    const { sockets } = outcome.output as Sockets;
    assert.equal((outcome.output as { ownersComplete: boolean }).ownersComplete, true);
    assert.equal(sockets.length, 1);
    assert.deepEqual(
      [sockets[0]!.protocol, sockets[0]!.address, sockets[0]!.state, sockets[0]!.processes],
      ['tcp', '127.0.0.1', 'LISTEN', [{ pid: proc.pid, name: 'node' }]],
    );
    assert.match(outcome.text, new RegExp(`127\\.0\\.0\\.1:${tcp4} node \\(${proc.pid}\\)`));
    if (tcp6) {
      const six = (await invoke(suite, 'infrastructure_list_listening_ports', { port: tcp6, protocol: 'tcp' }))
        .output as Sockets;
      assert.deepEqual(
        six.sockets.map((s) => [s.protocol, s.address, s.processes[0]?.pid]),
        [['tcp6', '::1', proc.pid]],
      );
    }
    if (udp4) {
      const udp = (await invoke(suite, 'infrastructure_list_listening_ports', { port: udp4, protocol: 'udp' }))
        .output as Sockets;
      assert.deepEqual(
        udp.sockets.map((s) => [s.protocol, s.address, s.state, s.processes[0]?.pid]),
        [['udp', '127.0.0.1', 'UNCONN', proc.pid]],
      );
      const tcpOnly = (await invoke(suite, 'infrastructure_list_listening_ports', { port: udp4, protocol: 'tcp' }))
        .output as Sockets;
      assert.deepEqual(tcpOnly.sockets, []);
    }
    // Once the child is gone its port is no longer listed.
    proc.kill('SIGKILL');
    await once(proc, 'exit');
    const after = (await invoke(suite, 'infrastructure_list_listening_ports', { port: tcp4 })).output as Sockets;
    assert.deepEqual(after.sockets, []);
  },
);

test(
  'list_processes puts a busy child first by CPU, reports its memory and hides a secret argument',
  { skip: !linux },
  async (t) => {
    const marker = `caelum-busy-${process.pid}`;
    const { proc } = await child(
      t,
      `globalThis.keep = Buffer.alloc(150 * 1024 * 1024, 1); console.log('ready'); for (;;) {}`,
      marker,
      '--api-token=hunter2-very-secret',
    );
    // An idle sibling with the same marker: on a busy shared machine the spinner may get little CPU,
    // but always more than a process that sleeps.
    const idle = await child(t, `console.log('ready'); setInterval(() => {}, 60_000);`, `${marker}-idle`);
    const suite = await testSuite(t);
    const outcome = await invoke(suite, 'infrastructure_list_processes', { match: marker, sampleMs: 1000 });
    const { processes, matched } = outcome.output as {
      processes: { pid: number; name: string; command: string; cpuPercent: number; rssMiB: number; state: string }[];
      matched: number;
    };
    assert.equal(matched, 2);
    const busy = processes[0]!;
    assert.equal(processes[1]!.pid, idle.proc.pid);
    assert.ok(processes[1]!.cpuPercent < busy.cpuPercent);
    assert.ok(processes[1]!.rssMiB < busy.rssMiB);
    assert.equal(busy.pid, proc.pid);
    assert.equal(busy.name, 'node');
    assert.ok(busy.cpuPercent > 5, `a spinning process used ${busy.cpuPercent}% CPU`);
    assert.ok(busy.rssMiB > 140, `RSS ${busy.rssMiB} MiB`);
    assert.match(busy.command, new RegExp(`${marker} --api-token=\\*\\*\\*`));
    assert.doesNotMatch(outcome.text, /hunter2/);

    const byMemory = (
      await invoke(suite, 'infrastructure_list_processes', { sortBy: 'memory', limit: 100, sampleMs: 50 })
    ).output as { processes: { pid: number; rssMiB: number }[]; scanned: number };
    assert.ok(byMemory.scanned > 1);
    const sizes = byMemory.processes.map((p) => p.rssMiB);
    assert.deepEqual(
      sizes,
      [...sizes].sort((a, b) => b - a),
      'largest first',
    );
    assert.ok(byMemory.processes.some((p) => p.pid === proc.pid));
  },
);

type Disk = {
  filesystems: {
    paths: string[];
    mountPoint: string;
    type: string;
    availableGiB: number;
    usedShare: number;
    warning?: string;
  }[];
  warnings: number;
};

test(
  'check_disk_space reports the data dir and roots as df does, and warns past the thresholds',
  { skip: !linux },
  async (t) => {
    const suite = await testSuite(t);
    const outcome = await invoke(suite, 'infrastructure_check_disk_space', {});
    const disk = outcome.output as Disk;
    const holding = disk.filesystems.find((f) => f.paths.includes(suite.dataDir))!;
    assert.ok(holding, 'the data dir is reported');
    assert.ok(
      disk.filesystems.some((f) => f.paths.includes(suite.project)),
      'the allowed root is reported',
    );
    const [header, row] = execFileSync('df', ['-B1', '--output=target,avail,pcent', suite.project], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    assert.ok(header);
    const [target, avail, percent] = row!.trim().split(/\s+/);
    const rootFs = disk.filesystems.find((f) => f.paths.includes(suite.project))!;
    assert.equal(rootFs.mountPoint, target);
    assert.ok(
      Math.abs(rootFs.availableGiB - Number(avail) / 1024 ** 3) < 0.5,
      `${rootFs.availableGiB} GiB vs df ${avail}`,
    );
    assert.ok(Math.abs(rootFs.usedShare * 100 - Number.parseInt(percent!, 10)) <= 1.5);

    const strict = (
      await invoke(suite, 'infrastructure_check_disk_space', { paths: ['.'], warnAtShare: 0.5, minFreeGiB: 100_000 })
    ).output as Disk;
    assert.equal(strict.filesystems.length, 1);
    assert.equal(strict.warnings, 1);
    assert.match(strict.filesystems[0]!.warning!, /GiB available \(floor 100000 GiB\)/);

    const outside = await suite.dispatcher.router.invoke(
      'infrastructure_check_disk_space',
      { paths: ['/etc'] },
      suite.dispatcher.context({}),
      {},
    );
    assert.equal(outside.ok, false);
    assert.match(outside.ok ? '' : outside.error.message, /^paths\.0: \/etc is outside the allowed roots/);
  },
);
