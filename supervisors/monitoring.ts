// The monitoring supervisor: costs, and later metrics and alerts.
import { z } from 'zod';
import { costSummarySchema, summarizeCosts } from '../tools/monitoring/summarize-costs.js';
import { defineHighLevelTool, type Supervisor } from './high-level-tool.js';

const getCostReport = defineHighLevelTool({
  name: 'getCostReport',
  owner: 'monitoring',
  title: 'LLM cost report',
  description:
    'LLM cost from the ledger: calls by outcome (accepted locally, escalated, failed), tokens, cost, and the saving against an all-Claude baseline. Example: {"groupBy": "model"}',
  kind: { effect: 'readOnly' },
  input: summarizeCosts.input,
  output: costSummarySchema,
  examples: [{ groupBy: 'model' }, { groupBy: 'day', since: '2026-11-01' }],
  async handler(input, call) {
    const outcome = await call.runOrFail(summarizeCosts.name, input);
    const summary = outcome.output as z.output<typeof costSummarySchema>;
    const text =
      summary.totals.calls === 0 && !summary.legacy
        ? `No LLM calls recorded in the ledger at ${summary.source}${summary.since ? ` since ${summary.since}` : ''}: cost $0, saving $0.`
        : outcome.text;
    return { result: summary, text };
  },
});

export const monitoringSupervisor: Supervisor = {
  name: 'monitoring',
  description: 'Costs, metrics and alerts.',
  tools: [getCostReport],
};
