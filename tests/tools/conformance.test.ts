// Every registered internal tool runs on each of its examples and its output validates against its
// schema; every high-level tool does the same against its published outputSchema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { annotationsFor, definitionProblems } from '../../tools/define-tool.js';
import { listTools } from '../../servers/mcp-server.js';
import { jsonSchema } from '../../tools/json-schema.js';
import { execFileSync } from 'node:child_process';
import { pgUrl, postgresAvailable, testSuite } from '../helpers.js';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { financialGraph } from '../knowledge/financial-fixture.js';
import { ingestFinancial } from '../../knowledge/financial.js';
import { SourcesPeer } from '../peers/kb-sources-peer.js';
import { buildSnapshot } from '../../knowledge/snapshot/build.js';
import { providers } from '../../knowledge/snapshot/catalogue/statistics.js';
import { seedPredictionExamples } from '../trading/predict-model-fixture.js';
import { seedAnalysisExamples } from '../trading/analysis-fixture.js';
import { seedCheckpointExamples } from '../ml-training/checkpoint-fixture.js';
import { seedJobExamples } from '../ml-training/jobs-fixture.js';
import { seedRegistryExamples } from '../ml-training/registry-fixture.js';
import { seedDatasetExamples } from '../ml-training/datasets-fixture.js';

/**
 * The PostgreSQL table the import tool's example names (8-d vectors, one bad row), in a schema of
 * this test's own; the returned URL puts it first on the search path. Undefined without PostgreSQL.
 */
async function conceptTable(t: { after(fn: () => Promise<void>): void }): Promise<string | undefined> {
  const available = await postgresAvailable();
  if (!available.ok) return undefined;
  const pg = (await import('pg')).default;
  const schema = `caelum_conformance_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(
    `CREATE TABLE ${schema}.cpe_entry (cpe_id text PRIMARY KEY, concept_text text, concept_vec real[], tmd_code text, dataset_source text)`,
  );
  await client.query(
    `INSERT INTO ${schema}.cpe_entry VALUES ('c1', 'inflation expectations', '{1,0,0,0,0,0,0,0}', 'T1', 'fixture'), ('c2', 'policy rate path', '{0,1,0,0,0,0,0,0}', 'T2', 'fixture'), ('c3', 'bad row', NULL, 'T3', 'fixture')`,
  );
  t.after(async () => {
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  });
  const url = new URL(pgUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/**
 * A suite with one loopback Ollama host named gpu1, so pool tools run their examples for real, a
 * financial graph of the peer KB's shape, the graph file and the PostgreSQL table the knowledge
 * tools' examples name. The peer answers NL→Cypher prompts with a valid query. One networked build
 * against the loopback data providers fills the observation cache (and writes a snapshot), so the
 * snapshot tools' offline example builds from real cached data instead of failing for want of it.
 */
async function suiteWithHost(t: Parameters<typeof testSuite>[0] & { after(fn: () => Promise<void>): void }) {
  const peer = new OllamaPeer({
    models: [
      { name: 'gemma3:1b', sizeBytes: 1, parameterSize: '1B', family: 'gemma3' },
      { name: 'qwen3:4b', sizeBytes: 2, parameterSize: '4B', family: 'qwen3' },
    ],
    reply: (prompt) =>
      prompt.includes('Question:')
        ? JSON.stringify({
            cypher:
              "MATCH (a:Country {iso3: 'USA'})-[e:TRADE_DEPENDS]->(b:Country) RETURN b.iso3 AS country, e.weight AS weight ORDER BY weight DESC LIMIT 5",
            explanation: 'corridors out of the USA',
          })
        : prompt.split(/\s+/).reverse().join(' '),
  });
  await peer.start();
  const sources = new SourcesPeer();
  await sources.start();
  const pg = await conceptTable(t);
  const graphFile = JSON.stringify(financialGraph({ statistics: 12 }));
  const suite = await testSuite(t, {
    env: {
      CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}`,
      ...(pg ? { DATABASE_URL: pg } : {}),
      // One real mount (the filesystem server, narrowed to one tool), so the mount tools' examples
      // have a server to list and restart; tests/mounts runs the mounted tools themselves.
      CAELUM_MOUNT_DEFAULTS: '1',
    },
    files: {
      'src/index.ts': 'export const x = 1;\n',
      'kb/financial_kg.json': graphFile,
      'caelum.config.json': JSON.stringify({
        mcpServers: {
          filesystem: { allow: ['list_allowed_directories'] },
          thinking: { enabled: false },
          memory: { enabled: false },
          playwright: { enabled: false },
        },
      }),
    },
  });
  await suite.mounts.ready();
  await ingestFinancial(await suite.knowledge.graph(), financialGraph({ points: 3 }));
  await seedPredictionExamples(suite.project, suite.dataDir);
  await seedCheckpointExamples(suite.project);
  await seedJobExamples(suite.dataDir, suite.project);
  await seedRegistryExamples(suite.dataDir, suite.project, suite.environment.services.databaseUrl);
  await seedDatasetExamples(suite);
  await buildSnapshot({
    dataDir: suite.dataDir,
    providers: Object.fromEntries(providers.map((p) => [p, { baseUrl: sources.url, apiKey: 'k' }])),
    skipLlm: true,
    codeVersion: 'seed',
  });
  // The git tools' examples need a repository with history.
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: suite.project,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'fixture');
  // The trading tools' examples name SPX (the S&P 500 bars of vega-datasets) and, for the correlation
  // example, VIX (its June-July 2009 VIX file) in the market directory.
  await seedAnalysisExamples(suite.dataDir);
  t.after(async () => {
    await suite.close();
    await peer.stop();
    await sources.stop();
  });
  return Object.assign(suite, { pg: pg !== undefined });
}

/**
 * Tools whose examples read a Prometheus server or a node_exporter endpoint: this suite has neither, so
 * tests/monitoring/supervisor.test.ts runs them (and checks their output schemas) against the real
 * Debian binaries instead (the target and rule lists: scrape-targets.test.ts and prometheus-rules.test.ts).
 */
const needsMetricsSource = new Set([
  'monitoring_query_prometheus',
  'monitoring_scrape_metrics',
  'monitoring_list_scrape_targets',
  'monitoring_list_prometheus_rules',
  'monitoring_get_fleet_health',
  'getFleetHealth',
  // An ack needs an escalation running; tests/monitoring/supervisor.test.ts acks a fired critical alert.
  'monitoring_ack_alert',
]);

test('every internal tool is well-formed and its annotations follow its kind', async (t) => {
  const suite = await testSuite(t);
  assert.ok(suite.registry.size >= 5);
  for (const tool of suite.registry.all()) {
    assert.deepEqual(definitionProblems(tool), [], tool.name);
    assert.ok(tool.name.length <= 64 && /^[a-z0-9_]+$/.test(tool.name), tool.name);
    const annotations = annotationsFor(tool.kind);
    assert.equal(annotations.readOnlyHint, tool.kind.effect === 'readOnly', tool.name);
    assert.equal(annotations.destructiveHint, tool.kind.effect === 'destructive', tool.name);
  }
});

test('every internal tool runs on each example and its output validates against its schema', async (t) => {
  const suite = await suiteWithHost(t);
  const context = suite.dispatcher.context({});
  for (const tool of suite.registry.all()) {
    if ((tool.name === 'knowledge_base_import_postgres' || tool.name === 'ml_training_prepare_dataset') && !suite.pg) {
      t.diagnostic("PostgreSQL is not reachable: the import tool's example was not run");
      continue;
    }
    if (needsMetricsSource.has(tool.name)) continue;
    for (const example of tool.examples) {
      const outcome = await suite.dispatcher.router.invoke(tool.name, example, context, { confirm: true });
      assert.ok(outcome.ok, `${tool.name} ${JSON.stringify(example)}: ${outcome.ok ? '' : outcome.error.message}`);
      const checked = tool.output.safeParse(outcome.output);
      assert.ok(checked.success, `${tool.name} output fails its schema`);
      assert.ok(outcome.text.length > 0, `${tool.name} has no readable text`);
    }
  }
});

test('every high-level tool runs on its examples; structuredContent validates against the published outputSchema', async (t) => {
  const suite = await suiteWithHost(t);
  const ajv = new Ajv2020({ strict: false });
  const published = new Map(listTools(suite).map((tool) => [tool.name, tool]));
  for (const tool of suite.dispatcher.tools()) {
    if (tool.name === 'prepareDataset' && !suite.pg) {
      t.diagnostic("PostgreSQL is not reachable: prepareDataset's example was not run");
      continue;
    }
    if (needsMetricsSource.has(tool.name)) continue;
    const validate = ajv.compile(published.get(tool.name)!.outputSchema!);
    const validateFull = ajv.compile(jsonSchema(suite.dispatcher.outputSchema(tool), 'full'));
    for (const example of tool.examples) {
      const result = await suite.dispatcher.call(tool.name, example);
      assert.equal(result.isError, false, `${tool.name} ${JSON.stringify(example)}: ${result.text}`);
      assert.ok(validate(result.structuredContent), `${tool.name}: ${ajv.errorsText(validate.errors)}`);
      assert.ok(
        validateFull(result.structuredContent),
        `${tool.name} (full schema): ${ajv.errorsText(validateFull.errors)}`,
      );
      const execution = result.structuredContent!.execution as { tool: string; steps: unknown[]; llm: unknown[] };
      assert.equal(execution.tool, tool.name);
      assert.ok(Array.isArray(execution.llm));
      assert.ok(result.text.length > 0);
    }
  }
});
