// The trading supervisor: market signals from the knowledge snapshots.
import { z } from 'zod';
import { generateSignals } from '../tools/trading/signal-tools.js';
import { defineHighLevelTool, type Supervisor } from './high-level-tool.js';

const generateMarketSignals = defineHighLevelTool({
  name: 'generateMarketSignals',
  owner: 'trading',
  title: 'Generate daily market signals',
  description:
    'Daily signals from two knowledge snapshots: per country regime, probabilities, position size, crisis odds and change; a risk report; alerts (scenario Δ > 5 pp, regime change). Refuses a snapshot below coverage. Example: {}',
  kind: { effect: 'readOnly' },
  input: generateSignals.input,
  // The signals' full schema is trading_generate_signals' (and in the README); tools/list stays small.
  output: z.object({
    snapshot: z.string(),
    previous: z.string().nullable(),
    signals: z.record(z.string(), z.unknown()),
    report: z.string(),
    alerts: z.number().int(),
  }),
  examples: [{}],
  async handler(input, call) {
    const outcome = await call.runOrFail(generateSignals.name, input);
    return { result: outcome.output as z.output<typeof generateSignals.output>, text: outcome.text };
  },
});

export const tradingSupervisor: Supervisor = {
  name: 'trading',
  description: 'Market signals, regimes and risk reports from the knowledge snapshots.',
  tools: [generateMarketSignals],
};
