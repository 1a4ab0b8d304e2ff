// The knowledge soak, shared by the test (1,000 calls) and the benchmark (10,000): the bundled
// server over stdio, a real MCP client, mixed knowledge calls at N-way concurrency, then kill -9 at
// a random point. Afterwards the data directory must reopen consistent, with every acknowledged
// write present in the graph and in the vector index, and the server must serve again.
import path from 'node:path';
import { writeFile, mkdir } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { KnowledgeBase } from '../../knowledge/knowledge-store.js';
import { currentSchemaVersion } from '../../knowledge/graph/schema.js';
import { financialGraph } from './financial-fixture.js';

export interface SoakOptions {
  cliPath: string;
  workDir: string;
  calls: number;
  concurrency: number;
  /** Kill -9 after this many completed calls; default a random point in the middle 60%. */
  killAfter?: number;
  seed?: number;
}

export interface SoakReport {
  calls: number;
  completed: number;
  killedAfter: number;
  acknowledgedWrites: number;
  errors: string[];
  crashes: number;
  lostWrites: string[];
  missingVectors: number;
  reopened: { schemaVersion: number; entities: number; verify: { ok: boolean; problems: string[] } };
  servesAfterRestart: boolean;
  elapsedMs: number;
  callsPerSecond: number;
}

function connect(options: SoakOptions, dataDir: string, project: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [options.cliPath, 'serve'],
    env: {
      PATH: process.env.PATH ?? '',
      CAELUM_MOUNT_DEFAULTS: '0',
      HOME: options.workDir,
      CAELUM_DATA_DIR: dataDir,
      CAELUM_ALLOWED_ROOTS: project,
      CAELUM_LOG_LEVEL: 'error',
      // The process killed mid-way must be the one holding the graph: serve in-process, not through
      // a shared service (tests/servers/service.test.ts kills the service itself).
      CAELUM_SERVICE: 'off',
    },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'soak', version: '1' });
  return { transport, client };
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const dataDir = path.join(options.workDir, 'data');
  const project = path.join(options.workDir, 'project');
  await mkdir(path.join(project, 'kb'), { recursive: true });
  await writeFile(path.join(project, 'kb', 'graph.json'), JSON.stringify(financialGraph({ statistics: 20 })));
  let seed = options.seed ?? Date.now();
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const killAfter = options.killAfter ?? Math.floor(options.calls * (0.2 + 0.6 * random()));

  const { transport, client } = connect(options, dataDir, project);
  await client.connect(transport);
  const pid = transport.pid!;
  let exitedOnItsOwn = false;
  let killed = false;
  const exited = new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      try {
        process.kill(pid, 0);
      } catch {
        clearInterval(poll);
        if (!killed) exitedOnItsOwn = true;
        resolve();
      }
    }, 20);
  });
  const imported = await client.callTool({
    name: 'runTool',
    arguments: { name: 'knowledge_base_import_graph', arguments: { path: 'kb/graph.json' }, confirm: true },
  });
  if (imported.isError) throw new Error(`seeding failed: ${JSON.stringify(imported.content)}`);

  const acknowledged: { name: string; fact: string }[] = [];
  const errors: string[] = [];
  let next = 0;
  let completed = 0;
  const started = performance.now();
  const call = async (i: number) => {
    const kind = i % 10;
    if (kind <= 2) {
      const name = `soak-${i}`;
      const fact = `observation ${i} about topic ${i % 37}`;
      const result = await client.callTool({
        name: 'rememberFacts',
        arguments: {
          entities: [{ name, entityType: 'soak', observations: [fact] }],
          relations: i > 10 ? [{ from: name, to: `soak-${i - 10}`, relationType: 'follows' }] : [],
        },
      });
      if (result.isError) throw new Error(JSON.stringify(result.content));
      acknowledged.push({ name, fact });
      return;
    }
    const argsFor: Record<number, [string, Record<string, unknown>]> = {
      3: ['recallFacts', { query: `topic ${i % 37}`, k: 3 }],
      4: ['recallFacts', { names: [`soak-${Math.max(0, i - 4)}`] }],
      5: ['queryKnowledgeGraph', { cypher: 'MATCH (e:Entity) RETURN count(e) AS n' }],
      6: [
        'queryKnowledgeGraph',
        {
          cypher:
            'MATCH (a:Country {iso3: $c})-[e:TRADE_DEPENDS]->(b) RETURN b.iso3 AS to, e.weight AS w ORDER BY w DESC',
          params: { c: 'USA' },
        },
      ],
      7: ['searchKnowledge', { query: `observation about topic ${i % 37}`, k: 5, expandHops: 1 }],
      8: [
        'runTool',
        { name: 'knowledge_base_trace_contagion', arguments: { statistic: 'USA_policy_rate', limit: 10 } },
      ],
      9: ['runTool', { name: 'knowledge_base_get_country_profile', arguments: { country: 'DEU', statistics: 5 } }],
    };
    const [name, args] = argsFor[kind]!;
    const result = await client.callTool({ name, arguments: args });
    if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.content).slice(0, 300)}`);
  };
  const worker = async () => {
    while (!killed) {
      const i = next++;
      if (i >= options.calls) return;
      try {
        await call(i);
        completed++;
        if (completed >= killAfter && !killed) {
          killed = true;
          process.kill(pid, 'SIGKILL');
        }
      } catch (error) {
        if (!killed) errors.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedMs = performance.now() - started;
  if (!killed) {
    killed = true;
    process.kill(pid, 'SIGKILL');
  }
  await exited;
  await client.close().catch(() => undefined);

  // Reopen the data directory in this process: graph, schema, every acknowledged write, vectors.
  const kb = new KnowledgeBase({ dataDir });
  const graph = await kb.graph();
  const names = acknowledged.map((a) => a.name);
  const found = await graph.read(
    'UNWIND $names AS n MATCH (e:Entity {name: n})-[:HAS_OBSERVATION]->(o:Observation) RETURN e.name AS name, o.content AS fact',
    { names },
    { maxRows: names.length * 2 + 10, cache: false },
  );
  const have = new Set(found.rows.map((r) => `${r.name}\u0000${r.fact}`));
  const lostWrites = acknowledged.filter((a) => !have.has(`${a.name}\u0000${a.fact}`)).map((a) => a.name);
  const index = await kb.collection();
  const docs = await graph.read(
    "MATCH (d:Document) WHERE d.collection = 'knowledge' RETURN d.id AS id",
    {},
    { maxRows: 10_000_000, cache: false },
  );
  const missingVectors = docs.rows.filter((r) => !index!.has(String(r.id))).length;
  const entities = Number((await graph.read('MATCH (e:Entity) RETURN count(e) AS n', {}, { cache: false })).rows[0]!.n);
  const verify = await kb.verify('knowledge');
  const schemaVersion = graph.schemaVersion;
  await kb.close();

  const again = connect(options, dataDir, project);
  await again.client.connect(again.transport);
  const probe = await again.client.callTool({ name: 'recallFacts', arguments: { names: names.slice(-1) } });
  const servesAfterRestart =
    !probe.isError && (names.length === 0 || JSON.stringify(probe.structuredContent).includes(names.at(-1)!));
  await again.client.close();

  return {
    calls: options.calls,
    completed,
    killedAfter: killAfter,
    acknowledgedWrites: acknowledged.length,
    errors,
    crashes: exitedOnItsOwn ? 1 : 0,
    lostWrites,
    missingVectors,
    reopened: { schemaVersion, entities, verify: { ok: verify.ok, problems: verify.problems } },
    servesAfterRestart,
    elapsedMs,
    callsPerSecond: Math.round((completed / elapsedMs) * 1000),
  };
}

export { currentSchemaVersion };
