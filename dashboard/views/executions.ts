// Executions: the recent high-level calls agents made, filterable, each with its internal steps and
// LLM steps (model, tokens, cost, saving) as the tool returned them in its execution block.
import { h, clear, section, table, empty, errorBox } from '../lib/dom.js';
import { usd, int, ms, when } from '../lib/format.js';
import { throttle, type AppContext, type View } from '../lib/app-context.js';

interface Step {
  tool: string;
  durationMs: number;
  ok: boolean;
  error?: string;
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  note?: string;
}
interface LlmStep {
  backend: string;
  host?: string;
  model: string;
  tier?: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  baselineCostUsd: number;
  savingUsd: number;
  confidence?: number;
  outcome: string;
  reason?: string;
}
interface Entry {
  id: string;
  ts: string;
  tool: string;
  supervisor?: string;
  ok: boolean;
  errorCode?: string;
  durationMs: number;
  arguments: unknown;
  summary: string;
  execution?: {
    steps: Step[];
    llm: LlmStep[];
    decisions?: { by: string; subject: string; decision: string; detail: Record<string, unknown> }[];
  };
  resultBytes?: number;
  resultKept: boolean;
}

interface Filters {
  tool: string;
  supervisor: string;
  ok: string;
  model: string;
  q: string;
}

const filters: Filters = { tool: '', supervisor: '', ok: '', model: '', q: '' };
let listHolder: HTMLElement | undefined;
let context: AppContext | undefined;
let detailId = '';
const refresh = throttle(() => void renderList().catch(() => undefined), 300, 3000);

/** runTool and delegateTask calls name what they ran. */
function toolLabel(entry: Entry): string {
  const args = entry.arguments as { name?: unknown } | null;
  return entry.tool === 'runTool' && args && typeof args.name === 'string' ? `runTool → ${args.name}` : entry.tool;
}

const costOf = (entry: Entry) => (entry.execution?.llm ?? []).reduce((sum, step) => sum + step.costUsd, 0);
const savingOf = (entry: Entry) => (entry.execution?.llm ?? []).reduce((sum, step) => sum + step.savingUsd, 0);

async function renderList(): Promise<void> {
  if (!listHolder || !context) return;
  const holder = listHolder;
  const answer = await context.api<{
    entries: Entry[];
    total: number;
    window: number;
    skippedLines: number;
    loadError?: string;
  }>('executions', {
    limit: 100,
    ...filters,
  });
  clear(holder);
  if (answer.loadError) holder.appendChild(errorBox(`${answer.loadError}; only calls made since are listed.`));
  const filtered = Object.values(filters).some(Boolean);
  if (answer.entries.length === 0) {
    holder.appendChild(
      filtered
        ? empty('No call matches these filters.', 'Clear a filter to see more.')
        : empty(
            'No high-level calls recorded yet.',
            'Every call an agent makes (from Claude Code, `npm start` clients or `npx caelum call`) is written here with its steps. Connect an MCP client to /mcp and call a tool, e.g. `npx caelum call getSystemStatus` in the Caelum checkout.',
          ),
    );
    return;
  }
  holder.appendChild(
    h(
      'p',
      { class: 'muted', 'data-testid': 'executions-count' },
      `${int(answer.total)} of the newest ${int(answer.window)} recorded call(s) match; the newest ${answer.entries.length} shown.${answer.skippedLines ? ` ${int(answer.skippedLines)} unreadable log line(s) skipped.` : ''}`,
    ),
  );
  holder.appendChild(
    table(
      'Recent calls (newest first); select one for its steps',
      [
        { label: 'Started', value: (e) => when(e.ts) },
        { label: 'Tool', value: (e) => toolLabel(e) },
        { label: 'Supervisor', value: (e) => e.supervisor ?? '' },
        {
          label: 'Outcome',
          value: (e) =>
            h(
              'span',
              { class: `badge ${e.ok ? 'badge-healthy' : 'badge-down'}` },
              e.ok ? 'ok' : (e.errorCode ?? 'error'),
            ),
        },
        { label: 'Duration', value: (e) => ms(e.durationMs), numeric: true },
        { label: 'Steps', value: (e) => int(e.execution?.steps.length ?? 0), numeric: true },
        { label: 'LLM steps', value: (e) => int(e.execution?.llm.length ?? 0), numeric: true },
        { label: 'Cost', value: (e) => usd(costOf(e)), numeric: true },
        { label: 'Saving', value: (e) => usd(savingOf(e)), numeric: true },
      ],
      answer.entries,
      { rowClick: (e) => context!.navigate(`executions/${e.id}`), testId: 'executions-table' },
    ),
  );
}

function filterBar(tools: { name: string; supervisor: string }[]): HTMLElement {
  const supervisors = [...new Set(tools.map((t) => t.supervisor))].sort();
  const select = (label: string, key: keyof Filters, options: string[], labels: Record<string, string> = {}) =>
    h(
      'label',
      {},
      label,
      h(
        'select',
        {
          name: key,
          onchange: (event: Event) => {
            filters[key] = (event.target as HTMLSelectElement).value;
            void renderList();
          },
        },
        h('option', { value: '' }, 'any'),
        options.map((option) =>
          h(
            'option',
            { value: option, ...(filters[key] === option ? { selected: true } : {}) },
            labels[option] ?? option,
          ),
        ),
      ),
    );
  const input = (label: string, key: keyof Filters, placeholder: string) =>
    h(
      'label',
      {},
      label,
      h('input', {
        type: 'search',
        name: key,
        value: filters[key],
        placeholder,
        onchange: (event: Event) => {
          filters[key] = (event.target as HTMLInputElement).value.trim();
          void renderList();
        },
      }),
    );
  return h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Filter calls',
      onsubmit: (event: Event) => event.preventDefault(),
    },
    select('Tool', 'tool', tools.map((t) => t.name).sort()),
    select('Supervisor', 'supervisor', supervisors),
    select('Outcome', 'ok', ['true', 'false'], { true: 'ok', false: 'error' }),
    input('Model', 'model', 'e.g. qwen3:4b'),
    input('Text', 'q', 'in tool, arguments, answer'),
  );
}

async function renderDetail(element: HTMLElement, app: AppContext, id: string): Promise<void> {
  const answer = await app.api<{ entry: Entry; result?: Record<string, unknown>; resultPruned?: boolean }>(
    'execution',
    { id },
  );
  const e = answer.entry;
  const x = e.execution;
  element.appendChild(h('p', {}, h('a', { href: '#executions' }, '← all calls')));
  element.appendChild(
    section(
      `${toolLabel(e)} · ${when(e.ts)}`,
      h(
        'dl',
        { class: 'facts', 'data-testid': 'execution-facts' },
        h('dt', {}, 'Outcome'),
        h('dd', {}, e.ok ? 'ok' : `error ${e.errorCode ?? ''}`),
        h('dt', {}, 'Supervisor'),
        h('dd', {}, e.supervisor ?? 'n/a'),
        h('dt', {}, 'Duration'),
        h('dd', {}, ms(e.durationMs)),
        h('dt', {}, 'LLM cost / saving'),
        h('dd', {}, `${usd(costOf(e))} / ${usd(savingOf(e))}`),
        h('dt', {}, 'Result'),
        h(
          'dd',
          {},
          e.resultBytes === undefined
            ? 'none'
            : `${int(e.resultBytes)} bytes${!e.resultKept ? ' (not kept: over 2 MB)' : answer.resultPruned ? ' (no longer kept: the newest 30 of each tool are)' : ''}`,
        ),
      ),
      h('h3', {}, 'Arguments'),
      h('pre', { class: 'code' }, JSON.stringify(e.arguments, null, 2)),
      h('h3', {}, 'Answer (text)'),
      h('pre', { class: 'code' }, e.summary),
    ),
  );
  element.appendChild(
    x && x.steps.length
      ? table(
          'Internal steps',
          [
            { label: 'Tool', value: (s: Step) => s.tool },
            { label: 'OK', value: (s: Step) => (s.ok ? 'yes' : `no (${s.error ?? ''})`) },
            { label: 'Duration', value: (s: Step) => ms(s.durationMs), numeric: true },
            { label: 'Planned by', value: (s: Step) => s.model ?? '' },
            { label: 'Note', value: (s: Step) => s.note ?? '' },
          ],
          x.steps,
          { testId: 'execution-steps' },
        )
      : section('Internal steps', h('p', { class: 'muted' }, 'No internal tool ran.')),
  );
  element.appendChild(
    x && x.llm.length
      ? table(
          'LLM steps',
          [
            { label: 'Backend', value: (s: LlmStep) => s.backend },
            { label: 'Host', value: (s: LlmStep) => s.host ?? '' },
            { label: 'Model', value: (s: LlmStep) => s.model },
            { label: 'Tier', value: (s: LlmStep) => s.tier ?? '' },
            { label: 'Tokens in', value: (s: LlmStep) => int(s.inputTokens), numeric: true },
            { label: 'Tokens out', value: (s: LlmStep) => int(s.outputTokens), numeric: true },
            {
              label: 'Confidence',
              value: (s: LlmStep) => (s.confidence === undefined ? '' : s.confidence.toFixed(2)),
              numeric: true,
            },
            { label: 'Outcome', value: (s: LlmStep) => `${s.outcome}${s.reason ? `: ${s.reason}` : ''}` },
            { label: 'Cost', value: (s: LlmStep) => usd(s.costUsd), numeric: true },
            { label: 'Saving', value: (s: LlmStep) => usd(s.savingUsd), numeric: true },
          ],
          x.llm,
          { testId: 'execution-llm' },
        )
      : section('LLM steps', h('p', { class: 'muted' }, 'No model was used.')),
  );
  if (x?.decisions?.length)
    element.appendChild(
      table(
        'Decisions',
        [
          { label: 'By', value: (d) => d.by },
          { label: 'Subject', value: (d) => d.subject },
          { label: 'Decision', value: (d) => d.decision },
          { label: 'On', value: (d) => JSON.stringify(d.detail) },
        ],
        x.decisions,
      ),
    );
}

export const executionsView: View = {
  id: 'executions',
  title: 'Executions',
  async mount(element, app, route) {
    context = app;
    detailId = route;
    if (route) {
      try {
        await renderDetail(element, app, route);
      } catch (error) {
        element.appendChild(h('p', {}, h('a', { href: '#executions' }, '← all calls')));
        element.appendChild(
          errorBox(`${(error as Error).message} (ids look like 0mx9g5g54-681d14082a; pick a call from the list)`),
        );
      }
      return;
    }
    const first = await app.api<{ tools: { name: string; supervisor: string }[] }>('executions', { limit: 1 });
    element.appendChild(filterBar(first.tools));
    listHolder = h('div', { 'aria-live': 'polite' });
    element.appendChild(listHolder);
    await renderList();
  },
  onEvent(name) {
    if (name !== 'execution' || detailId) return;
    refresh.schedule();
  },
  unmount() {
    refresh.cancel();
    listHolder = undefined;
  },
};
