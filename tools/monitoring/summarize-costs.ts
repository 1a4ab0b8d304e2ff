// monitoring_summarize_costs: totals from the cost ledger, grouped, with the saving against an
// all-Claude baseline.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { localCostHelp } from '../../gpu-pool/local-cost.js';

const totals = {
  calls: z.number().int().describe('LLM calls (one complete(), whatever its attempts) and embedding requests'),
  attempts: z.number().int().describe('attempts on a host or on Claude'),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number().describe('every attempt: local model time at the configured rate, plus Claude'),
  baselineCostUsd: z.number().describe('the answers priced at the configured Claude baseline model'),
  savingUsd: z.number().describe('booked only for accepted local answers: their baseline minus the cost of the call'),
};

const groupings = ['model', 'backend', 'day', 'week', 'month', 'tool', 'supervisor', 'host'] as const;

export const costSummarySchema = z.object({
  totals: z.object(totals),
  groupBy: z.enum(groupings),
  breakdown: z.object({
    localCalls: z.number().int().describe('attempts on local hosts'),
    claudeCalls: z.number().int().describe('attempts on Claude'),
    outcomes: z.object({
      acceptedLocal: z.number().int().describe('the first local tier answered at or above the threshold'),
      escalated: z.number().int().describe('it did not, and a larger tier or Claude answered'),
      escalatedAnsweredLocally: z.number().int(),
      escalatedAnsweredByClaude: z.number().int(),
      failed: z.number().int().describe('no answer met the threshold; no saving is booked'),
      embeddings: z.number().int(),
    }),
    localSuccessRate: z
      .number()
      .optional()
      .describe('calls answered by an accepted local answer / calls that tried a local host; goal > 0.8'),
    errorRate: z.number().optional().describe('failed calls / LLM calls'),
    attemptErrorRate: z.number().optional().describe('attempts with no answer / all attempts'),
    localComputeUsd: z.number(),
    claudeUsd: z.number(),
    failedCallsCostUsd: z.number().describe('what failed calls cost'),
    escalationOverheadUsd: z.number().describe('local model time spent on calls that Claude answered'),
    savingExcludingLocalUsd: z.number().describe('the booked saving with local compute priced at $0'),
    baselineModels: z.array(z.string()).describe('the Claude models the baselines were priced at'),
    localCostBasis: z
      .object({ unconfigured: z.number().int(), gpu_hour: z.number().int(), power: z.number().int() })
      .describe('local attempts by how their model time was priced'),
    unpricedCalls: z.number().int().describe('calls to a model with no known price; flagged, not counted as $0'),
    hosts: z.array(
      z.object({ host: z.string(), calls: z.number().int(), errors: z.number().int(), avgLatencyMs: z.number() }),
    ),
  }),
  groups: z.array(z.object({ key: z.string(), ...totals })),
  since: z.string().optional(),
  legacy: z
    .object({
      rows: z.number().int(),
      costUsd: z.number(),
      claudeUsd: z.number(),
      claimedSavingUsd: z.number().describe('what those rows claimed as saving when written; not counted above'),
      note: z.string(),
    })
    .optional()
    .describe('rows written before outcome tracking, shown apart as booked'),
  pricing: z
    .object({
      baselineModel: z.string(),
      localCost: z.object({ basis: z.enum(['unconfigured', 'gpu_hour', 'power']), usdPerHour: z.number() }),
      note: z.string().optional().describe('set when local compute is priced at $0: how to set it'),
    })
    .optional()
    .describe('how calls are priced now'),
  skippedLines: z.number().int().describe('torn or invalid ledger lines that were skipped'),
  source: z.string().describe('where the ledger lives'),
});

export const summarizeCosts = defineTool({
  name: 'monitoring_summarize_costs',
  domain: 'monitoring',
  tags: ['cost', 'ledger', 'tokens', 'saving', 'llm', 'budget'],
  requests: [
    'LLM cost report',
    'what did local models save',
    'tokens and spend per model or per day',
    'LLM spending and savings summary',
    'how much did the LLM calls cost',
    'money saved by running models locally',
    'tokens consumed per model',
  ],
  title: 'Summarise LLM costs',
  description:
    'Reads the append-only cost ledger and totals LLM calls by outcome (accepted locally, escalated to a larger tier or Claude, failed): attempts, tokens, actual cost (local model time at the configured rate, plus Claude), the all-Claude baseline, and the saving, booked only for accepted local answers, with and without local compute cost; grouped by model, backend, day, week (named by its Monday), month, tool, supervisor or host, optionally since a date, with the local success rate, failure rates and average latency per host. Says when local compute is priced at $0 because no rate is set. Use it to see what LLM work cost and what local models really saved. It does not estimate future costs. Example: {"groupBy": "model", "since": "2026-11-01"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    groupBy: z.enum(groupings).default('model').describe('Row grouping.'),
    since: z.string().optional().describe('ISO date(-time), e.g. 2026-11-01'),
  }),
  output: costSummarySchema,
  examples: [{ groupBy: 'model' }, { groupBy: 'day', since: '2026-01-01' }],
  async handler(input, context) {
    let since: Date | undefined;
    if (input.since !== undefined) {
      since = new Date(input.since);
      if (Number.isNaN(since.getTime()))
        throw new InputError('since', `"${input.since}" is not a date; use ISO form such as 2026-11-01`);
    }
    const summary = await context.ledger.summarize({ groupBy: input.groupBy, since, signal: context.signal });
    const settings = context.pool.costSettings();
    return {
      ...summary,
      pricing: {
        baselineModel: settings.baselineModel,
        localCost: settings.localRate,
        ...(settings.localCostConfigured ? {} : { note: localCostHelp }),
      },
    };
  },
  summarize(o) {
    // Small amounts keep six decimals, so the parts of a cost still add up on screen.
    const usd = (n: number) => `$${n !== 0 && Math.abs(n) < 0.01 ? n.toFixed(6) : n.toFixed(4)}`;
    const pct = (n: number | undefined) => (n === undefined ? 'n/a' : `${(n * 100).toFixed(1)}%`);
    const b = o.breakdown;
    const c = b.outcomes;
    const llmCalls = c.acceptedLocal + c.escalated + c.failed;
    const head = `${llmCalls} LLM calls (${o.totals.attempts} attempts${c.embeddings ? `, ${c.embeddings} embedding requests` : ''}); ${o.totals.inputTokens} in / ${o.totals.outputTokens} out tokens; cost ${usd(o.totals.costUsd)} (local compute ${usd(b.localComputeUsd)}, Claude ${usd(b.claudeUsd)}).`;
    const outcomes = `outcomes: ${c.acceptedLocal} accepted locally, ${c.escalated} escalated (${c.escalatedAnsweredLocally} answered by a larger local tier, ${c.escalatedAnsweredByClaude} by Claude), ${c.failed} failed; answered locally ${pct(b.localSuccessRate)} of the calls that tried a local host; failed calls ${pct(b.errorRate)}; attempts with no answer ${pct(b.attemptErrorRate)}`;
    const models = b.baselineModels.length ? ` (priced at ${b.baselineModels.join(', ')})` : '';
    const saving = `saved ${usd(o.totals.savingUsd)} against an all-Claude baseline of ${usd(o.totals.baselineCostUsd)} for the answered calls${models}; ${usd(b.savingExcludingLocalUsd)} with local compute at $0${b.escalationOverheadUsd ? `; escalations spent ${usd(b.escalationOverheadUsd)} of local time before Claude answered` : ''}${b.failedCallsCostUsd ? `; failed calls cost ${usd(b.failedCallsCostUsd)}` : ''}`;
    const local = o.pricing
      ? o.pricing.localCost.basis === 'unconfigured'
        ? ''
        : `local compute is priced at $${o.pricing.localCost.usdPerHour.toFixed(4)} an hour of model time (${o.pricing.localCost.basis === 'power' ? 'power draw × $/kWh' : 'per GPU-hour'})`
      : '';
    const zeroRows = b.localCostBasis.unconfigured
      ? `  (${b.localCostBasis.unconfigured} local attempt(s) were booked at $0: no local rate was set when they ran)`
      : '';
    const rows = o.groups
      .slice(0, 20)
      .map(
        (g) => `  ${g.key}: ${g.calls} calls, ${g.attempts} attempts, ${usd(g.costUsd)} (saved ${usd(g.savingUsd)})`,
      );
    const hosts = b.hosts.map(
      (h) => `  host ${h.host}: ${h.calls} attempts, ${h.errors} errors, avg ${h.avgLatencyMs} ms`,
    );
    return [
      llmCalls || c.embeddings ? head : `No LLM calls with outcomes recorded in the ledger at ${o.source}.`,
      ...(llmCalls ? [outcomes, saving] : []),
      local,
      ...rows,
      ...hosts,
      o.pricing?.note ? `  note: ${o.pricing.note}` : zeroRows,
      b.unpricedCalls ? `  (${b.unpricedCalls} calls to a model with no known price: flagged)` : '',
      o.legacy
        ? `  legacy: ${o.legacy.rows} rows, cost ${usd(o.legacy.costUsd)}, claimed saving ${usd(o.legacy.claimedSavingUsd)}: ${o.legacy.note}`
        : '',
      o.skippedLines ? `  (${o.skippedLines} unreadable ledger lines skipped)` : '',
    ]
      .filter(Boolean)
      .join('\n');
  },
});
