// monitoring_summarize_costs: totals from the cost ledger, grouped, with the saving against an
// all-Claude baseline.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';

const totals = {
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
  baselineCostUsd: z.number().describe('the same tokens priced at the configured Claude baseline model'),
  savingUsd: z.number().describe('baseline minus actual'),
};

const groupings = ['model', 'backend', 'day', 'tool', 'supervisor', 'host'] as const;

export const costSummarySchema = z.object({
  totals: z.object(totals),
  groupBy: z.enum(groupings),
  breakdown: z.object({
    localCalls: z.number().int(),
    claudeCalls: z.number().int(),
    localSuccessRate: z.number().optional().describe('answered local attempts / all local attempts; goal > 0.8'),
    errorRate: z.number().optional(),
    unpricedCalls: z.number().int().describe('calls to a model with no known price; flagged, not counted as $0'),
    hosts: z.array(
      z.object({ host: z.string(), calls: z.number().int(), errors: z.number().int(), avgLatencyMs: z.number() }),
    ),
  }),
  groups: z.array(z.object({ key: z.string(), ...totals })),
  since: z.string().optional(),
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
  ],
  title: 'Summarise LLM costs',
  description:
    'Reads the append-only cost ledger and totals LLM calls: tokens in and out, actual cost, the all-Claude baseline cost and the saving, grouped by model, backend, day, tool, supervisor or host, optionally since a date, with local vs Claude counts, the local success rate, error rate and average latency per host. Use it to see what LLM work cost and what local models saved. It does not estimate future costs. Example: {"groupBy": "model", "since": "2026-11-01"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    groupBy: z.enum(groupings).default('model').describe('How to group the rows.'),
    since: z.string().optional().describe('Only calls from this ISO date(-time) on, e.g. "2026-11-01".'),
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
    return context.ledger.summarize({ groupBy: input.groupBy, since, signal: context.signal });
  },
  summarize(o) {
    const usd = (n: number) => `$${n.toFixed(4)}`;
    const head = `${o.totals.calls} LLM calls; ${o.totals.inputTokens} in / ${o.totals.outputTokens} out tokens; cost ${usd(o.totals.costUsd)}, all-Claude baseline ${usd(o.totals.baselineCostUsd)}, saved ${usd(o.totals.savingUsd)}.`;
    const rows = o.groups
      .slice(0, 20)
      .map((g) => `  ${g.key}: ${g.calls} calls, ${usd(g.costUsd)} (saved ${usd(g.savingUsd)})`);
    const b = o.breakdown;
    const rates = `${b.localCalls} local / ${b.claudeCalls} Claude calls; local success ${b.localSuccessRate === undefined ? 'n/a' : `${(b.localSuccessRate * 100).toFixed(1)}%`}; error rate ${b.errorRate === undefined ? 'n/a' : `${(b.errorRate * 100).toFixed(1)}%`}`;
    const hosts = b.hosts.map(
      (h) => `  host ${h.host}: ${h.calls} calls, ${h.errors} errors, avg ${h.avgLatencyMs} ms`,
    );
    return [
      head,
      rates,
      ...rows,
      ...hosts,
      b.unpricedCalls ? `  (${b.unpricedCalls} calls to a model with no known price: flagged)` : '',
      o.skippedLines ? `  (${o.skippedLines} unreadable ledger lines skipped)` : '',
    ]
      .filter(Boolean)
      .join('\n');
  },
});
