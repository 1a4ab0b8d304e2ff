// Reads this machine's kernel views for the infrastructure tools: processes (/proc/<pid>/stat and
// status), sockets (/proc/net/*, /proc/<pid>/fd) and mounts (/proc/mounts, statfs). Nothing here
// reads project content; every scan has a ceiling on the entries it visits.
import { readdir, readFile, readlink, realpath, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Most /proc/<pid> entries one scan visits. */
export const maxProcesses = 8192;
/** Most descriptors read per process when looking for socket owners. */
const maxDescriptorsPerProcess = 4096;

export interface ProcessSample {
  pid: number;
  ppid: number;
  name: string;
  state: string;
  uid: number;
  threads: number;
  rssBytes: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

/** The pids under /proc, at most maxProcesses of them; `truncated` says when there were more. */
export async function listPids(): Promise<{ pids: number[]; truncated: boolean }> {
  const all = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  return { pids: all.slice(0, maxProcesses), truncated: all.length > maxProcesses };
}

/** One process from /proc/<pid>/stat and status; undefined when it is gone or unreadable. */
export async function readProcess(pid: number): Promise<ProcessSample | undefined> {
  try {
    const [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    // The name sits in parentheses and may itself hold spaces or ")"; the fields follow the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const field = (key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
    return {
      pid,
      ppid: Number(fields[1]),
      name: field('Name'),
      state: fields[0] ?? '?',
      uid: Number(field('Uid').split(/\s+/)[0] ?? -1),
      threads: Number(field('Threads')) || 0,
      rssBytes: (Number.parseInt(field('VmRSS'), 10) || 0) * 1024,
      cpuTicks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return undefined;
  }
}

/** The command line, NUL-separated in /proc; empty for kernel threads or when unreadable. */
export async function readCommandLine(pid: number, maxBytes: number): Promise<string[]> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`);
    return raw.subarray(0, maxBytes).toString('utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Total CPU time of the machine in ticks (the first line of /proc/stat) and the number of CPUs. */
export async function readCpuTotals(): Promise<{ ticks: number; cpus: number }> {
  const text = await readFile('/proc/stat', 'utf8');
  const first = text.slice(0, text.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  // guest and guest_nice are already counted in user and nice.
  const ticks = first.slice(0, 8).reduce((sum, n) => sum + (Number.isFinite(n) ? n : 0), 0);
  const cpus = (text.match(/^cpu\d+ /gm) ?? []).length || 1;
  return { ticks, cpus };
}

export interface SocketEntry {
  protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  address: string;
  port: number;
  state: string;
  uid: number;
  inode: number;
}

function ipv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

/** /proc/net/tcp6 writes an IPv6 address as four 32-bit words, each in host (little-endian) order. */
function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) {
    const chunk = hex.slice(word * 8, word * 8 + 8);
    for (let i = 3; i >= 0; i--) bytes.push(Number.parseInt(chunk.slice(i * 2, i * 2 + 2), 16));
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255)
    return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The URL parser writes IPv6 in its canonical short form (RFC 5952), as inet_ntop does.
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

const tcpStates: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** The sockets of one /proc/net table; a table the kernel does not have (no IPv6) is empty. */
export async function readSocketTable(protocol: SocketEntry['protocol']): Promise<SocketEntry[]> {
  let text: string;
  try {
    text = await readFile(`/proc/net/${protocol}`, 'utf8');
  } catch {
    return [];
  }
  const six = protocol.endsWith('6');
  const rows: SocketEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 10) continue;
    const [localHex, localPort] = parts[1]!.split(':');
    const remotePort = parts[2]!.split(':')[1];
    const state = parts[3]!;
    // TCP listens in LISTEN; UDP has no listen state: an unconnected socket (CLOSE, no peer) receives.
    const listening = protocol.startsWith('tcp') ? state === '0A' : state === '07' && remotePort === '0000';
    if (!listening) continue;
    rows.push({
      protocol,
      address: six ? ipv6(localHex!) : ipv4(localHex!),
      port: Number.parseInt(localPort!, 16),
      state: protocol.startsWith('tcp') ? (tcpStates[state] ?? state) : 'UNCONN',
      uid: Number(parts[7]),
      inode: Number(parts[9]),
    });
  }
  return rows;
}

/**
 * Which process holds each socket inode, from the /proc/<pid>/fd links ("socket:[inode]"). Only
 * processes this user may inspect are seen; `unreadable` counts the others.
 */
export async function socketOwners(
  inodes: ReadonlySet<number>,
  signal: AbortSignal,
  deadlineMs: number,
): Promise<{ owners: Map<number, number[]>; unreadable: number; truncated: boolean }> {
  const owners = new Map<number, number[]>();
  let unreadable = 0;
  const listed = await listPids();
  let truncated = listed.truncated;
  const stopAt = performance.now() + deadlineMs;
  for (const pid of listed.pids) {
    signal.throwIfAborted();
    // A machine with many processes and descriptors could take long; what was found so far is kept.
    if (performance.now() > stopAt) {
      truncated = true;
      break;
    }
    let descriptors: string[];
    try {
      descriptors = (await readdir(`/proc/${pid}/fd`)).slice(0, maxDescriptorsPerProcess);
    } catch {
      unreadable++;
      continue;
    }
    for (const fd of descriptors) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (!match || !inodes.has(Number(match[1]))) continue;
      const list = owners.get(Number(match[1])) ?? [];
      if (!list.includes(pid)) list.push(pid);
      owners.set(Number(match[1]), list);
    }
  }
  return { owners, unreadable, truncated };
}

export interface Mount {
  device: string;
  mountPoint: string;
  type: string;
}

/** /proc/mounts, with the octal escapes (\040 for a space) decoded. */
export async function readMounts(): Promise<Mount[]> {
  const text = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const decode = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return text
    .split('\n')
    .map((line) => line.split(' '))
    .filter((parts) => parts.length >= 3)
    .map(([device, mountPoint, type]) => ({ device: decode(device!), mountPoint: decode(mountPoint!), type: type! }));
}

export interface SpaceReport {
  path: string;
  resolved: string;
  totalBytes: number;
  freeBytes: number;
  availableBytes: number;
  inodes: number;
  freeInodes: number;
}

/** statfs of a path (Caelum's data dir or an allowed root, resolved by the caller). */
export async function spaceOf(path: string): Promise<SpaceReport> {
  const resolved = await nearestExisting(path);
  const fs = await statfs(resolved);
  return {
    path,
    resolved,
    totalBytes: fs.blocks * fs.bsize,
    freeBytes: fs.bfree * fs.bsize,
    availableBytes: fs.bavail * fs.bsize,
    inodes: fs.files,
    freeInodes: fs.ffree,
  };
}

/** A directory not created yet (a fresh data dir) will live on its nearest existing ancestor's file system. */
async function nearestExisting(path: string): Promise<string> {
  let current = path;
  for (;;) {
    try {
      return await realpath(current);
    } catch (error) {
      const parent = dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}
