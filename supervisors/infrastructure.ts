// The infrastructure supervisor: the GPU pool, hosts and services.
import { z } from 'zod';
import { getHostResources } from '../tools/infrastructure/host-resources.js';
import { checkServices } from '../tools/infrastructure/check-services.js';
import {
  getPoolStatus as poolStatusTool,
  poolStatusSchema,
  probeHosts,
  pullModel,
  tierFix,
  setHostEnabled,
  tierLines,
  tierRow,
  unloadModel,
} from '../tools/infrastructure/pool-tools.js';
import { InputError } from '../tools/errors.js';
import { defaultClaudeModel, modelNotices } from '../gpu-pool/prices.js';
import { currentSource, graphSourceSchema, sourceLine } from '../tools/knowledge-base/sample-tools.js';
import { defineHighLevelTool, type Supervisor, type SupervisorCall } from './high-level-tool.js';

type Resources = z.output<typeof getHostResources.output>;
type Services = z.output<typeof checkServices.output>['services'];

const missingItem = z.object({
  severity: z.enum(['error', 'warning', 'info']),
  what: z.string(),
  impact: z.string(),
  fix: z.string(),
});
type Missing = z.infer<typeof missingItem>;

async function step<T>(call: SupervisorCall, name: string, args: unknown): Promise<T> {
  return (await call.runOrFail(name, args)).output as T;
}

/** What is missing or broken, each with its impact and the fix. */
export function diagnose(resources: Resources, services: Services): Missing[] {
  const missing: Missing[] = [];
  for (const service of services) {
    if (service.service === 'ollama') {
      if (!service.configured) {
        missing.push({
          severity: 'warning',
          what: 'no Ollama host',
          impact: 'LLM steps have no local model; deterministic tools still run',
          fix: 'set CAELUM_OLLAMA_HOSTS=http://gpu-host:11434 (comma-separated; name=url allowed) or add ollamaHosts to caelum.config.json',
        });
      } else if (!service.reachable) {
        missing.push({
          severity: 'error',
          what: `Ollama host ${service.name} unreachable (${service.detail})`,
          impact: 'its models are unavailable; work goes to the other hosts or to Claude',
          fix: `check that \`ollama serve\` runs on ${service.target} and listens beyond localhost (OLLAMA_HOST=0.0.0.0), or disable the host`,
        });
      }
    } else if (service.service === 'claude') {
      if (!service.configured) {
        missing.push({
          severity: 'info',
          what: 'no Claude API key',
          impact: 'no Claude fallback: LLM work can use local models only',
          fix: 'export ANTHROPIC_API_KEY=… (and ANTHROPIC_BASE_URL for a proxy)',
        });
      } else if (!service.reachable) {
        missing.push({
          severity: 'error',
          what: `Claude API unreachable (${service.detail})`,
          impact: 'escalations past local models fail',
          fix: 'check network access to the endpoint, or set ANTHROPIC_BASE_URL to a reachable proxy',
        });
      }
    } else if (service.service === 'postgresql') {
      if (!service.configured) {
        missing.push({
          severity: 'info',
          what: 'no DATABASE_URL',
          impact: 'the cost ledger is local JSONL, not shared between Caelum instances',
          fix: 'set DATABASE_URL=postgres://user@host:5432/db to share one ledger',
        });
      } else if (!service.reachable) {
        missing.push({
          severity: 'error',
          what: `PostgreSQL unreachable (${service.detail})`,
          impact: 'the shared ledger cannot be written',
          fix: `start PostgreSQL or correct DATABASE_URL (${service.target})`,
        });
      }
    } else if (service.service === 'data-dir' && !service.reachable) {
      missing.push({
        severity: 'error',
        what: `data directory not writable (${service.detail})`,
        impact: 'ledger, indexes and checkpoints cannot be saved',
        fix: `make ${service.target} writable or set CAELUM_DATA_DIR to a writable directory`,
      });
    }
  }
  if (resources.disk.freeGiB < 1) {
    missing.push({
      severity: 'warning',
      what: `only ${resources.disk.freeGiB} GiB free at ${resources.disk.path}`,
      impact: 'snapshots and indexes may fail to write',
      fix: 'free disk space or point CAELUM_DATA_DIR at a larger disk',
    });
  }
  return missing;
}

/** A tier that no healthy host can serve, with what that breaks and the model to pull. */
export function unservedTiers(tiers: readonly z.input<typeof tierRow>[]): Missing[] {
  return tiers
    .filter((t) => !t.model)
    .map((t) => ({
      severity: 'warning' as const,
      what: `no healthy Ollama host serves the ${t.tier} tier (${t.note ?? 'no model'})`,
      impact:
        t.tier === 'embed'
          ? 'embeddings through Ollama fail (the ONNX and lexical embedders do not need a host)'
          : `LLM steps of the ${t.tier} tier go to Claude when configured, else fail`,
      fix: tierFix(t).replace(/^fix: /, ''),
    }));
}

const getSystemStatus = defineHighLevelTool({
  name: 'getSystemStatus',
  owner: 'infrastructure',
  title: 'System status',
  description: 'Health of this installation (services, pool, knowledge) and what is missing, with fixes. Example: {}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    timeoutMs: z.number().int().min(100).max(30000).default(2000).describe('Per service probe.'),
  }),
  output: z.object({
    healthy: z.boolean().describe('true when nothing is at error severity'),
    resources: getHostResources.output,
    services: checkServices.output.shape.services,
    pool: z.object({
      mode: z.string(),
      hosts: z.array(z.object({ name: z.string(), url: z.string(), health: z.string(), probed: z.boolean() })),
      claudeConfigured: z.boolean(),
      tiers: z.array(tierRow).describe('what each model tier resolves to, and the tiers no healthy host serves'),
    }),
    knowledge: z.object({
      graph: z.object({ available: z.boolean(), detail: z.string() }),
      vectors: z.object({ available: z.boolean(), detail: z.string() }),
      access: z
        .enum(['read-write', 'read-only', 'unavailable', 'unopened'])
        .describe('how this process holds the graph; read-only or unavailable when another Caelum process holds it'),
      accessReason: z.string().optional(),
      source: graphSourceSchema.optional(),
      replica: z
        .object({
          location: z.string(),
          pollSeconds: z.number(),
          lastPollAt: z.string().optional(),
          lastError: z.string().optional(),
          lastErrorAt: z.string().optional(),
          lastLoad: z
            .object({ name: z.string(), publishToServingMs: z.number(), downloadMs: z.number(), loadMs: z.number() })
            .optional(),
        })
        .optional()
        .describe('set when this instance follows the snapshots published to a shared location'),
    }),
    catalogue: z.object({ internalTools: z.number().int(), byDomain: z.record(z.string(), z.number().int()) }),
    runtime: z.object({ mode: z.enum(['service', 'in-process']), detail: z.string() }),
    missing: z.array(missingItem),
  }),
  examples: [{}, { timeoutMs: 500 }],
  async handler(input, call) {
    const [resources, services] = await Promise.all([
      step<Resources>(call, getHostResources.name, {}),
      step<{ services: Services }>(call, checkServices.name, { timeoutMs: input.timeoutMs }),
    ]);
    const mode = call.context.knowledge.mode();
    // Only a graph this process already opened is asked: a status check never opens Kuzu.
    const source = mode.access === 'unopened' ? undefined : await currentSource(call.context);
    const pool = call.context.pool.status();
    const tiers = pool.tiers.map((t) =>
      Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)),
    ) as z.input<typeof tierRow>[];
    const missing = [...diagnose(resources, services.services), ...unservedTiers(tiers)];
    const settings = call.context.pool.costSettings();
    for (const notice of modelNotices(
      { escalation: settings.escalationModel, baseline: settings.baselineModel },
      new Date(),
    ))
      missing.push({
        severity: notice.status === 'retired' && notice.role === 'escalation' ? 'error' : 'warning',
        what: notice.message,
        impact:
          notice.role === 'escalation'
            ? notice.status === 'retired'
              ? 'escalations to Claude fail'
              : 'escalations use a model that is being withdrawn'
            : 'savings are priced against a model no one would run today',
        fix: `set ${notice.role === 'escalation' ? 'claude.model (CAELUM_CLAUDE_MODEL)' : 'claude.baselineModel (CAELUM_BASELINE_MODEL)'} to a current model such as ${defaultClaudeModel}`,
      });
    if (!settings.localCostConfigured)
      missing.push({
        severity: 'info',
        what: 'no local compute cost',
        impact: 'local model time is priced at $0, so each saving is the whole Claude baseline',
        fix: 'set localCost.usdPerGpuHour, or localCost.watts and localCost.usdPerKwh (CAELUM_LOCAL_USD_PER_GPU_HOUR / CAELUM_LOCAL_WATTS + CAELUM_LOCAL_USD_PER_KWH)',
      });
    if (source?.kind === 'sample')
      missing.push({
        severity: 'info',
        what: 'the knowledge graph holds the bundled sample, not a snapshot build',
        impact: `statistics have values only where a recording was shipped (${(source.recordings ?? []).map((r) => `${r.stat} ${r.countries.join('/')}`).join(', ') || 'none'}); the rest is the catalogue's structure`,
        fix: 'build and publish a snapshot: caelum kb build --publish (needs network; FRED_API_KEY and EIA_API_KEY for those providers)',
      });
    // What it serves is the graph's own record (source above); the poller adds where from and how it goes.
    const polled = call.context.environment.knowledgeBase?.replica?.();
    const replica = polled
      ? {
          location: polled.location,
          pollSeconds: polled.pollSeconds,
          ...(polled.lastPollAt ? { lastPollAt: polled.lastPollAt } : {}),
          ...(polled.lastError ? { lastError: polled.lastError, lastErrorAt: polled.lastErrorAt } : {}),
          ...(polled.lastLoad ? { lastLoad: polled.lastLoad } : {}),
        }
      : undefined;
    if (replica?.lastError)
      missing.push({
        severity: 'warning',
        what: `the knowledge replica could not load from ${replica.location}: ${replica.lastError}`,
        impact: `the graph keeps serving ${source?.snapshot ?? 'what it held'}; newer snapshots wait`,
        fix: 'check the shared location and its latest.json; a corrupt tarball must be published again',
      });
    // Mounted MCP servers that failed (read from their state; nothing is started for this).
    for (const mount of call.context.environment.mounts?.list() ?? []) {
      if (mount.state === 'broken' || mount.state === 'backoff')
        missing.push({
          severity: 'warning',
          what: `mounted MCP server "${mount.name}" is ${mount.state === 'broken' ? 'broken (its breaker is open)' : 'restarting after a failure'}: ${mount.lastError ?? 'unknown error'}`,
          impact: `its ${mount.tools} tools fail until it starts`,
          fix: `fix mcpServers.${mount.name} in caelum.config.json (infrastructure_list_mcp_servers shows its stderr), then infrastructure_restart_mcp_server {"name":"${mount.name}"}`,
        });
      else if (mount.note && mount.enabled)
        missing.push({
          severity: 'info',
          what: `mounted MCP server "${mount.name}": ${mount.note}`,
          impact: 'some of its tools fail',
          fix: 'see the note',
        });
    }
    const byDomain: Record<string, number> = {};
    for (const tool of call.registry.all()) byDomain[tool.domain] = (byDomain[tool.domain] ?? 0) + 1;
    const result = {
      healthy: !missing.some((m) => m.severity === 'error'),
      resources,
      services: services.services,
      pool: {
        mode: pool.mode,
        hosts: pool.hosts.map((h) => ({ name: h.name, url: h.url, health: h.health, probed: h.probed })),
        claudeConfigured: pool.claudeConfigured,
        tiers,
      },
      knowledge: {
        ...call.context.knowledge.status(),
        access: mode.access,
        ...(mode.reason ? { accessReason: mode.reason } : {}),
        ...(source ? { source } : {}),
        ...(replica ? { replica } : {}),
      },
      catalogue: { internalTools: call.registry.size, byDomain },
      runtime: call.context.environment.runtime?.() ?? {
        mode: 'in-process' as const,
        detail: 'this command in its own process; no shared service is running',
      },
      missing,
    };
    const serviceLines = services.services.map(
      (s) => `  ${s.configured ? (s.reachable ? 'ok  ' : 'FAIL') : '--  '} ${s.service}: ${s.detail}`,
    );
    const missingLines = missing.map((m) => `  [${m.severity}] ${m.what}: ${m.impact}. Fix: ${m.fix}`);
    const text = [
      `Caelum is ${result.healthy ? 'healthy' : 'NOT healthy'}; LLM pool mode: ${pool.mode}.`,
      `Host: ${resources.cpu.cores} cores (load ${resources.cpu.loadAverage.join('/')}), ${resources.memory.freeGiB}/${resources.memory.totalGiB} GiB memory free, ${resources.disk.freeGiB} GiB free at ${resources.disk.path}, Node ${resources.runtime.node}.`,
      'Services:',
      ...serviceLines,
      ...(tiers.length ? ['Model tiers:', ...tierLines(tiers)] : []),
      `Knowledge graph: ${mode.access}${mode.reason ? ` (${mode.reason})` : ''}.`,
      ...(source ? [`  ${sourceLine(source)}`] : []),
      ...(replica
        ? [
            `  Replica of ${replica.location}: polled every ${replica.pollSeconds} s, last ${replica.lastPollAt ?? 'not yet'}${replica.lastError ? `; last error: ${replica.lastError}` : ''}.`,
          ]
        : []),
      `Catalogue: ${call.registry.size} internal tools.`,
      `Serving: ${result.runtime.mode}: ${result.runtime.detail}.`,
      missing.length ? 'Missing or broken:' : 'Nothing missing.',
      ...missingLines,
    ].join('\n');
    return { result, text };
  },
});

const getPoolStatus = defineHighLevelTool({
  name: 'getPoolStatus',
  owner: 'infrastructure',
  title: 'GPU pool status',
  description: 'LLM pool hosts (health, models, VRAM, load, latency), tiers, Claude fallback. Example: {"probe":true}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    probe: z.boolean().default(false).describe('Probe hosts first.'),
  }),
  output: poolStatusSchema,
  examples: [{}, { probe: true }],
  async handler(input, call) {
    const outcome = await call.runOrFail(input.probe ? probeHosts.name : poolStatusTool.name, {});
    return {
      result: outcome.output as z.output<typeof poolStatusSchema>,
      text: poolStatusTool.summarize!(outcome.output as never),
    };
  },
});

const operations = {
  enable: { tool: setHostEnabled.name, needs: ['host'], destructive: false },
  disable: { tool: setHostEnabled.name, needs: ['host'], destructive: true },
  pull: { tool: pullModel.name, needs: ['host', 'model'], destructive: false },
  unload: { tool: unloadModel.name, needs: ['host', 'model'], destructive: true },
  reprobe: { tool: probeHosts.name, needs: [], destructive: false },
} as const;

const managePool = defineHighLevelTool({
  name: 'managePool',
  owner: 'infrastructure',
  title: 'Manage the GPU pool',
  description:
    'Enables or disables pool hosts, pulls or unloads models, re-probes hosts. Example: {"operation":"pull","host":"gpu1","model":"qwen3:4b"}',
  kind: { effect: 'destructive', openWorld: true },
  input: z.object({
    operation: z.enum(['enable', 'disable', 'pull', 'unload', 'reprobe']).describe('What to do.'),
    host: z.string().min(1).optional().describe('Not for reprobe.'),
    model: z.string().min(1).optional().describe('For pull and unload.'),
    confirm: z.boolean().default(false).describe('true to disable or unload.'),
  }),
  output: z.object({ operation: z.string(), detail: z.record(z.string(), z.unknown()) }),
  examples: [{ operation: 'reprobe' }, { operation: 'enable', host: 'gpu1' }],
  async handler(input, call) {
    const spec = operations[input.operation];
    for (const field of spec.needs) {
      if (!input[field])
        throw new InputError(
          field,
          `${input.operation} needs a ${field}; e.g. {"operation": "${input.operation}", "host": "gpu1"${field === 'model' ? ', "model": "qwen3:4b"' : ''}}`,
        );
    }
    if (spec.destructive && !input.confirm)
      throw new InputError('confirm', `${input.operation} is destructive; pass confirm: true to do it`);
    const args =
      input.operation === 'reprobe'
        ? {}
        : input.operation === 'enable' || input.operation === 'disable'
          ? { host: input.host, enabled: input.operation === 'enable' }
          : { host: input.host, model: input.model };
    const outcome = await call.runOrFail(spec.tool, args, { confirm: true });
    return { result: { operation: input.operation, detail: outcome.output }, text: outcome.text };
  },
});

export const infrastructureSupervisor: Supervisor = {
  name: 'infrastructure',
  description: 'The GPU pool, hosts and services.',
  tools: [getSystemStatus, getPoolStatus, managePool],
};
