// Internal tools over the model pool: status, host enable/disable, model pull and unload,
// re-probe, and a completion through the confidence cascade.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { PoolError } from '../../gpu-pool/pool-error.js';
import { InputError, ToolError } from '../errors.js';

const hostRow = z.object({
  name: z.string(),
  url: z.string(),
  gpu: z.string().optional(),
  vramGiB: z.number().optional(),
  enabled: z.boolean(),
  health: z.enum(['unknown', 'healthy', 'degraded', 'down']),
  version: z.string().optional(),
  models: z.array(z.string()),
  resident: z
    .array(z.object({ name: z.string(), vramBytes: z.number() }))
    .describe('models loaded in memory, with their VRAM'),
  inFlight: z.number().int(),
  queued: z.number().int().describe('requests waiting for a slot'),
  breaker: z.enum(['closed', 'open', 'half-open']),
  ewmaLatencyMs: z.number().optional(),
  lastError: z.string().optional(),
});

export const tierRow = z.object({
  tier: z.enum(['micro', 'small', 'full', 'large', 'code', 'embed']),
  wanted: z.string().describe('the configured model of the tier, or its built-in default'),
  model: z.string().optional().describe('the model the tier resolves to now; absent when no healthy host serves one'),
  hosts: z.array(z.string()).describe('healthy hosts that serve the tier with that model'),
  substituted: z.boolean().describe('true when the tier runs on another model than the one wanted'),
  note: z.string().optional().describe('why it was substituted, or why nothing serves the tier'),
});

export const poolStatusSchema = z.object({
  mode: z.enum(['local-and-claude', 'local-only', 'claude-only', 'none']),
  claudeConfigured: z.boolean(),
  hosts: z.array(hostRow),
  tiers: z.array(tierRow).describe('what each model tier resolves to; empty when no Ollama host is configured'),
});

/** What to do about a tier nothing serves: wait for the first probe, or pull a model. */
export function tierFix(t: z.input<typeof tierRow>): string {
  if (t.note === 'the hosts are still being probed') return 'wait a moment for the first probe (or managePool reprobe)';
  return `fix: ollama pull ${t.wanted.replace(/:latest$/, '')} on a host, or set tierModels.${t.tier} to a model a host has`;
}

/** One line per tier: its model and hosts, what it replaced, or that nothing serves it. */
export function tierLines(tiers: readonly z.input<typeof tierRow>[]): string[] {
  return tiers.map((t) => {
    if (!t.model) return `  tier ${t.tier}: NOT SERVED: ${t.note ?? 'no model on a healthy host'}; ${tierFix(t)}`;
    const where = `${t.model} on ${t.hosts.join(', ')}`;
    return t.substituted
      ? `  tier ${t.tier}: ${where} (in place of ${t.wanted}: ${t.note ?? 'not on a healthy host'})`
      : `  tier ${t.tier}: ${where}`;
  });
}

/** The internal tool's output: the high-level status plus the limits shared with other instances. */
const internalPoolStatusSchema = poolStatusSchema.extend({
  coordination: z
    .object({
      mode: z.enum(['postgresql', 'local-fallback']),
      instance: z.string(),
      operations: z.record(z.string(), z.number()).describe('coordination statements sent, by kind'),
      fallbacks: z.number().int().describe("acquisitions that fell back to this instance's own limits"),
      lastError: z.string().optional(),
    })
    .optional()
    .describe('present when host limits and the Claude budget are shared through PostgreSQL (DATABASE_URL)'),
});

function hostsOf(context: {
  pool: {
    status(): z.input<typeof poolStatusSchema> & {
      coordination?: z.input<typeof internalPoolStatusSchema>['coordination'];
    };
  };
}) {
  const status = context.pool.status();
  return {
    ...(status.coordination
      ? {
          coordination: Object.fromEntries(
            Object.entries(status.coordination).filter(([, v]) => v !== undefined),
          ) as z.input<typeof internalPoolStatusSchema>['coordination'],
        }
      : {}),
    mode: status.mode,
    claudeConfigured: status.claudeConfigured,
    tiers: status.tiers.map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined))) as z.input<
      typeof tierRow
    >[],
    hosts: status.hosts.map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined))) as z.input<
      typeof hostRow
    >[],
  };
}

export function requireHost(context: { pool: { status(): z.input<typeof poolStatusSchema> } }, host: string): void {
  const names = context.pool.status().hosts.map((h) => h.name);
  if (!names.includes(host))
    throw new InputError(
      'host',
      `no Ollama host named "${host}"; configured hosts: ${names.join(', ') || 'none (set CAELUM_OLLAMA_HOSTS)'}`,
    );
}

/** A request the host refused (a model name it rejects, or an OpenAI host asked to manage models) is the caller's to fix. */
function refusedAsInput(error: unknown): never {
  if (error instanceof PoolError && error.code === 'BAD_REQUEST') throw new InputError('host', error.message);
  throw error;
}

export const getPoolStatus = defineTool({
  name: 'infrastructure_get_pool_status',
  domain: 'infrastructure',
  tags: ['pool', 'gpu', 'ollama', 'hosts', 'models', 'vram', 'health', 'breaker', 'queue'],
  requests: [
    'status of the GPU pool',
    'which models are loaded on which host',
    'VRAM and queue per Ollama host',
    'are the GPU hosts healthy',
    'which models are loaded on the GPU hosts',
    'is the GPU pool up',
    'models resident in VRAM per host',
  ],
  title: 'Pool status',
  description:
    "Lists every Ollama host of the GPU pool with its health (healthy, degraded, down), installed models, resident models and their VRAM, requests in flight and queued, circuit-breaker state and latency; each model tier (micro, small, full, large, code, embed) with the model it resolves to and the hosts that serve it, or that nothing serves it; plus whether Claude is configured. Reads the pool's last probe; it does not probe. Example: {}",
  kind: { effect: 'readOnly' },
  input: z.object({}),
  output: internalPoolStatusSchema,
  examples: [{}],
  handler: async (_input, context) => hostsOf(context),
  summarize: (o) =>
    [
      `pool mode ${o.mode}; Claude ${o.claudeConfigured ? 'configured' : 'not configured'}`,
      ...(o.coordination
        ? [
            o.coordination.mode === 'postgresql'
              ? `host limits, queues and the Claude budget shared with other instances through PostgreSQL (this instance ${o.coordination.instance.slice(0, 8)})`
              : `host limits fall back to this instance's own: PostgreSQL did not answer (${o.coordination.lastError ?? 'unknown error'})`,
          ]
        : []),
      ...o.hosts.map(
        (h) =>
          `  ${h.name} ${h.health}${h.enabled ? '' : ' (disabled)'} ${h.url}: ${h.models.length} models, resident ${h.resident.map((r) => r.name).join(', ') || 'none'}; ${h.inFlight} running, ${h.queued} queued; breaker ${h.breaker}${h.lastError ? `; last error: ${h.lastError}` : ''}`,
      ),
      ...tierLines(o.tiers),
    ].join('\n'),
});

export const setHostEnabled = defineTool({
  name: 'infrastructure_set_host_enabled',
  domain: 'infrastructure',
  tags: ['pool', 'host', 'enable', 'disable', 'maintenance'],
  requests: [
    'disable an Ollama host for maintenance',
    're-enable a host in the pool',
    'stop routing requests to a host',
    'take a host offline',
    'pause routing to a GPU server',
    'put a host back into the pool',
  ],
  title: 'Enable or disable a host',
  description:
    'Takes an Ollama host out of the pool (no new requests go to it; running ones finish) or puts it back. Disabling is destructive for capacity and needs confirm: true. Example: {"host": "gpu1", "enabled": false}',
  kind: { effect: 'destructive', idempotent: true },
  input: z.object({
    host: z.string().min(1).describe('Host name as configured, e.g. "gpu1".'),
    enabled: z.boolean().describe('true to put the host back, false to take it out.'),
  }),
  output: z.object({ host: z.string(), enabled: z.boolean() }),
  examples: [{ host: 'gpu1', enabled: true }],
  async handler(input, context) {
    requireHost(context, input.host);
    context.pool.setHostEnabled(input.host, input.enabled);
    return { host: input.host, enabled: input.enabled };
  },
  summarize: (o) => `${o.host} is now ${o.enabled ? 'enabled' : 'disabled'}`,
});

export const probeHosts = defineTool({
  name: 'infrastructure_probe_hosts',
  domain: 'infrastructure',
  tags: ['pool', 'probe', 'health', 'ollama'],
  requests: [
    'probe the Ollama hosts again',
    'refresh host health now',
    'check whether generation works on every host',
    'health check of the GPU hosts right now',
    'force a fresh health check of the pool',
    'is generation hanging on a host',
  ],
  title: 'Re-probe the pool',
  description:
    'Probes every enabled Ollama host now (discovery plus a one-token generation, because Ollama\'s "/" says running even when generation hangs) and returns the fresh pool status. Example: {}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({}),
  output: poolStatusSchema,
  examples: [{}],
  async handler(_input, context) {
    await context.pool.reprobe();
    return hostsOf(context);
  },
  summarize: (o) =>
    [
      o.hosts.map((h) => `${h.name}: ${h.health}`).join('; ') || 'no Ollama hosts configured',
      ...tierLines(o.tiers),
    ].join('\n'),
});

export const pullModel = defineTool({
  name: 'infrastructure_pull_model',
  domain: 'infrastructure',
  tags: ['pool', 'model', 'pull', 'download', 'ollama'],
  requests: [
    'pull a model onto a GPU host',
    'download an Ollama model',
    'add a model to a host',
    'fetch a model onto an Ollama server',
    'make a model available on a GPU machine',
  ],
  title: 'Pull a model onto a host',
  description:
    'Has an Ollama host download a model (ollama pull), reporting progress as it goes; the host is re-probed afterwards so routing sees the model. Example: {"host": "gpu1", "model": "qwen3:4b"}',
  kind: { effect: 'action', openWorld: true, idempotent: true },
  input: z.object({
    host: z.string().min(1).describe('Host name as configured.'),
    model: z
      .string()
      .regex(/^[a-zA-Z0-9._/-]+(:[a-zA-Z0-9._-]+)?$/, { error: 'expected an Ollama model name such as qwen3:4b' })
      .describe('Model to pull, e.g. "qwen3:4b".'),
  }),
  output: z.object({ host: z.string(), model: z.string(), status: z.string() }),
  examples: [{ host: 'gpu1', model: 'qwen3:4b' }],
  async handler(input, context) {
    requireHost(context, input.host);
    let last = '';
    await context.pool
      .pull(
        input.host,
        input.model,
        (status, completed, total) => {
          last = status;
          if (completed !== undefined && total) context.progress(completed, total, status);
        },
        context.signal,
      )
      .catch(refusedAsInput);
    return { host: input.host, model: input.model, status: last };
  },
  summarize: (o) => `${o.model} pulled on ${o.host} (${o.status})`,
});

export const unloadModel = defineTool({
  name: 'infrastructure_unload_model',
  domain: 'infrastructure',
  tags: ['pool', 'model', 'unload', 'vram', 'ollama'],
  requests: [
    'unload a model to free VRAM',
    'evict a resident model from a host',
    'release GPU memory',
    'remove a loaded model from GPU memory',
    'evict a model from VRAM',
    'free GPU memory on a host',
  ],
  title: 'Unload a model from a host',
  description:
    'Evicts a model from a host\'s memory (keep_alive 0), freeing its VRAM; the next request for it pays the load time again. Destructive: needs confirm: true. Example: {"host": "gpu1", "model": "qwen3:30b"}',
  kind: { effect: 'destructive', openWorld: true, idempotent: true },
  input: z.object({
    host: z.string().min(1).describe('Host name as configured.'),
    model: z.string().min(1).describe('Model to unload, e.g. "qwen3:30b".'),
  }),
  output: z.object({ host: z.string(), model: z.string(), unloaded: z.boolean() }),
  examples: [{ host: 'gpu1', model: 'qwen3:4b' }],
  async handler(input, context) {
    requireHost(context, input.host);
    await context.pool.unload(input.host, input.model, context.signal).catch(refusedAsInput);
    return { host: input.host, model: input.model, unloaded: true };
  },
  summarize: (o) => `${o.model} unloaded from ${o.host}`,
});

export const runCompletion = defineTool({
  name: 'infrastructure_run_completion',
  domain: 'infrastructure',
  tags: ['llm', 'completion', 'prompt', 'ollama', 'claude', 'cascade', 'cheap'],
  requests: [
    'run a prompt on a local model',
    'cheapest model that can answer this question',
    'LLM completion through the pool with Claude fallback',
    'ask a local LLM instead of Claude',
    'offload a simple question to a local model',
    'cheapest confident model for a prompt',
  ],
  title: 'Run a completion through the pool',
  description:
    'Answers a prompt with the cheapest model that is confident enough: local Ollama tiers first, escalating by confidence, Claude last. Returns the answer, its confidence, which model answered, and the tokens, cost and saving of every step. Use it to offload simple questions from an expensive model. Example: {"prompt": "Summarise: ...", "tier": "small"}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    prompt: z.string().min(1).describe('The question or instruction.'),
    system: z.string().optional().describe('Optional system prompt.'),
    tier: z
      .enum(['micro', 'small', 'full', 'large', 'code'])
      .default('small')
      .describe('Cheapest tier to start from. Default "small".'),
    json: z
      .boolean()
      .default(false)
      .describe('Ask for a JSON object with a "confidence" field and judge it by validity and that self-rating.'),
    samples: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(1)
      .describe('Samples per tier; more than 1 measures agreement. Default 1.'),
    threshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('Confidence needed to stop escalating; default from configuration (0.75).'),
    maxTokens: z.number().int().min(1).max(8192).default(1024).describe('Most output tokens. Default 1024.'),
  }),
  output: z.object({
    text: z.string(),
    value: z.unknown().optional().describe('the parsed JSON object when json: true'),
    confidence: z.number(),
    threshold: z.number(),
    lowConfidence: z.boolean(),
    answeredBy: z.object({ backend: z.enum(['ollama', 'claude']), host: z.string().optional(), model: z.string() }),
    outcome: z
      .enum(['accepted_local', 'escalated', 'failed'])
      .describe(
        'accepted_local: the first local tier was confident enough; escalated: a larger tier or Claude answered; failed: no answer met the threshold',
      ),
    reason: z.string().optional().describe('why the call escalated or failed'),
    costUsd: z.number().describe('every attempt: local model time plus Claude'),
    baselineCostUsd: z.number().describe('the answer at the baseline Claude model'),
    savingUsd: z.number().describe('booked only for an accepted local answer'),
  }),
  examples: [{ prompt: 'Say hello in one word.' }],
  async handler(input, context) {
    const schema = input.json ? z.object({ confidence: z.number().min(0).max(1).optional() }).passthrough() : undefined;
    try {
      const result = await context.pool.complete({
        prompt: input.json
          ? `${input.prompt}\n\nAnswer with one JSON object and include a "confidence" field from 0 to 1.`
          : input.prompt,
        system: input.system,
        tier: input.tier,
        schema,
        samples: input.samples,
        threshold: input.threshold,
        maxTokens: input.maxTokens,
      });
      return {
        text: result.text,
        ...(input.json ? { value: result.value } : {}),
        confidence: result.confidence,
        threshold: result.threshold,
        lowConfidence: result.lowConfidence,
        answeredBy: result.answeredBy,
        outcome: result.call.outcome,
        ...(result.call.reason ? { reason: result.call.reason } : {}),
        costUsd: result.call.costUsd,
        baselineCostUsd: result.call.baselineCostUsd,
        savingUsd: result.call.savingUsd,
      };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'NO_HEALTHY_HOST') throw new ToolError('NOT_CONFIGURED', (error as Error).message, { cause: error });
      throw error;
    }
  },
  summarize: (o) =>
    `${o.text}\n\n(${o.answeredBy.backend} ${o.answeredBy.model}${o.answeredBy.host ? ` on ${o.answeredBy.host}` : ''}; confidence ${o.confidence}${o.lowConfidence ? ', below the threshold' : ''}; ${o.outcome.replace('_', ' ')}${o.reason ? `: ${o.reason}` : ''}; cost $${o.costUsd.toFixed(6)}, saved $${o.savingUsd.toFixed(6)})`,
});
