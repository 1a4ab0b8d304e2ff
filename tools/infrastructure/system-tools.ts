// Internal tools over this machine's kernel views: the busiest processes, the listening sockets and
// their owners, and the free space of the file systems Caelum and its projects live on.
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { redactText } from '../redact.js';
import { resolveInsideRoots } from '../roots.js';
import {
  listPids,
  readCommandLine,
  readCpuTotals,
  readMounts,
  readProcess,
  readSocketTable,
  socketOwners,
  spaceOf,
  type ProcessSample,
  type SocketEntry,
} from './system-probe.js';

/** The most time spent reading descriptor tables to find socket owners. */
const ownerSearchMs = 5_000;

const mib = (bytes: number) => Number((bytes / 1024 ** 2).toFixed(1));
const gib = (bytes: number) => Number((bytes / 1024 ** 3).toFixed(2));

/** Reads many small /proc files a batch at a time, so a busy machine does not exhaust descriptors. */
async function sampleAll(pids: readonly number[]): Promise<Map<number, ProcessSample>> {
  const samples = new Map<number, ProcessSample>();
  for (let i = 0; i < pids.length; i += 64) {
    const batch = await Promise.all(pids.slice(i, i + 64).map((pid) => readProcess(pid)));
    for (const sample of batch) if (sample) samples.set(sample.pid, sample);
  }
  return samples;
}

const secretFlag = /^--?[\w.-]*(pass|secret|token|key|auth|credential)[\w.-]*$/i;

/** argv with the values of secret-looking flags and known secret shapes replaced by ***. */
function redactArguments(argv: readonly string[], maxChars: number): string {
  const out: string[] = [];
  for (const [i, arg] of argv.entries()) {
    const eq = arg.indexOf('=');
    if (eq > 0 && secretFlag.test(arg.slice(0, eq))) out.push(`${arg.slice(0, eq)}=***`);
    else if (i > 0 && secretFlag.test(argv[i - 1]!) && !arg.startsWith('-')) out.push('***');
    else out.push(arg);
  }
  const text = redactText(out.join(' '));
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

const processRow = z.object({
  pid: z.number().int(),
  ppid: z.number().int(),
  name: z.string(),
  command: z.string().describe('the command line, cut at 300 characters, secret-looking values as ***'),
  uid: z.number().int(),
  state: z.string().describe('R running, S sleeping, D disk wait, Z zombie, ...'),
  cpuPercent: z.number().describe('CPU over the sample window, percent of one core (can exceed 100)'),
  rssMiB: z.number().describe('resident memory'),
  memoryShare: z.number().describe("share of the machine's memory, 0..1"),
  threads: z.number().int(),
});

export const listProcesses = defineTool({
  name: 'infrastructure_list_processes',
  domain: 'infrastructure',
  tags: ['processes', 'top', 'cpu', 'memory', 'rss', 'pid', 'host'],
  requests: [
    'which processes use the most CPU',
    'top memory hogs on this host',
    'what is making the server slow',
    'find the pid of a running program',
    'list running processes sorted by memory',
  ],
  title: 'Top processes',
  description:
    'Lists this machine\'s busiest processes, like top: pid, parent, name, command line (secret-looking values hidden), user id, state, CPU percent measured over a short sample window, resident memory and its share, threads. Sort by CPU or memory, filter by name. Use it to find which program is busy or holds memory; it does not stop processes. For machine totals use infrastructure_get_host_resources. It reads Linux /proc. Example: {"sortBy": "memory", "limit": 10}',
  kind: { effect: 'readOnly' },
  input: z.object({
    sortBy: z.enum(['cpu', 'memory']).default('cpu').describe('"cpu" (default) or "memory" (resident size).'),
    limit: z.number().int().min(1).max(100).default(15).describe('Most processes returned, 1-100. Default 15.'),
    match: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Only processes whose name or command line contains this text (case-insensitive), e.g. "node".'),
    sampleMs: z
      .number()
      .int()
      .min(50)
      .max(5000)
      .default(500)
      .describe('CPU is measured over this window, 50-5000 ms. Default 500.'),
  }),
  output: z.object({
    processes: z.array(processRow),
    scanned: z.number().int().describe('processes read'),
    matched: z.number().int().describe('processes that passed the filter'),
    truncated: z.boolean().describe('true when /proc held more processes than one scan visits'),
    cpus: z.number().int(),
    sampleMs: z.number().int(),
  }),
  examples: [{ sortBy: 'memory', limit: 5, sampleMs: 100 }],
  async handler(input, context) {
    if (process.platform !== 'linux')
      throw new InputError('', `process listing reads /proc, which ${process.platform} does not have`);
    const { pids, truncated } = await listPids();
    const [cpuBefore, before] = [await readCpuTotals(), await sampleAll(pids)];
    await sleep(input.sampleMs, undefined, { signal: context.signal });
    const after = await sampleAll((await listPids()).pids);
    const cpuAfter = await readCpuTotals();
    const totalTicks = Math.max(1, cpuAfter.ticks - cpuBefore.ticks);
    const totalMemory = os.totalmem();
    const match = input.match?.toLowerCase();
    const rows = [];
    for (const sample of after.values()) {
      // A process that started in the window spent all its CPU time inside it.
      const ticks = sample.cpuTicks - (before.get(sample.pid)?.cpuTicks ?? 0);
      rows.push({ sample, cpuPercent: Number(((Math.max(0, ticks) / totalTicks) * cpuAfter.cpus * 100).toFixed(1)) });
    }
    // Command lines are read a batch at a time, like the samples, so a busy machine keeps its descriptors.
    const withCommands: ((typeof rows)[number] & { argv: string[] })[] = [];
    for (let i = 0; i < rows.length; i += 64)
      withCommands.push(
        ...(await Promise.all(
          rows.slice(i, i + 64).map(async (row) => ({ ...row, argv: await readCommandLine(row.sample.pid, 4096) })),
        )),
      );
    const matched = withCommands.filter(
      (row) =>
        // Matched against the redacted command line: a filter must not reveal a hidden value by probing.
        !match ||
        row.sample.name.toLowerCase().includes(match) ||
        redactArguments(row.argv, 4096).toLowerCase().includes(match),
    );
    matched.sort((a, b) =>
      input.sortBy === 'memory'
        ? b.sample.rssBytes - a.sample.rssBytes || b.cpuPercent - a.cpuPercent
        : b.cpuPercent - a.cpuPercent || b.sample.rssBytes - a.sample.rssBytes,
    );
    return {
      processes: matched.slice(0, input.limit).map(({ sample, cpuPercent, argv }) => ({
        pid: sample.pid,
        ppid: sample.ppid,
        name: sample.name,
        command: argv.length > 0 ? redactArguments(argv, 300) : `[${sample.name}]`,
        uid: sample.uid,
        state: sample.state,
        cpuPercent,
        rssMiB: mib(sample.rssBytes),
        memoryShare: Number((sample.rssBytes / totalMemory).toFixed(4)),
        threads: sample.threads,
      })),
      scanned: after.size,
      matched: matched.length,
      truncated,
      cpus: cpuAfter.cpus,
      sampleMs: input.sampleMs,
    };
  },
  summarize: (o) =>
    [
      `${o.matched} of ${o.scanned} processes${o.truncated ? ' (scan cut)' : ''}; CPU over ${o.sampleMs} ms on ${o.cpus} CPUs:`,
      ...o.processes.map(
        (p) =>
          `  ${p.pid} ${p.name} ${p.cpuPercent}% CPU ${p.rssMiB} MiB (${(p.memoryShare * 100).toFixed(1)}%): ${p.command}`,
      ),
    ].join('\n'),
});

const portRow = z.object({
  protocol: z.enum(['tcp', 'tcp6', 'udp', 'udp6']),
  address: z.string().describe('the local address; 0.0.0.0 or :: is every interface'),
  port: z.number().int(),
  state: z.string(),
  uid: z.number().int().describe('the user id that owns the socket'),
  processes: z
    .array(z.object({ pid: z.number().int(), name: z.string() }))
    .describe('the processes holding the socket; empty when they could not be inspected'),
});

export const listListeningPorts = defineTool({
  name: 'infrastructure_list_listening_ports',
  domain: 'infrastructure',
  tags: ['ports', 'listening', 'sockets', 'tcp', 'udp', 'netstat', 'network', 'pid'],
  requests: [
    'which ports are open on this machine',
    'what process is using port 11434',
    'list listening TCP sockets',
    'is anything bound to port 5432',
    'netstat -l on this box',
  ],
  title: 'Listening ports',
  description:
    'Lists this machine\'s listening sockets, like ss -ltnup: TCP sockets in LISTEN and unconnected UDP sockets, over IPv4 and IPv6, with the local address and port, the owning user, and the processes holding them (pid and name) where this user may inspect them. Filter by protocol or port. Use it to find what occupies a port or whether something already listens locally; it does not probe remote hosts. It reads Linux /proc/net. Example: {"protocol": "tcp", "port": 11434}',
  kind: { effect: 'readOnly' },
  input: z.object({
    protocol: z.enum(['tcp', 'udp', 'all']).default('all').describe('"tcp", "udp" or "all" (default).'),
    port: z.number().int().min(1).max(65535).optional().describe('Only this port, e.g. 8080.'),
    owners: z
      .boolean()
      .default(true)
      .describe('Find the owning processes (reads every process descriptor table). Default true.'),
    limit: z.number().int().min(1).max(1000).default(200).describe('Most sockets returned. Default 200.'),
  }),
  output: z.object({
    sockets: z.array(portRow),
    total: z.number().int().describe('listening sockets that passed the filter'),
    truncated: z.boolean(),
    uninspectable: z.number().int().describe('processes whose descriptors could not be read (other users)'),
    ownersComplete: z
      .boolean()
      .describe(
        `false when owners were not asked for, or the search for them passed ${ownerSearchMs / 1000} s or the process limit`,
      ),
  }),
  examples: [{ protocol: 'tcp' }],
  async handler(input, context) {
    if (process.platform !== 'linux')
      throw new InputError('', `socket listing reads /proc/net, which ${process.platform} does not have`);
    const tables: SocketEntry['protocol'][] =
      input.protocol === 'tcp'
        ? ['tcp', 'tcp6']
        : input.protocol === 'udp'
          ? ['udp', 'udp6']
          : ['tcp', 'tcp6', 'udp', 'udp6'];
    const entries = (await Promise.all(tables.map((t) => readSocketTable(t))))
      .flat()
      .filter((e) => input.port === undefined || e.port === input.port)
      .sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol) || a.address.localeCompare(b.address));
    const kept = entries.slice(0, input.limit);
    let owners = new Map<number, number[]>();
    let uninspectable = 0;
    let ownersComplete = input.owners;
    if (input.owners && kept.length > 0) {
      const found = await socketOwners(new Set(kept.map((e) => e.inode)), context.signal, ownerSearchMs);
      owners = found.owners;
      uninspectable = found.unreadable;
      ownersComplete = !found.truncated;
    }
    const names = new Map<number, string>();
    for (const pid of new Set([...owners.values()].flat())) names.set(pid, (await readProcess(pid))?.name ?? '?');
    return {
      sockets: kept.map((e) => ({
        protocol: e.protocol,
        address: e.address,
        port: e.port,
        state: e.state,
        uid: e.uid,
        processes: (owners.get(e.inode) ?? []).map((pid) => ({ pid, name: names.get(pid) ?? '?' })),
      })),
      total: entries.length,
      truncated: entries.length > kept.length,
      uninspectable,
      ownersComplete,
    };
  },
  summarize: (o) =>
    [
      `${o.total} listening socket(s)${o.truncated ? `, first ${o.sockets.length} shown` : ''}${o.ownersComplete ? '' : ' (owners not all looked up)'}:`,
      ...o.sockets.map(
        (s) =>
          `  ${s.protocol} ${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port} ${
            s.processes.map((p) => `${p.name} (${p.pid})`).join(', ') || `uid ${s.uid}`
          }`,
      ),
    ].join('\n'),
});

const filesystemRow = z.object({
  paths: z.array(z.string()).describe('the paths asked about that live on this file system'),
  mountPoint: z.string(),
  type: z.string().describe('file system type, e.g. ext4, xfs, overlay'),
  totalGiB: z.number(),
  availableGiB: z.number().describe('free space an unprivileged writer may use'),
  usedShare: z.number().describe('0..1'),
  inodesUsedShare: z.number().describe('0..1; 0 when the file system does not count inodes'),
  warning: z.string().optional().describe('why this file system needs attention'),
});

export const checkDiskSpace = defineTool({
  name: 'infrastructure_check_disk_space',
  domain: 'infrastructure',
  tags: ['disk', 'space', 'storage', 'filesystem', 'inodes', 'full', 'df', 'warning'],
  requests: [
    'is the disk almost full',
    'free space where the projects and data live',
    'df for the data directory and the project roots',
    'warn me if any volume is over 90% used',
    'are we out of inodes',
  ],
  title: 'Check disk space',
  description:
    'Reports the file systems holding Caelum\'s data directory and the allowed project roots (or the paths given), like df: where each file system is attached, its type, size, space available, share used and share of inodes used, with a warning for each one over the threshold or under the free-space floor. Use it before a large download, build, dataset or model pull. It does not find what takes the space. Example: {"warnAtShare": 0.9, "minFreeGiB": 5}',
  kind: { effect: 'readOnly' },
  input: z.object({
    paths: z
      .array(z.string().min(1))
      .max(20)
      .optional()
      .describe('Paths inside the allowed roots to check; default the data directory and every allowed root.'),
    warnAtShare: z
      .number()
      .min(0.5)
      .max(0.999)
      .default(0.9)
      .describe('Warn when a file system is used beyond this share, 0.5-0.999. Default 0.9.'),
    minFreeGiB: z
      .number()
      .min(0)
      .max(100_000)
      .default(1)
      .describe('Warn when less than this many GiB are available. Default 1.'),
  }),
  output: z.object({
    filesystems: z.array(filesystemRow),
    warnings: z.number().int(),
    unchecked: z
      .array(z.object({ path: z.string(), reason: z.string() }))
      .describe('paths whose file system could not be read'),
  }),
  examples: [{}, { warnAtShare: 0.95, minFreeGiB: 0 }],
  async handler(input, context) {
    const environment = context.environment;
    const requested = input.paths
      ? await Promise.all(
          input.paths.map(
            async (p, i) => (await resolveInsideRoots(p, environment.allowedRoots, `paths.${i}`)).absolute,
          ),
        )
      : [environment.dataDir, ...environment.allowedRoots];
    const unchecked: { path: string; reason: string }[] = [];
    const reports = (
      await Promise.all(
        requested.map((p) =>
          spaceOf(p).catch((error: NodeJS.ErrnoException) => {
            unchecked.push({ path: p, reason: error.code ?? error.message });
            return undefined;
          }),
        ),
      )
    ).filter((r) => r !== undefined);
    const mounts = await readMounts();
    const mountOf = (resolved: string) =>
      mounts
        .filter(
          (m) => resolved === m.mountPoint || resolved.startsWith(m.mountPoint === '/' ? '/' : `${m.mountPoint}/`),
        )
        .sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
    const byMount = new Map<string, z.infer<typeof filesystemRow>>();
    for (const report of reports) {
      const mount = mountOf(report.resolved);
      const key = mount?.mountPoint ?? report.resolved;
      const existing = byMount.get(key);
      if (existing) {
        if (!existing.paths.includes(report.path)) existing.paths.push(report.path);
        continue;
      }
      const usedShare = report.totalBytes
        ? 1 - report.availableBytes / (report.totalBytes - report.freeBytes + report.availableBytes)
        : 0;
      const inodesUsedShare = report.inodes ? 1 - report.freeInodes / report.inodes : 0;
      const problems: string[] = [];
      if (usedShare >= input.warnAtShare)
        problems.push(`${(usedShare * 100).toFixed(1)}% used (threshold ${(input.warnAtShare * 100).toFixed(1)}%)`);
      if (report.availableBytes < input.minFreeGiB * 1024 ** 3)
        problems.push(`${gib(report.availableBytes)} GiB available (floor ${input.minFreeGiB} GiB)`);
      if (inodesUsedShare >= input.warnAtShare) problems.push(`${(inodesUsedShare * 100).toFixed(1)}% of inodes used`);
      byMount.set(key, {
        paths: [report.path],
        mountPoint: key,
        type: mount?.type ?? 'unknown',
        totalGiB: gib(report.totalBytes),
        availableGiB: gib(report.availableBytes),
        usedShare: Number(usedShare.toFixed(4)),
        inodesUsedShare: Number(inodesUsedShare.toFixed(4)),
        ...(problems.length ? { warning: problems.join('; ') } : {}),
      });
    }
    const filesystems = [...byMount.values()];
    return { filesystems, warnings: filesystems.filter((f) => f.warning).length, unchecked };
  },
  summarize: (o) =>
    [
      o.warnings ? `${o.warnings} file system(s) need attention:` : 'disk space is fine:',
      ...o.unchecked.map((u) => `  ${u.path}: not checked (${u.reason})`),
      ...o.filesystems.map(
        (f) =>
          `  ${f.mountPoint} (${f.type}): ${f.availableGiB} of ${f.totalGiB} GiB available, ${(f.usedShare * 100).toFixed(1)}% used${f.warning ? ` WARNING: ${f.warning}` : ''}; holds ${f.paths.join(', ')}`,
      ),
    ].join('\n'),
});
