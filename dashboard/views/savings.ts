// Savings: what the pool cost and saved against an all-Claude baseline, over time and by model,
// host, supervisor and tool; the figures are monitoring_summarize_costs's (getCostReport's).
import { h, clear, section, table, tile, empty, bar, errorBox } from '../lib/dom.js';
import { chart } from '../lib/charts.js';
import { usd, pct, int, epochSeconds } from '../lib/format.js';
import { throttle, type AppContext, type View } from '../lib/app-context.js';

interface Totals {
  calls: number;
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  baselineCostUsd: number;
  savingUsd: number;
}
type Group = Totals & { key: string };
interface Summary {
  totals: Totals;
  groups: Group[];
  breakdown: {
    localCalls: number;
    claudeCalls: number;
    outcomes: {
      acceptedLocal: number;
      escalated: number;
      escalatedAnsweredLocally: number;
      escalatedAnsweredByClaude: number;
      failed: number;
      embeddings: number;
    };
    localSuccessRate?: number;
    errorRate?: number;
    localComputeUsd: number;
    claudeUsd: number;
    savingExcludingLocalUsd: number;
    baselineModels: string[];
    localCostBasis: { unconfigured: number; gpu_hour: number; power: number };
    unpricedCalls: number;
  };
  pricing?: { baselineModel: string; localCost: { basis: string; usdPerHour: number }; note?: string };
  legacy?: { rows: number; note: string };
  skippedLines: number;
  source: string;
}
interface SavingsAnswer {
  ok: boolean;
  error?: string;
  period: 'day' | 'week' | 'month';
  summary: Summary;
  by: Record<'model' | 'host' | 'supervisor' | 'tool', Group[] | { error: string }>;
  priceTable: string;
}

const periods = ['day', 'week', 'month'] as const;
let period: (typeof periods)[number] = 'day';
const refresh = throttle(() => void render().catch(() => undefined), 1000, 5000);
let root: HTMLElement | undefined;
let context: AppContext | undefined;

function groupTable(title: string, rows: Group[] | { error: string }, testId: string): HTMLElement {
  if (!Array.isArray(rows)) return section(title, errorBox(`${title} could not be computed: ${rows.error}`));
  return table(
    title,
    [
      { label: 'Key', value: (g) => g.key },
      { label: 'Calls', value: (g) => int(g.calls), numeric: true },
      { label: 'Attempts', value: (g) => int(g.attempts), numeric: true },
      { label: 'Tokens in / out', value: (g) => `${int(g.inputTokens)} / ${int(g.outputTokens)}`, numeric: true },
      { label: 'Cost', value: (g) => usd(g.costUsd), numeric: true },
      { label: 'Baseline', value: (g) => usd(g.baselineCostUsd), numeric: true },
      { label: 'Saving', value: (g) => usd(g.savingUsd), numeric: true },
    ],
    rows,
    { testId },
  );
}

async function render(): Promise<void> {
  if (!root || !context) return;
  const target = root;
  const answer = await context.api<SavingsAnswer>('savings', { period });
  clear(target);
  const picker = h(
    'div',
    { class: 'segmented', role: 'group', 'aria-label': 'Period' },
    periods.map((p) =>
      h(
        'button',
        {
          type: 'button',
          'aria-pressed': String(p === period),
          onclick: () => {
            period = p;
            void render();
          },
        },
        p,
      ),
    ),
  );
  target.appendChild(picker);
  if (!answer.ok) {
    target.appendChild(errorBox(answer.error ?? 'the cost ledger could not be read'));
    return;
  }
  const s = answer.summary;
  const b = s.breakdown;
  const o = b.outcomes;
  const llmCalls = o.acceptedLocal + o.escalated + o.failed;
  if (llmCalls === 0 && o.embeddings === 0) {
    target.appendChild(
      empty(
        `No LLM calls in the cost ledger yet (${s.source}).`,
        'Every LLM call Caelum makes is booked here with its cost and its saving against an all-Claude baseline. Configure an Ollama host (CAELUM_OLLAMA_HOSTS=gpu1=http://host:11434) and/or a Claude key (ANTHROPIC_API_KEY), then run a tool that uses a model, e.g. analyzeAndImproveCode with review, or delegateTask.',
      ),
    );
  }
  target.appendChild(
    h(
      'div',
      { class: 'tiles' },
      tile(
        'Cost',
        usd(s.totals.costUsd),
        `local ${usd(b.localComputeUsd)} · Claude ${usd(b.claudeUsd)}`,
        'savings-cost',
      ),
      tile(
        'All-Claude baseline',
        usd(s.totals.baselineCostUsd),
        'the answered calls priced at the baseline model',
        'savings-baseline',
      ),
      tile(
        'Saving',
        usd(s.totals.savingUsd),
        `${usd(b.savingExcludingLocalUsd)} with local compute at $0`,
        'savings-saving',
      ),
      tile(
        'LLM calls',
        int(llmCalls),
        `${int(s.totals.attempts)} attempts · ${int(o.embeddings)} embedding requests`,
        'savings-calls',
      ),
    ),
  );
  const share = (n: number) => (llmCalls ? n / llmCalls : 0);
  target.appendChild(
    section(
      'Who answered',
      h(
        'dl',
        { class: 'shares', 'data-testid': 'savings-shares' },
        h('dt', {}, 'Answered locally'),
        h('dd', {}, bar(share(o.acceptedLocal), `${int(o.acceptedLocal)} · ${pct(share(o.acceptedLocal))}`)),
        h('dt', {}, 'Escalated'),
        h(
          'dd',
          {},
          bar(
            share(o.escalated),
            `${int(o.escalated)} · ${pct(share(o.escalated))} (${int(o.escalatedAnsweredLocally)} by a larger local tier, ${int(o.escalatedAnsweredByClaude)} by Claude)`,
          ),
        ),
        h('dt', {}, 'Failed'),
        h('dd', {}, bar(share(o.failed), `${int(o.failed)} · ${pct(share(o.failed))}`)),
      ),
    ),
  );
  const buckets = [...s.groups].sort((a, b2) => a.key.localeCompare(b2.key));
  target.appendChild(
    section(
      `Cost and saving by ${period}`,
      chart({
        title: `Cost, all-Claude baseline and saving per ${period} (USD)`,
        x: buckets.map((g) => epochSeconds(g.key)),
        series: [
          { label: 'Cost', values: buckets.map((g) => g.costUsd), color: '#dc2626' },
          { label: 'Baseline', values: buckets.map((g) => g.baselineCostUsd), color: '#4b5563', dash: [6, 4] },
          { label: 'Saving', values: buckets.map((g) => g.savingUsd), color: '#16a34a', bars: true },
        ],
        yFormat: (v) => usd(v),
        summary: buckets.length
          ? `${buckets.length} ${period}s from ${buckets[0]!.key} to ${buckets.at(-1)!.key}; total saving ${usd(s.totals.savingUsd)}`
          : 'no data',
        testId: 'savings-chart',
      }),
      groupTable(`By ${period}`, buckets.slice().reverse(), 'savings-periods'),
    ),
  );
  target.appendChild(groupTable('By model', answer.by.model, 'savings-by-model'));
  target.appendChild(groupTable('By host', answer.by.host, 'savings-by-host'));
  target.appendChild(groupTable('By supervisor', answer.by.supervisor, 'savings-by-supervisor'));
  target.appendChild(groupTable('By tool', answer.by.tool, 'savings-by-tool'));
  const pricing = s.pricing;
  target.appendChild(
    section(
      'How it is priced',
      h(
        'ul',
        { 'data-testid': 'savings-pricing' },
        h(
          'li',
          {},
          `Baseline: every answered call priced at ${pricing?.baselineModel ?? 'the baseline model'}${b.baselineModels.length ? ` (the ledger's calls were priced at ${b.baselineModels.join(', ')})` : ''}.`,
        ),
        h('li', {}, `Price table: ${answer.priceTable}.`),
        h(
          'li',
          {},
          pricing
            ? pricing.localCost.basis === 'unconfigured'
              ? `Local compute: priced at $0 (no rate set). ${pricing.note ?? ''}`
              : `Local compute: $${pricing.localCost.usdPerHour.toFixed(4)} per hour of model time (${pricing.localCost.basis === 'power' ? 'power draw × $/kWh' : 'per GPU-hour'}).`
            : 'Local compute: unknown.',
        ),
        h(
          'li',
          {},
          'A saving is booked only for an accepted local answer: its baseline minus the cost of every attempt of the call.',
        ),
        b.localCostBasis.unconfigured
          ? h(
              'li',
              {},
              `${int(b.localCostBasis.unconfigured)} local attempt(s) were booked at $0: no rate was set when they ran.`,
            )
          : null,
        b.unpricedCalls
          ? h(
              'li',
              {},
              `${int(b.unpricedCalls)} call(s) to a model with no known price are flagged, not counted as $0.`,
            )
          : null,
        s.legacy ? h('li', {}, `${int(s.legacy.rows)} legacy row(s): ${s.legacy.note}`) : null,
        s.skippedLines ? h('li', {}, `${int(s.skippedLines)} unreadable ledger line(s) skipped.`) : null,
        h('li', {}, `Ledger: ${s.source}.`),
      ),
    ),
  );
}

export const savingsView: View = {
  id: 'savings',
  title: 'Savings',
  async mount(element, app) {
    root = element;
    context = app;
    await render();
  },
  onEvent(name, data) {
    // A finished call with LLM steps changed the ledger: refresh once the burst is over.
    if (name !== 'execution' || !((data as { llmSteps?: number }).llmSteps ?? 0)) return;
    refresh.schedule();
  },
  unmount() {
    refresh.cancel();
    root = undefined;
  },
};
