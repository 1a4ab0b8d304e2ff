// Caelum's configuration: one zod schema, four sources in increasing priority (defaults, the config
// file, environment variables, CLI flags). A bad value stops start-up with a message that names the
// key, where it came from, and what is valid.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { defaultClaudeModel } from '../gpu-pool/prices.js';
import { registerSecrets } from '../tools/secrets.js';
import { defaultDataDir } from './session-config.js';
import { ConfigError } from './config-error.js';
import { defaultMounts, mountOverrideSchema, mountSchema, serverNamePattern } from './mounts/mount-config.js';
import { monitoringConfigSchema, monitoringEnvironment } from './monitoring-config.js';

/** A shared snapshot location: an absolute directory or an http(s) base URL (plain GET and PUT). */
const snapshotLocation = z
  .string()
  .refine(
    (value) => {
      if (/^https?:\/\//i.test(value)) return URL.canParse(value);
      return path.isAbsolute(value);
    },
    {
      error:
        'expected an absolute directory on a shared file system (/mnt/shared/caelum-kb) or an http(s) base URL (GET to follow it, PUT to publish to it: http://files.internal/caelum-kb)',
    },
  )
  // fetch refuses URLs with credentials, and its message would carry the password.
  .refine((value) => !/^https?:\/\/[^/]*@/i.test(value), {
    error: 'a shared location URL must not carry a user or password; serve it from a location that needs none',
  });

const hostSchema = z.object({
  name: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_.-]+$/, { error: 'host names use letters, digits, _ . -' }),
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://gpu-host:11434' }),
  gpu: z.string().optional(),
  vramGiB: z.number().positive().optional(),
  weight: z.number().positive().default(1),
  maxConcurrent: z.number().int().min(1).max(256).default(2),
  tags: z.array(z.string()).default([]),
  access: z.enum(['network', 'localhost']).default('network'),
  api: z
    .enum(['ollama', 'openai'])
    .default('ollama')
    .describe('"ollama", or "openai" for an OpenAI-compatible server (vLLM, llama.cpp, LM Studio, TGI)'),
  apiKey: z.string().min(1).optional().describe('bearer key of an OpenAI-compatible host (vLLM --api-key)'),
  tierModels: z
    .partialRecord(z.enum(['micro', 'small', 'full', 'large', 'code', 'embed']), z.string().min(1))
    .optional()
    .describe('per-host model for a tier, e.g. {"small": "phi4-mini"}'),
  cost: z
    .lazy(() => localCostSchema)
    .optional()
    .describe(
      'this host\'s price of model time, over localCost: {"usdPerGpuHour": 1.2} or {"watts": 350, "usdPerKwh": 0.3}',
    ),
});

const nonNegative = (what: string) =>
  z.number({ error: `expected a number of ${what}` }).min(0, { error: `${what} cannot be negative` });
const localCostSchema = z
  .object({
    usdPerGpuHour: nonNegative('US dollars per GPU-hour').optional(),
    watts: nonNegative('watts').optional().describe("the host's power draw while a model runs"),
    usdPerKwh: nonNegative('US dollars per kWh').optional(),
  })
  .strict()
  .superRefine((c, context) => {
    // Power cost is watts × $/kWh: name the half that is missing, and where to set it.
    if (c.watts !== undefined && c.usdPerKwh === undefined)
      context.addIssue({
        code: 'custom',
        path: ['usdPerKwh'],
        message: 'missing: power cost is watts × $/kWh; set usdPerKwh too (CAELUM_LOCAL_USD_PER_KWH)',
      });
    if (c.usdPerKwh !== undefined && c.watts === undefined)
      context.addIssue({
        code: 'custom',
        path: ['watts'],
        message: 'missing: power cost is watts × $/kWh; set watts too (CAELUM_LOCAL_WATTS)',
      });
  });

const logLevels = ['debug', 'info', 'warn', 'error'] as const;

export const kbProviders = ['world_bank', 'fred', 'imf', 'oecd', 'bis', 'eia'] as const;
const kbSource = z
  .object({
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .optional()
      .describe('the provider API root; default its public address'),
    apiKey: z.string().min(1).optional().describe('FRED and EIA need one (FRED_API_KEY, EIA_API_KEY)'),
    enabled: z.boolean().default(true),
  })
  .strict();
const kbSources = z
  .object(
    Object.fromEntries(kbProviders.map((p) => [p, kbSource.default({ enabled: true })])) as Record<
      (typeof kbProviders)[number],
      z.ZodDefault<typeof kbSource>
    >,
  )
  .strict();

export const configSchema = z
  .object({
    dataDir: z.string().min(1),
    allowedRoots: z.array(z.string().min(1)).min(1, { error: 'at least one allowed root is needed' }),
    ollamaHosts: z.array(hostSchema).default([]),
    tierModels: z
      .partialRecord(z.enum(['micro', 'small', 'full', 'large', 'code', 'embed']), z.string().min(1))
      .optional()
      .describe(
        'a model per tier for every host, preferred over the tier\'s family-and-size choice, e.g. {"code": "qwen2.5-coder:7b"}',
      ),
    claude: z
      .object({
        apiKey: z.string().min(1).optional(),
        baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
        model: z.string().min(1).default(defaultClaudeModel),
        baselineModel: z
          .string()
          .min(1)
          .default(defaultClaudeModel)
          .describe('the model an all-Claude run would use; prices the saving'),
      })
      .strict()
      .default({ model: defaultClaudeModel, baselineModel: defaultClaudeModel }),
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, { error: 'expected a postgres:// or postgresql:// URL' })
      .optional(),
    confidenceThreshold: z
      .number({ error: 'expected a number from 0 to 1' })
      .min(0, { error: 'expected a number from 0 to 1' })
      .max(1, { error: 'expected a number from 0 to 1' })
      .default(0.75),
    http: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z
          .number({ error: 'expected a port number 0-65535 (0 picks a free port)' })
          .int()
          .min(0)
          .max(65535, { error: 'expected a port number 0-65535 (0 picks a free port)' })
          .default(8765),
        allowedHosts: z
          .array(z.string())
          .default([])
          .describe('extra Host header values accepted besides localhost forms'),
        allowedOrigins: z
          .array(z.string())
          .default([])
          .describe('extra Origin values accepted besides localhost forms'),
        dashboard: z.boolean().default(true).describe('serve the web dashboard at / beside /mcp'),
        dashboardActions: z
          .boolean()
          .default(false)
          .describe(
            'let the dashboard act (pool enable/disable, ack an alert), each with confirm and a CSRF token; off: read-only (CAELUM_DASHBOARD_ACTIONS=1 turns it on)',
          ),
      })
      .strict()
      .default({
        host: '127.0.0.1',
        port: 8765,
        allowedHosts: [],
        allowedOrigins: [],
        dashboard: true,
        dashboardActions: false,
      }),
    logLevel: z.enum(logLevels).default('info'),
    testRunsAllowed: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'project directories (inside the allowed roots) where development_run_tests may run without confirm: true',
      ),
    knowledgeBase: z
      .object({
        sources: kbSources.default(Object.fromEntries(kbProviders.map((p) => [p, { enabled: true }])) as never),
        startYear: z
          .number()
          .int()
          .min(1960)
          .max(2100)
          .optional()
          .describe('first year ingested; default 8 years before the current one'),
        llmCacheDays: z
          .number()
          .min(0)
          .default(30)
          .describe('LLM-inferred values younger than this are reused by the next build'),
        minCoverage: z
          .number()
          .min(0)
          .max(1)
          .default(0.5)
          .describe('share of each build phase that must come back for the build to be done; below: partial or failed'),
        publishTo: snapshotLocation
          .optional()
          .describe('shared location a published build is also copied to, with latest.json pointing at it'),
        replica: z
          .object({
            source: snapshotLocation.describe('the shared location whose latest.json this instance follows'),
            pollSeconds: z
              .number()
              .min(0.05, { error: 'pollSeconds is at least 0.05' })
              .max(86_400, { error: 'pollSeconds is at most 86400 (a day)' })
              .default(30)
              .describe('how often latest.json is read'),
            timeoutSeconds: z.number().min(1).max(3_600).default(300).describe('deadline of one snapshot download'),
          })
          .strict()
          .optional()
          .describe('follow snapshots another instance publishes: each new one is downloaded, verified and loaded'),
      })
      .strict()
      .default({
        sources: Object.fromEntries(kbProviders.map((p) => [p, { enabled: true }])) as never,
        llmCacheDays: 30,
        minCoverage: 0.5,
      })
      .describe('knowledge snapshot builds: data providers, window, LLM reuse'),
    graph: z
      .object({
        queryTimeoutMs: z
          .number()
          .int()
          .min(100)
          .max(600_000)
          .default(5_000)
          .describe(
            'time budget of an agent Cypher query, in ms; Kuzu interrupts it, and the caller is answered by then + 0.5 s',
          ),
        bufferPoolMiB: z
          .number()
          .int()
          .min(16)
          .max(1_048_576)
          .default(512)
          .describe(
            "Kuzu's buffer pool in MiB: the memory budget of every graph query (Kuzu's own default is 80% of RAM)",
          ),
        maxResultBytes: z
          .number()
          .int()
          .min(1_024)
          .max(1_073_741_824)
          .default(1_048_576)
          .describe('agent query rows are read one at a time and reading stops past this many bytes of JSON'),
        memoryCapMiB: z
          .number()
          .int()
          .min(64)
          .max(1_048_576)
          .default(2_048)
          .describe("the process's resident-memory cap in MiB; above it agent queries are refused until memory falls"),
      })
      .strict()
      .default({ queryTimeoutMs: 5_000, bufferPoolMiB: 512, maxResultBytes: 1_048_576, memoryCapMiB: 2_048 })
      .describe('budgets of the knowledge graph and of agent Cypher queries'),
    budgets: z
      .object({
        toolResultBytes: z
          .number()
          .int()
          .min(16_384)
          .max(1_073_741_824)
          .default(1_048_576)
          .describe('most bytes of one tool result; past it text, strings and lists are cut and the result says so'),
        memoryQuotaMiB: z
          .number()
          .int()
          .min(1)
          .max(1_048_576)
          .default(256)
          .describe('disk quota of the knowledge graph (memory facts, documents), in MiB; writes past it are refused'),
        vectorQuotaMiB: z
          .number()
          .int()
          .min(1)
          .max(1_048_576)
          .default(4_096)
          .describe('disk quota of all vector collections together, in MiB; indexing and imports past it are refused'),
      })
      .strict()
      .default({ toolResultBytes: 1_048_576, memoryQuotaMiB: 256, vectorQuotaMiB: 4_096 })
      .describe('budgets of what an agent can make Caelum produce or store'),
    thresholds: z
      .object({
        supervisors: z.record(z.string(), z.number().min(0).max(1)).default({}),
        tools: z.record(z.string(), z.number().min(0).max(1)).default({}),
      })
      .strict()
      .default({ supervisors: {}, tools: {} })
      .describe('confidence thresholds per supervisor and per tool, over confidenceThreshold'),
    claudeBudgetUsdPerDay: z
      .number()
      .min(0)
      .optional()
      .describe('Claude spend allowed per UTC day; past it, answers stay local and a budget event is logged'),
    localCostUsdPerGpuHour: z
      .number()
      .min(0)
      .optional()
      .describe('older spelling of localCost.usdPerGpuHour, still read'),
    localCost: localCostSchema
      .optional()
      .describe(
        'what an hour of local model time costs, per GPU-hour or from power draw (watts × $/kWh); unset, local time is $0 and the cost report says so',
      ),
    probeIntervalMs: z.number().int().min(1000).default(60_000),
    service: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('serve stdio sessions through the shared service of the data dir; false runs each in-process'),
        idleMinutes: z
          .number()
          .min(0)
          .default(30)
          .describe('the service stops after this long with no client and no job; 0 never'),
      })
      .strict()
      .default({ enabled: true, idleMinutes: 30 })
      .describe('the one Caelum service per data dir that every front-end shares'),
    embedder: z
      .object({
        kind: z
          .enum(['lexical', 'ollama', 'onnx'])
          .default('lexical')
          .describe(
            'lexical: zero-download hashed n-grams (not semantic); ollama: an embedding model through the pool; onnx: a local sentence-embedding model',
          ),
        model: z.string().min(1).default('nomic-embed-text').describe('Ollama embedding model'),
        dimension: z
          .number()
          .int()
          .min(8)
          .max(8192)
          .optional()
          .describe('vector size: default 384 for lexical, 768 for nomic-embed-text'),
        modelPath: z.string().min(1).optional().describe('ONNX model file (for kind onnx)'),
        tokenizerPath: z.string().min(1).optional().describe('vocab.txt or tokenizer.json (for kind onnx)'),
      })
      .strict()
      .default({ kind: 'lexical', model: 'nomic-embed-text' })
      .describe('the embedder for knowledge-base text'),
    development: z
      .object({
        advisories: z
          .object({
            source: z
              .enum(['auto', 'npm', 'osv', 'off'])
              .default('auto')
              .describe(
                'where known-vulnerable dependency versions come from: auto (npm audit where the registry serves advisories, else the OSV file or server), npm, osv, off',
              ),
            osvFile: z
              .string()
              .min(1)
              .optional()
              .describe(
                'a JSON file of OSV records (an array, {"vulns": [...]}, or a querybatch answer with full records)',
              ),
            osvUrl: z
              .url({
                protocol: /^https?$/,
                error: 'expected an http(s) URL of an OSV API server, e.g. https://api.osv.dev',
              })
              .optional()
              .describe('an OSV API-compatible server (POST /v1/querybatch, GET /v1/vulns/{id})'),
            registry: z
              .url({ protocol: /^https?$/, error: 'expected an http(s) registry URL' })
              .optional()
              .describe('npm registry for npm audit; no credential is ever sent to it'),
            timeoutMs: z
              .number()
              .int()
              .min(500)
              .max(300_000)
              .default(15_000)
              .describe('give up on an advisory source after this long'),
          })
          .strict()
          .default({ source: 'auto', timeoutMs: 15_000 }),
      })
      .strict()
      .default({ advisories: { source: 'auto', timeoutMs: 15_000 } })
      .describe('analyzeAndImproveCode: the dependency advisory source'),
    trading: z
      .object({
        predictionService: z
          .object({
            baseUrl: z
              .url({ protocol: /^https?$/, error: 'expected an http(s) URL of a prediction service' })
              .describe('serves POST {baseUrl}/api/v1/inference/predict/{symbol}'),
            apiKey: z.string().min(1).optional().describe('sent as a Bearer token; never reported'),
            timeoutMs: z.number().int().min(100).max(120_000).default(5_000).describe('per request'),
            retries: z.number().int().min(0).max(5).default(2).describe('retries on 5xx and network errors'),
          })
          .strict()
          .optional()
          .describe('a remote prediction service; absent: local ONNX models only'),
        marketData: z
          .object({
            directory: z
              .string()
              .min(1)
              .optional()
              .describe('where bars are kept by symbol (SYMBOL.csv or .json); default <dataDir>/trading/market'),
            providerUrl: z
              .url({ protocol: /^https?$/, error: 'expected an http(s) URL of a bars provider' })
              .optional()
              .describe('GET {providerUrl}/bars/{symbol} answers JSON bars; answers are cached in the directory'),
            cacheHours: z
              .number()
              .min(0)
              .max(24 * 365)
              .default(12)
              .describe('refetch cached bars after this long'),
            timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
          })
          .strict()
          .default({ cacheHours: 12, timeoutMs: 10_000 }),
        committee: z
          .object({
            proposalConfidence: z
              .number()
              .min(0)
              .max(1)
              .default(0.65)
              .describe('a prediction above this confidence goes to the committee'),
            consensus: z
              .number()
              .min(0)
              .max(1)
              .default(0.7)
              .describe('a signal is issued when the weighted consensus is above this'),
            weights: z
              .object({
                model: z.number().min(0).default(0.4),
                technical: z.number().min(0).default(0.25),
                macro: z.number().min(0).default(0.15),
                analyst: z.number().min(0).default(0.2),
              })
              .strict()
              .default({ model: 0.4, technical: 0.25, macro: 0.15, analyst: 0.2 }),
          })
          .strict()
          .default({
            proposalConfidence: 0.65,
            consensus: 0.7,
            weights: { model: 0.4, technical: 0.25, macro: 0.15, analyst: 0.2 },
          }),
      })
      .strict()
      .default({
        marketData: { cacheHours: 12, timeoutMs: 10_000 },
        committee: {
          proposalConfidence: 0.65,
          consensus: 0.7,
          weights: { model: 0.4, technical: 0.25, macro: 0.15, analyst: 0.2 },
        },
      })
      .describe('the trading supervisor: prediction service, market data, committee thresholds'),
    mlTraining: z
      .object({
        jobs: z
          .object({
            heartbeatMs: z
              .number()
              .int()
              .min(100)
              .max(60_000)
              .default(1_000)
              .describe('how often a local job writes its heartbeat and the service checks it'),
            stopGraceMs: z
              .number()
              .int()
              .min(0)
              .max(60_000)
              .default(2_000)
              .describe('after SIGTERM, how long a stopped job has before SIGKILL'),
            logTailLines: z.number().int().min(1).max(10_000).default(40).describe('log lines shown by default'),
          })
          .strict()
          .default({ heartbeatMs: 1_000, stopGraceMs: 2_000, logTailLines: 40 }),
        ray: z
          .object({
            address: z
              .url({
                protocol: /^https?$/,
                error: 'expected the http(s) URL of a Ray head node, e.g. http://head:8265',
              })
              .describe("the Ray Jobs REST API (the head node's dashboard port, 8265)"),
            timeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('per request'),
            token: z.string().min(1).optional().describe('sent as a Bearer token; never reported'),
          })
          .strict()
          .optional()
          .describe('a Ray cluster for jobs that need more than this machine; absent: local jobs only'),
        mlflow: z
          .object({
            trackingUri: z
              .url({ protocol: /^https?$/, error: 'expected the http(s) URL of an MLflow tracking server' })
              .describe('runs and models are also logged there through its REST API (/api/2.0/mlflow)'),
            experiment: z.string().min(1).max(200).default('caelum').describe('experiment name runs are logged under'),
            timeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('per request'),
            token: z.string().min(1).optional().describe('sent as a Bearer token; never reported'),
          })
          .strict()
          .optional()
          .describe('an MLflow tracking server; absent: runs are kept in the data dir only'),
      })
      .strict()
      .default({ jobs: { heartbeatMs: 1_000, stopGraceMs: 2_000, logTailLines: 40 } })
      .describe('the ml-training supervisor: job heartbeat and stop grace, Ray cluster, MLflow tracking'),
    monitoring: monitoringConfigSchema,
    mcpServers: z
      .record(
        z.string().regex(serverNamePattern, { error: 'a server name is 1-40 of [A-Za-z0-9_.-]' }),
        z.record(z.string(), z.unknown()),
      )
      .default({})
      .describe(
        'MCP servers mounted behind the supervisors, as Claude Code writes them (command, args, env; or url), plus supervisor, enabled, timeoutMs, allow, deny. A default mount (filesystem, thinking, memory, playwright) is changed or turned off by naming it',
      ),
    mountDefaultServers: z
      .boolean()
      .default(true)
      .describe('mount the default servers Caelum ships (CAELUM_MOUNT_DEFAULTS=0 turns them off)'),
  })
  .strict()
  .superRefine((config, issues) => {
    if (config.embedder.kind === 'onnx' && (!config.embedder.modelPath || !config.embedder.tokenizerPath)) {
      issues.addIssue({
        code: 'custom',
        path: ['embedder', 'modelPath'],
        message: 'the onnx embedder needs modelPath and tokenizerPath (CAELUM_ONNX_MODEL, CAELUM_ONNX_TOKENIZER)',
      });
    }
  });

export type CaelumConfig = z.output<typeof configSchema>;
export type HostConfig = CaelumConfig['ollamaHosts'][number];

export { ConfigError };

/** Flags the CLI understands that feed configuration. */
export interface ConfigFlags {
  config?: string;
  dataDir?: string;
  allowedRoots?: string[];
  http?: number | true;
  host?: string;
  logLevel?: string;
  threshold?: string;
}

type Layer = { values: Record<string, unknown>; origin: Record<string, string> };

export function parseHostList(text: string): { name: string; url: string }[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item, index) => {
      const match = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(item);
      const url = match ? match[2]! : item;
      let name = match?.[1];
      if (!name) {
        try {
          name = new URL(url).hostname.replace(/[^A-Za-z0-9_.-]/g, '') || `host${index + 1}`;
        } catch {
          name = `host${index + 1}`;
        }
      }
      return { name, url };
    });
}

function numberOrRaw(value: string): number | string {
  const trimmed = value.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : value;
}

function fromEnv(env: Record<string, string | undefined>): Layer {
  const values: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  const set = (key: string, variable: string, value: unknown) => {
    values[key] = value;
    origin[key] = `environment variable ${variable}`;
  };
  if (env.CAELUM_DATA_DIR) set('dataDir', 'CAELUM_DATA_DIR', env.CAELUM_DATA_DIR);
  if (env.CAELUM_ALLOWED_ROOTS)
    set(
      'allowedRoots',
      'CAELUM_ALLOWED_ROOTS',
      env.CAELUM_ALLOWED_ROOTS.split(/[,:]/)
        .map((p) => p.trim())
        .filter(Boolean),
    );
  // OpenAI-compatible hosts (vLLM and the like) join the same pool; CAELUM_OPENAI_API_KEY is their bearer key.
  if (env.CAELUM_OLLAMA_HOSTS !== undefined || env.CAELUM_OPENAI_HOSTS !== undefined)
    set(
      'ollamaHosts',
      [
        ...(env.CAELUM_OLLAMA_HOSTS !== undefined ? ['CAELUM_OLLAMA_HOSTS'] : []),
        ...(env.CAELUM_OPENAI_HOSTS !== undefined ? ['CAELUM_OPENAI_HOSTS'] : []),
      ].join(' and '),
      [
        ...parseHostList(env.CAELUM_OLLAMA_HOSTS ?? ''),
        ...parseHostList(env.CAELUM_OPENAI_HOSTS ?? '').map((host) => ({
          ...host,
          api: 'openai',
          ...(env.CAELUM_OPENAI_API_KEY ? { apiKey: env.CAELUM_OPENAI_API_KEY } : {}),
        })),
      ],
    );
  if (env.DATABASE_URL) set('databaseUrl', 'DATABASE_URL', env.DATABASE_URL);
  if (env.CAELUM_CONFIDENCE_THRESHOLD !== undefined)
    set('confidenceThreshold', 'CAELUM_CONFIDENCE_THRESHOLD', numberOrRaw(env.CAELUM_CONFIDENCE_THRESHOLD));
  if (env.CAELUM_LOG_LEVEL) set('logLevel', 'CAELUM_LOG_LEVEL', env.CAELUM_LOG_LEVEL);
  if (env.CAELUM_MOUNT_DEFAULTS !== undefined)
    set('mountDefaultServers', 'CAELUM_MOUNT_DEFAULTS', !/^(0|off|false|no)$/i.test(env.CAELUM_MOUNT_DEFAULTS.trim()));
  if (env.CAELUM_DASHBOARD_ACTIONS !== undefined)
    set('http', 'CAELUM_DASHBOARD_ACTIONS', {
      dashboardActions: !/^(0|off|false|no)$/i.test(env.CAELUM_DASHBOARD_ACTIONS.trim()),
    });
  const service: Record<string, unknown> = {};
  if (env.CAELUM_SERVICE !== undefined) service.enabled = !/^(0|off|false|no)$/i.test(env.CAELUM_SERVICE.trim());
  if (env.CAELUM_SERVICE_IDLE_MINUTES !== undefined) service.idleMinutes = numberOrRaw(env.CAELUM_SERVICE_IDLE_MINUTES);
  if (Object.keys(service).length > 0) set('service', 'CAELUM_SERVICE / CAELUM_SERVICE_IDLE_MINUTES', service);
  const graph: Record<string, unknown> = {};
  if (env.CAELUM_GRAPH_QUERY_TIMEOUT_MS) graph.queryTimeoutMs = numberOrRaw(env.CAELUM_GRAPH_QUERY_TIMEOUT_MS);
  if (env.CAELUM_GRAPH_BUFFER_POOL_MIB) graph.bufferPoolMiB = numberOrRaw(env.CAELUM_GRAPH_BUFFER_POOL_MIB);
  if (env.CAELUM_GRAPH_MAX_RESULT_BYTES) graph.maxResultBytes = numberOrRaw(env.CAELUM_GRAPH_MAX_RESULT_BYTES);
  if (env.CAELUM_MEMORY_CAP_MIB) graph.memoryCapMiB = numberOrRaw(env.CAELUM_MEMORY_CAP_MIB);
  if (Object.keys(graph).length > 0)
    set(
      'graph',
      'CAELUM_GRAPH_QUERY_TIMEOUT_MS / CAELUM_GRAPH_BUFFER_POOL_MIB / CAELUM_GRAPH_MAX_RESULT_BYTES / CAELUM_MEMORY_CAP_MIB',
      graph,
    );
  const budgets: Record<string, unknown> = {};
  if (env.CAELUM_TOOL_RESULT_BYTES) budgets.toolResultBytes = numberOrRaw(env.CAELUM_TOOL_RESULT_BYTES);
  if (env.CAELUM_MEMORY_QUOTA_MIB) budgets.memoryQuotaMiB = numberOrRaw(env.CAELUM_MEMORY_QUOTA_MIB);
  if (env.CAELUM_VECTOR_QUOTA_MIB) budgets.vectorQuotaMiB = numberOrRaw(env.CAELUM_VECTOR_QUOTA_MIB);
  if (Object.keys(budgets).length > 0)
    set('budgets', 'CAELUM_TOOL_RESULT_BYTES / CAELUM_MEMORY_QUOTA_MIB / CAELUM_VECTOR_QUOTA_MIB', budgets);
  const embedder: Record<string, unknown> = {};
  if (env.CAELUM_EMBEDDER) embedder.kind = env.CAELUM_EMBEDDER;
  if (env.CAELUM_EMBEDDER_MODEL) embedder.model = env.CAELUM_EMBEDDER_MODEL;
  if (env.CAELUM_EMBEDDER_DIMENSION) embedder.dimension = numberOrRaw(env.CAELUM_EMBEDDER_DIMENSION);
  if (env.CAELUM_ONNX_MODEL) embedder.modelPath = env.CAELUM_ONNX_MODEL;
  if (env.CAELUM_ONNX_TOKENIZER) embedder.tokenizerPath = env.CAELUM_ONNX_TOKENIZER;
  if (Object.keys(embedder).length > 0)
    set(
      'embedder',
      'CAELUM_EMBEDDER / CAELUM_EMBEDDER_MODEL / CAELUM_EMBEDDER_DIMENSION / CAELUM_ONNX_MODEL / CAELUM_ONNX_TOKENIZER',
      embedder,
    );
  const sources: Record<string, Record<string, unknown>> = {};
  for (const provider of kbProviders) {
    const url = env[`CAELUM_KB_${provider.toUpperCase()}_URL`] ?? env.CAELUM_KB_SOURCES_URL;
    if (url) sources[provider] = { ...sources[provider], baseUrl: url };
  }
  if (env.FRED_API_KEY) sources.fred = { ...sources.fred, apiKey: env.FRED_API_KEY };
  if (env.EIA_API_KEY) sources.eia = { ...sources.eia, apiKey: env.EIA_API_KEY };
  const knowledgeBase: Record<string, unknown> = {};
  if (Object.keys(sources).length > 0) knowledgeBase.sources = sources;
  if (env.CAELUM_KB_MIN_COVERAGE) knowledgeBase.minCoverage = numberOrRaw(env.CAELUM_KB_MIN_COVERAGE);
  if (env.CAELUM_KB_PUBLISH_TO) knowledgeBase.publishTo = env.CAELUM_KB_PUBLISH_TO.trim();
  const replica: Record<string, unknown> = {};
  if (env.CAELUM_KB_REPLICA_SOURCE) replica.source = env.CAELUM_KB_REPLICA_SOURCE.trim();
  if (env.CAELUM_KB_REPLICA_POLL_SECONDS) replica.pollSeconds = numberOrRaw(env.CAELUM_KB_REPLICA_POLL_SECONDS);
  if (Object.keys(replica).length > 0) knowledgeBase.replica = replica;
  if (Object.keys(knowledgeBase).length > 0)
    set(
      'knowledgeBase',
      'CAELUM_KB_SOURCES_URL / CAELUM_KB_<PROVIDER>_URL / FRED_API_KEY / EIA_API_KEY / CAELUM_KB_MIN_COVERAGE / CAELUM_KB_PUBLISH_TO / CAELUM_KB_REPLICA_SOURCE / CAELUM_KB_REPLICA_POLL_SECONDS',
      knowledgeBase,
    );
  const localCost: Record<string, unknown> = {};
  if (env.CAELUM_LOCAL_USD_PER_GPU_HOUR) localCost.usdPerGpuHour = numberOrRaw(env.CAELUM_LOCAL_USD_PER_GPU_HOUR);
  if (env.CAELUM_LOCAL_WATTS) localCost.watts = numberOrRaw(env.CAELUM_LOCAL_WATTS);
  if (env.CAELUM_LOCAL_USD_PER_KWH) localCost.usdPerKwh = numberOrRaw(env.CAELUM_LOCAL_USD_PER_KWH);
  if (Object.keys(localCost).length > 0)
    set('localCost', 'CAELUM_LOCAL_USD_PER_GPU_HOUR / CAELUM_LOCAL_WATTS / CAELUM_LOCAL_USD_PER_KWH', localCost);
  const advisories: Record<string, unknown> = {};
  if (env.CAELUM_ADVISORIES) advisories.source = env.CAELUM_ADVISORIES.trim();
  if (env.CAELUM_OSV_FILE) advisories.osvFile = env.CAELUM_OSV_FILE;
  if (env.CAELUM_OSV_URL) advisories.osvUrl = env.CAELUM_OSV_URL;
  if (env.CAELUM_ADVISORIES_TIMEOUT_MS) advisories.timeoutMs = numberOrRaw(env.CAELUM_ADVISORIES_TIMEOUT_MS);
  if (Object.keys(advisories).length > 0)
    set('development', 'CAELUM_ADVISORIES / CAELUM_OSV_FILE / CAELUM_OSV_URL / CAELUM_ADVISORIES_TIMEOUT_MS', {
      advisories,
    });
  const trading: Record<string, unknown> = {};
  const predictionService: Record<string, unknown> = {};
  if (env.CAELUM_PREDICTION_URL) predictionService.baseUrl = env.CAELUM_PREDICTION_URL;
  if (env.CAELUM_PREDICTION_API_KEY) predictionService.apiKey = env.CAELUM_PREDICTION_API_KEY;
  if (Object.keys(predictionService).length > 0) trading.predictionService = predictionService;
  if (env.CAELUM_MARKET_DATA_URL) trading.marketData = { providerUrl: env.CAELUM_MARKET_DATA_URL };
  if (Object.keys(trading).length > 0)
    set('trading', 'CAELUM_PREDICTION_URL / CAELUM_PREDICTION_API_KEY / CAELUM_MARKET_DATA_URL', trading);
  const mlTraining: Record<string, unknown> = {};
  if (env.CAELUM_RAY_ADDRESS) mlTraining.ray = { address: env.CAELUM_RAY_ADDRESS };
  // MLFLOW_TRACKING_URI is MLflow's own variable and may name what Caelum does not speak (databricks,
  // file:///…/mlruns, sqlite:///…): only an http(s) server is adopted; anything else is left to MLflow's
  // own clients. CAELUM_MLFLOW_URI is Caelum's, and is checked strictly.
  const mlflowTracking = env.MLFLOW_TRACKING_URI?.trim();
  const mlflowUri =
    env.CAELUM_MLFLOW_URI ?? (mlflowTracking && /^https?:\/\//i.test(mlflowTracking) ? mlflowTracking : undefined);
  if (mlflowUri)
    mlTraining.mlflow = {
      trackingUri: mlflowUri,
      ...(env.MLFLOW_TRACKING_TOKEN ? { token: env.MLFLOW_TRACKING_TOKEN } : {}),
      ...(env.MLFLOW_EXPERIMENT_NAME ? { experiment: env.MLFLOW_EXPERIMENT_NAME } : {}),
    };
  if (Object.keys(mlTraining).length > 0)
    set(
      'mlTraining',
      'CAELUM_RAY_ADDRESS / CAELUM_MLFLOW_URI / MLFLOW_TRACKING_URI / MLFLOW_TRACKING_TOKEN',
      mlTraining,
    );
  const monitoring: Record<string, unknown> = {};
  if (env.CAELUM_PROMETHEUS_URL)
    monitoring.prometheus = {
      url: env.CAELUM_PROMETHEUS_URL,
      ...(env.CAELUM_PROMETHEUS_TOKEN ? { bearerToken: env.CAELUM_PROMETHEUS_TOKEN } : {}),
    };
  const alerting: Record<string, unknown> = {};
  if (env.CAELUM_ALERTMANAGER_CONFIG) alerting.configFile = env.CAELUM_ALERTMANAGER_CONFIG;
  if (env.CAELUM_ALERTMANAGER_URL) alerting.alertmanagerUrl = env.CAELUM_ALERTMANAGER_URL;
  if (Object.keys(alerting).length > 0) monitoring.alerting = alerting;
  if (Object.keys(monitoring).length > 0)
    set(
      'monitoring',
      'CAELUM_PROMETHEUS_URL / CAELUM_PROMETHEUS_TOKEN / CAELUM_ALERTMANAGER_CONFIG / CAELUM_ALERTMANAGER_URL',
      monitoring,
    );
  const claude: Record<string, unknown> = {};
  if (env.ANTHROPIC_API_KEY) claude.apiKey = env.ANTHROPIC_API_KEY;
  if (env.ANTHROPIC_BASE_URL) claude.baseUrl = env.ANTHROPIC_BASE_URL;
  if (env.CAELUM_CLAUDE_MODEL) claude.model = env.CAELUM_CLAUDE_MODEL;
  if (env.CAELUM_BASELINE_MODEL) claude.baselineModel = env.CAELUM_BASELINE_MODEL;
  if (Object.keys(claude).length > 0)
    set('claude', 'ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL / CAELUM_CLAUDE_MODEL / CAELUM_BASELINE_MODEL', claude);
  return { values, origin };
}

function fromFlags(flags: ConfigFlags): Layer {
  const values: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  const set = (key: string, flag: string, value: unknown) => {
    values[key] = value;
    origin[key] = `flag ${flag}`;
  };
  if (flags.dataDir) set('dataDir', '--data-dir', flags.dataDir);
  if (flags.allowedRoots?.length) set('allowedRoots', '--allowed-root', flags.allowedRoots);
  if (flags.logLevel) set('logLevel', '--log-level', flags.logLevel);
  if (flags.threshold !== undefined) set('confidenceThreshold', '--threshold', numberOrRaw(flags.threshold));
  const http: Record<string, unknown> = {};
  if (typeof flags.http === 'number') http.port = flags.http;
  if (flags.host) http.host = flags.host;
  if (Object.keys(http).length > 0) set('http', '--http / --host', http);
  return { values, origin };
}

function fromFile(file: string | undefined): Layer & { path?: string } {
  if (!file) return { values: {}, origin: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`config file ${file}: ${(error as Error).message}; fix the JSON or remove the file`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`config file ${file}: expected a JSON object`);
  const values = parsed as Record<string, unknown>;
  return {
    values,
    origin: Object.fromEntries(Object.keys(values).map((key) => [key, `config file ${file}`])),
    path: file,
  };
}

function merge(target: Record<string, unknown>, layer: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(layer)) {
    const current = target[key];
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current &&
      typeof current === 'object' &&
      !Array.isArray(current)
    ) {
      // Deep: an environment variable for knowledgeBase.sources.fred.apiKey keeps the file's baseUrl.
      const merged = { ...(current as Record<string, unknown>) };
      merge(merged, value as Record<string, unknown>);
      target[key] = merged;
    } else {
      target[key] = value;
    }
  }
}

export interface LoadedConfig {
  config: CaelumConfig;
  configFile: string | undefined;
  origin: Record<string, string>;
}

export function loadConfig(flags: ConfigFlags, env: Record<string, string | undefined>, cwd: string): LoadedConfig {
  // Secrets are registered before anything is checked, so that no message below can carry one.
  registerSecrets(undefined, env);
  const defaults: Layer = {
    values: {
      dataDir: defaultDataDir(env),
      allowedRoots: [cwd],
    },
    origin: { dataDir: 'default', allowedRoots: 'default (the working directory)' },
  };
  const explicitFile = flags.config ?? env.CAELUM_CONFIG;
  if (explicitFile && !existsSync(path.resolve(cwd, explicitFile)))
    throw new ConfigError(
      `config file ${explicitFile} does not exist; pass an existing file to --config / CAELUM_CONFIG`,
    );
  const fileCandidate = explicitFile ? path.resolve(cwd, explicitFile) : path.join(cwd, 'caelum.config.json');
  const file = fromFile(existsSync(fileCandidate) ? fileCandidate : undefined);
  const layers = [defaults, file, fromEnv(env), fromFlags(flags)];
  const raw: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const layer of layers) {
    merge(raw, layer.values);
    Object.assign(origin, layer.origin);
  }
  registerSecrets(raw);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.map(String).join('.') || '(config)';
      const from = origin[String(issue.path[0])] ?? 'default';
      const valid =
        issue.code === 'invalid_value' && 'values' in issue
          ? ` Valid values: ${(issue.values as unknown[]).join(', ')}.`
          : '';
      const unknown =
        issue.code === 'unrecognized_keys' ? ` Valid keys: ${Object.keys(configSchema.shape).join(', ')}.` : '';
      return `  ${key} (from ${from}): ${issue.message}.${valid}${unknown}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  config.dataDir = path.resolve(cwd, config.dataDir);
  config.allowedRoots = config.allowedRoots.map((root) => path.resolve(cwd, root));
  config.testRunsAllowed = config.testRunsAllowed.map((directory) => path.resolve(cwd, directory));
  if (config.development.advisories.osvFile)
    config.development.advisories.osvFile = path.resolve(cwd, config.development.advisories.osvFile);
  if (config.trading.marketData.directory)
    config.trading.marketData.directory = path.resolve(cwd, config.trading.marketData.directory);
  if (config.monitoring.alerting.configFile)
    config.monitoring.alerting.configFile = path.resolve(cwd, config.monitoring.alerting.configFile);
  if (config.monitoring.fleet.model)
    config.monitoring.fleet.model.path = path.resolve(cwd, config.monitoring.fleet.model.path);
  // The Alertmanager YAML, fleet profiles and escalation receivers are checked now, not at first use.
  monitoringEnvironment(config.monitoring);
  checkMounts(config, origin.mcpServers ?? 'default', env);
  for (const [index, root] of config.allowedRoots.entries()) {
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      throw new ConfigError(
        `invalid configuration:\n  allowedRoots.${index} (from ${origin.allowedRoots}): ${root} is not an existing directory`,
      );
    }
  }
  const names = new Set<string>();
  for (const host of config.ollamaHosts) {
    if (names.has(host.name))
      throw new ConfigError(
        `invalid configuration:\n  ollamaHosts (from ${origin.ollamaHosts}): two hosts are named "${host.name}"; names must be unique`,
      );
    names.add(host.name);
  }
  return { config, configFile: file.path, origin };
}

/** For the CLI: the configuration, or undefined after printing what is wrong with it. */
export function loadConfigOrReport(
  flags: ConfigFlags,
  env: Record<string, string | undefined>,
  cwd: string,
  report: (message: string) => void,
): LoadedConfig | undefined {
  try {
    return loadConfig(flags, env, cwd);
  } catch (error) {
    if (error instanceof ConfigError) {
      report(`caelum: ${error.message}`);
      return undefined;
    }
    throw error;
  }
}

/** Checks every mcpServers entry (a partial entry only for a default mount) now, not at first use. */
function checkMounts(config: CaelumConfig, from: string, env: Record<string, string | undefined>): void {
  const defaults = new Set(
    config.mountDefaultServers ? defaultMounts(config.allowedRoots, config.dataDir, env).map((m) => m.name) : [],
  );
  const lines: string[] = [];
  for (const [name, entry] of Object.entries(config.mcpServers)) {
    const partial = defaults.has(name) && !('command' in entry) && !('url' in entry);
    const checked = partial ? mountOverrideSchema.safeParse(entry) : mountSchema.safeParse(entry);
    if (checked.success) continue;
    for (const issue of checked.error.issues) {
      const key = ['mcpServers', name, ...issue.path.map(String)].join('.');
      const valid =
        issue.code === 'invalid_value' && 'values' in issue
          ? ` Valid values: ${(issue.values as unknown[]).join(', ')}.`
          : '';
      lines.push(`  ${key} (from ${from}): ${issue.message}.${valid}`);
    }
  }
  if (lines.length > 0) throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}
