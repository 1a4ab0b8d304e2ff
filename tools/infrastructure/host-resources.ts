// infrastructure_get_host_resources: CPU, memory, the data dir's disk and the Node runtime.
import os from 'node:os';
import { mkdir, statfs } from 'node:fs/promises';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';

const gib = (bytes: number) => Number((bytes / 1024 ** 3).toFixed(2));

export const getHostResources = defineTool({
  name: 'infrastructure_get_host_resources',
  domain: 'infrastructure',
  tags: ['cpu', 'memory', 'disk', 'node', 'host', 'resources', 'status'],
  requests: [
    'free memory and disk on this server',
    'CPU cores and load average',
    'is this machine overloaded',
    'memory and CPU usage of this host',
    'how busy is this server',
    'Node.js runtime and disk space of the host',
  ],
  title: 'Host resources',
  description:
    "Reports this machine's CPU (model, cores, load average), memory (total, free, this process's RSS), the disk holding Caelum's data directory (size, free), and the Node.js runtime. Use it to check whether the host can take more work. It does not probe GPU hosts or services; use infrastructure_check_services for those. Example: {}",
  kind: { effect: 'readOnly' },
  input: z.object({}),
  output: z.object({
    cpu: z.object({
      model: z.string(),
      cores: z.number().int(),
      loadAverage: z.array(z.number()).describe('1, 5 and 15 minute load averages'),
    }),
    memory: z.object({ totalGiB: z.number(), freeGiB: z.number(), processRssMiB: z.number() }),
    disk: z.object({ path: z.string(), totalGiB: z.number(), freeGiB: z.number(), usedShare: z.number() }),
    runtime: z.object({ node: z.string(), platform: z.string(), arch: z.string(), uptimeSeconds: z.number() }),
  }),
  examples: [{}],
  async handler(_input, context) {
    const dataDir = context.environment.dataDir;
    await mkdir(dataDir, { recursive: true });
    const fs = await statfs(dataDir);
    const total = fs.blocks * fs.bsize;
    const free = fs.bavail * fs.bsize;
    const cpus = os.cpus();
    return {
      cpu: {
        model: cpus[0]?.model.trim() ?? 'unknown',
        cores: cpus.length,
        loadAverage: os.loadavg().map((n) => Number(n.toFixed(2))),
      },
      memory: {
        totalGiB: gib(os.totalmem()),
        freeGiB: gib(os.freemem()),
        processRssMiB: Number((process.memoryUsage.rss() / 1024 ** 2).toFixed(1)),
      },
      disk: {
        path: dataDir,
        totalGiB: gib(total),
        freeGiB: gib(free),
        usedShare: total ? Number((1 - free / total).toFixed(4)) : 0,
      },
      runtime: {
        node: process.version,
        platform: process.platform,
        arch: process.arch,
        uptimeSeconds: Math.round(process.uptime()),
      },
    };
  },
  summarize: (o) =>
    `CPU ${o.cpu.cores}× ${o.cpu.model}, load ${o.cpu.loadAverage.join('/')}; memory ${o.memory.freeGiB}/${o.memory.totalGiB} GiB free; disk at ${o.disk.path}: ${o.disk.freeGiB}/${o.disk.totalGiB} GiB free; Node ${o.runtime.node} ${o.runtime.platform}-${o.runtime.arch}`,
});
