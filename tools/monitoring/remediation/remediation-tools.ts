// The remediation internal tools: plan a playbook for a server (dry run), run it (confirm: true, rate
// limited, logged, stops at the first failure), and check the service registry's health endpoints.
// Settings come from config `monitoring.remediation`; with none, the shipped playbooks are planned and
// the plan says exactly what to configure.
import { z } from 'zod';
import { childEnvironment } from '../../child-environment.js';
import type { ToolContext } from '../../context.js';
import { defineTool, type AnyTool } from '../../define-tool.js';
import { InputError, ToolError } from '../../errors.js';
import { RemediationRateLimiter } from './rate-limiter.js';
import { profileSchema, type Profile } from '../fleet/contract.js';
import { checkProfile } from '../fleet/contract.js';
import { EventLog, monitoringLogFile } from '../state/event-log.js';
import { monitoringSettings } from '../settings.js';
import {
  availablePlaybooks,
  choosePlaybook,
  emptyRemediationSettings,
  RemediationSettings,
} from './remediation-settings.js';
import { viewStep } from './plan.js';
import {
  planRemediation,
  runRemediation,
  type RemediationLog,
  type RemediationLogEntry,
  type RemediationPlan,
} from './runner.js';
import { checkServices } from './service-registry.js';

export interface RemediationToolOptions {
  fetch?: typeof fetch;
  /** Where each run's steps are logged; default: the tool's logger (the lead passes the data-dir JSONL). */
  log?: (context: ToolContext) => RemediationLog;
  /** The per-server gate shared by every call on one data dir; default: one per data dir in this process. */
  rateLimiter?: (context: ToolContext, settings: RemediationSettings) => RemediationRateLimiter;
}

const parsed = new WeakMap<object, RemediationSettings>();

/** The configured settings (config `monitoring.remediation`), or the empty ones. */
export function remediationSettings(context: ToolContext): RemediationSettings {
  const raw = (context.environment as { monitoring?: { remediation?: unknown } }).monitoring?.remediation;
  if (raw === undefined || raw === null) return emptyRemediationSettings;
  if (typeof raw === 'object' && parsed.has(raw)) return parsed.get(raw)!;
  const result = RemediationSettings.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ToolError(
      'NOT_CONFIGURED',
      `monitoring.remediation.${issue.path.join('.')}: ${issue.message}; fix the configuration`,
    );
  }
  if (typeof raw === 'object') parsed.set(raw, result.data);
  return result.data;
}

const limiters = new Map<string, RemediationRateLimiter>();
function defaultLimiter(context: ToolContext, settings: RemediationSettings): RemediationRateLimiter {
  const key = context.environment.dataDir;
  let limiter = limiters.get(key);
  if (!limiter) limiters.set(key, (limiter = new RemediationRateLimiter(settings.rateLimit)));
  else limiter.configure(settings.rateLimit);
  return limiter;
}

const serverFields = {
  server: z.string().min(1).max(253).describe('Server name as the fleet lists it (a plain host name), e.g. "web-01".'),
  profile: profileSchema
    .optional()
    .describe(
      'The server\'s profile under the fleet contract, e.g. "web_api"; default: its profile in monitoring.fleet.servers.',
    ),
  host: z
    .string()
    .min(1)
    .max(253)
    .optional()
    .describe('Host name or IPv4 address for {host} in step URLs; default: the server name.'),
  playbook: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('Playbook name; default: the first playbook for the profile.'),
};

function plan(
  context: ToolContext,
  input: { server: string; profile?: Profile | undefined; host?: string | undefined; playbook?: string | undefined },
): RemediationPlan {
  const settings = remediationSettings(context);
  const profile = input.profile ?? configuredProfile(context, input.server);
  const playbook = choosePlaybook(settings, profile, input.playbook);
  return planRemediation({ name: input.server, profile, host: input.host }, playbook, settings);
}

/** The profile the fleet config gives a server; a server it does not list needs its profile passed. */
function configuredProfile(context: ToolContext, server: string): Profile {
  const servers = monitoringSettings(context)?.fleet.servers ?? [];
  const listed = servers.find((candidate) => candidate.name === server);
  if (!listed)
    throw new InputError(
      'server',
      `${server} is not in monitoring.fleet.servers${
        servers.length > 0
          ? ` (${servers
              .slice(0, 5)
              .map((s) => s.name)
              .join(', ')}${servers.length > 5 ? ', …' : ''})`
          : ' (none are configured)'
      }; add it there with its profile (or pass profile to the internal remediation tools)`,
    );
  return checkProfile(listed.profile, 'monitoring.fleet.servers.profile');
}

const stepView = z.object({
  index: z.number(),
  kind: z.enum(['http', 'command', 'restart']),
  action: z.string(),
  status: z.enum(['planned', 'succeeded', 'failed', 'skipped']),
  detail: z.string(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  durationMs: z.number().optional(),
  output: z.string().optional(),
});

const planTool = defineTool({
  name: 'monitoring_plan_remediation',
  domain: 'monitoring',
  tags: ['remediation', 'playbook', 'dry-run', 'plan', 'runbook'],
  requests: [
    'what would remediation do for web-01',
    'show the playbook for a database server',
    'dry run the restart of a web api server',
    'which steps would auto-remediation run',
  ],
  title: 'Plan a remediation playbook (dry run)',
  description:
    'Resolves a remediation playbook for one server to exactly what would run: each step\'s method and URL, program and fixed arguments, or restart runner and health check, secrets redacted, plus what the operator must still configure (missing services or commands). Executes nothing. Use monitoring_run_remediation with confirm: true to run it. Example: {"server": "web-01", "profile": "web_api"}',
  kind: { effect: 'readOnly' },
  input: z.object(serverFields),
  output: z.object({
    server: z.string(),
    profile: profileSchema,
    host: z.string(),
    playbook: z.string(),
    description: z.string(),
    ready: z.boolean(),
    missing: z.array(z.string()),
    steps: z.array(
      z.object({
        index: z.number(),
        kind: z.enum(['http', 'command', 'restart']),
        description: z.string(),
        action: z.string(),
        missing: z.array(z.string()),
        method: z.string().optional(),
        url: z.string().optional(),
        program: z.string().optional(),
        args: z.array(z.string()).optional(),
        service: z.string().optional(),
        healthUrl: z.string().optional(),
        runner: z.string().optional(),
      }),
    ),
    otherPlaybooks: z.array(z.string()),
    message: z.string(),
  }),
  examples: [{ server: 'web-01', profile: 'web_api' }],
  async handler(input, context) {
    const resolved = plan(context, input);
    const others = availablePlaybooks(remediationSettings(context))
      .filter((p) => p.profiles.includes(resolved.server.profile) && p.name !== resolved.playbook.name)
      .map((p) => p.name);
    return {
      server: resolved.server.name,
      profile: resolved.server.profile,
      host: resolved.server.host,
      playbook: resolved.playbook.name,
      description: resolved.playbook.description,
      ready: resolved.ready,
      missing: resolved.missing,
      steps: resolved.steps.map((step) => viewStep(step, resolved.commands)),
      otherPlaybooks: others,
      message: resolved.ready
        ? `Nothing was executed. ${resolved.steps.length} step(s) would run in order, stopping at the first failure; run it with monitoring_run_remediation and confirm: true.`
        : `Nothing was executed. Not runnable until configured: ${resolved.missing.join('; ')}`,
    };
  },
  summarize: (o) =>
    [
      `${o.playbook} for ${o.server} (${o.profile}): ${o.message}`,
      ...o.steps.map((s) => `${s.index}. [${s.kind}] ${s.action}`),
    ].join('\n'),
});

export function createRemediationTools(options: RemediationToolOptions = {}): AnyTool[] {
  const runTool = defineTool({
    name: 'monitoring_run_remediation',
    domain: 'monitoring',
    tags: ['remediation', 'playbook', 'restart', 'runbook', 'auto-remediation', 'confirm'],
    requests: [
      'restart the web api on web-01',
      'run the remediation playbook for db-02',
      'fix the ingest worker on ingest-03',
      'auto-remediate this server',
    ],
    title: 'Run a remediation playbook',
    description:
      'Runs a remediation playbook on one server: HTTP requests, allow-listed commands with fixed arguments, service restarts through the configured runner followed by a bounded wait for health. Without confirm: true it is a dry run that executes nothing and returns the plan. With confirm it runs the steps in order, journals each, stops at the first failure (the rest are reported as skipped), and is refused when the server is rate-limited (the answer says when the next run is allowed) or already has a run in progress. Example: {"server": "web-01", "profile": "web_api", "confirm": false}',
    kind: { effect: 'action', openWorld: true },
    input: z.object({
      ...serverFields,
      confirm: z.boolean().default(false).describe('Must be true to execute; false returns the dry run only.'),
    }),
    output: z.object({
      runId: z.string().nullable(),
      server: z.string(),
      profile: profileSchema,
      playbook: z.string(),
      mode: z.enum(['dry_run', 'run']),
      status: z.enum(['dry_run', 'succeeded', 'failed', 'refused', 'cancelled']),
      message: z.string(),
      steps: z.array(stepView),
      missing: z.array(z.string()),
      refusal: z
        .object({
          reason: z.enum(['rate_limited', 'in_progress', 'not_configured']),
          nextAllowedAt: z.number().nullable(),
        })
        .optional(),
      startedAt: z.number().optional(),
      endedAt: z.number().optional(),
    }),
    examples: [{ server: 'web-01', profile: 'web_api', confirm: false }],
    async handler(input, context) {
      const settings = remediationSettings(context);
      const resolved = plan(context, input);
      // Each step is on disk (<dataDir>/monitoring/remediation.jsonl, fsynced) before the run goes on.
      const journal = new EventLog<RemediationLogEntry>(monitoringLogFile(context.environment.dataDir, 'remediation'));
      const log =
        options.log?.(context) ??
        (async (entry: RemediationLogEntry) => {
          context.logger.info('monitoring_remediation', { ...entry });
          await journal.append(entry);
        });
      const limiter = options.rateLimiter?.(context, settings) ?? defaultLimiter(context, settings);
      return runRemediation(resolved, {
        confirm: input.confirm,
        now: () => Date.now(),
        signal: context.signal,
        rateLimiter: limiter,
        log,
        env: childEnvironment(context.environment.childEnvironment ?? {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
    },
    summarize: (o) => [o.message, ...o.steps.map((s) => `${s.index}. [${s.kind}] ${s.status}: ${s.detail}`)].join('\n'),
  });

  const checkTool = defineTool({
    name: 'monitoring_check_services',
    domain: 'monitoring',
    tags: ['health-check', 'health', 'endpoint', 'registry', 'latency', 'up', 'down'],
    requests: [
      'are the local health endpoints answering',
      'check the health endpoints',
      'which registered services are down',
      'health check latency per service',
    ],
    title: 'Check the registered services',
    description:
      'Checks each entry of the remediation registry (config monitoring.remediation.services) in parallel: requests its health endpoint (HTTP GET) within its timeout and reports up or down, HTTP status, latency and why it is down. Restarts nothing; restarts go through monitoring_run_remediation. With no services configured it says how to add one. Example: {}',
    kind: { effect: 'readOnly', openWorld: true },
    input: z.object({
      services: z
        .array(z.string().min(1).max(64))
        .max(100)
        .optional()
        .describe('Only these service names; default: all.'),
    }),
    output: z.object({
      services: z.array(
        z.object({
          name: z.string(),
          status: z.enum(['up', 'down']),
          httpStatus: z.number().nullable(),
          latencyMs: z.number(),
          error: z.string().optional(),
          checkedAt: z.number(),
        }),
      ),
      up: z.number(),
      down: z.number(),
      message: z.string(),
    }),
    examples: [{}],
    async handler(input, context) {
      const registry = remediationSettings(context).services;
      const names = input.services ?? Object.keys(registry);
      const unknown = names.filter((name) => !(name in registry));
      if (unknown.length > 0)
        throw new InputError(
          'services',
          `no service named ${unknown.map((n) => `"${n}"`).join(', ')}; registered: ${Object.keys(registry).join(', ') || 'none'}`,
        );
      if (names.length === 0)
        return {
          services: [],
          up: 0,
          down: 0,
          message:
            'No services are registered; add them to monitoring.remediation.services as name → {"healthUrl": "http://127.0.0.1:<port>/health", "restart": {...}}.',
        };
      const selected = Object.fromEntries(names.map((name) => [name, registry[name]!]));
      const services = await checkServices(selected, {
        fetch: options.fetch ?? fetch,
        now: () => Date.now(),
        signal: context.signal,
      });
      const up = services.filter((s) => s.status === 'up').length;
      return { services, up, down: services.length - up, message: `${up} of ${services.length} service(s) up.` };
    },
    summarize: (o) =>
      [
        o.message,
        ...o.services.map(
          (s) => `${s.name}: ${s.status} ${s.httpStatus ?? ''} ${s.latencyMs} ms${s.error ? ` (${s.error})` : ''}`,
        ),
      ].join('\n'),
  });

  return [planTool, runTool, checkTool] as unknown as AnyTool[];
}

export const remediationTools: readonly AnyTool[] = createRemediationTools();
