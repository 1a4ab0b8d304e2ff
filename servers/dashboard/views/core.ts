// The dashboard's Savings, Pool and Executions data. Savings and Pool run the same internal tools
// as the MCP tools (monitoring_summarize_costs, infrastructure_get_pool_status), so the page shows
// their numbers; Executions reads the execution log every high-level call is written to.
import { z } from 'zod';
import { priceTableVersion } from '../../../gpu-pool/prices.js';
import { params, tool, ApiError, type ApiContext, type ApiRoute } from '../api.js';

const period = z.enum(['day', 'week', 'month']);

async function savings(context: ApiContext) {
  const query = params(
    context,
    z.object({
      period: period.default('day'),
      since: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}/, 'expected an ISO date such as 2026-11-01')
        .optional(),
    }),
  );
  const since = query.since ? { since: query.since } : {};
  // The period's figures through the tool itself (its text and pricing too); the four breakdowns in one
  // more pass over the ledger by the same summary code, instead of one pass each.
  const [time, breakdowns] = await Promise.all([
    tool(context, 'monitoring_summarize_costs', { groupBy: query.period, ...since }),
    context.suite.dispatcher
      .context({ signal: context.signal })
      .ledger.summarize({
        groupBy: 'model',
        alsoGroupBy: ['host', 'supervisor', 'tool'],
        ...(query.since ? { since: new Date(query.since) } : {}),
        signal: context.signal,
      })
      .then(
        (summary) => ({ ok: true as const, summary }),
        (error: unknown) => ({ ok: false as const, message: (error as Error).message }),
      ),
  ]);
  if (!time.ok) return { ok: false, error: time.message };
  // A breakdown that failed says so on the page; it is not shown as empty.
  const by = breakdowns.ok
    ? {
        model: breakdowns.summary.groups,
        host: breakdowns.summary.also?.host ?? [],
        supervisor: breakdowns.summary.also?.supervisor ?? [],
        tool: breakdowns.summary.also?.tool ?? [],
      }
    : Object.fromEntries(['model', 'host', 'supervisor', 'tool'].map((key) => [key, { error: breakdowns.message }]));
  return {
    ok: true,
    period: query.period,
    summary: time.output,
    text: time.text,
    by,
    costSettings: context.suite.pool.costSettings(),
    priceTable: priceTableVersion,
  };
}

export async function poolView(context: ApiContext) {
  const status = await tool(context, 'infrastructure_get_pool_status', {});
  if (!status.ok) return { ok: false, error: status.message };
  const configured = context.suite.config.ollamaHosts.length;
  return {
    ok: true,
    status: status.output,
    text: status.text,
    ...(configured === 0
      ? {
          missing:
            'No Ollama host is configured, so every LLM call goes to Claude (or fails without a key). Set CAELUM_OLLAMA_HOSTS=gpu1=http://host:11434 (or ollamaHosts in the config file) and restart the service.',
        }
      : {}),
  };
}

const executionQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  tool: z.string().max(200).optional(),
  supervisor: z.string().max(100).optional(),
  model: z.string().max(200).optional(),
  ok: z.enum(['true', 'false']).optional(),
  q: z.string().max(200).optional(),
  before: z.string().max(40).optional(),
});

async function executions(context: ApiContext) {
  const query = params(context, executionQuery);
  const listed = await context.suite.executions.list({
    limit: query.limit,
    ...(query.tool ? { tool: query.tool } : {}),
    ...(query.supervisor ? { supervisor: query.supervisor } : {}),
    ...(query.model ? { model: query.model } : {}),
    ...(query.ok ? { ok: query.ok === 'true' } : {}),
    ...(query.q ? { q: query.q } : {}),
    ...(query.before ? { before: query.before } : {}),
  });
  return {
    ok: true,
    ...listed,
    tools: context.suite.dispatcher.tools().map((t) => ({ name: t.name, supervisor: t.owner })),
  };
}

async function execution(context: ApiContext) {
  const { id } = params(context, z.object({ id: z.string().regex(/^[0-9a-z]{9}-[0-9a-f]{10}$/, 'expected an id') }));
  const entry = await context.suite.executions.get(id);
  if (!entry) throw new ApiError(404, `id: no execution ${id} in the recent log`);
  const result = entry.resultKept ? await context.suite.executions.result(id) : undefined;
  return { ok: true, entry, ...(result ? { result } : entry.resultKept ? { resultPruned: true } : {}) };
}

export const coreRoutes: ApiRoute[] = [
  { path: 'savings', handler: savings },
  { path: 'pool', handler: poolView },
  { path: 'executions', handler: executions },
  { path: 'execution', handler: execution },
];
