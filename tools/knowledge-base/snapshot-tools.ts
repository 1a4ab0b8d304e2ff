// Knowledge snapshot tools: build (foreground with progress, or background as a job), status,
// list, verify, diff, restore into the live graph, and cancel. The build runs the pipeline in
// knowledge/snapshot with the LLM phases going through the pool's confidence cascade.
import path from 'node:path';
import { z } from 'zod';
import { buildSnapshot, type BuildProgress, type BuildResult } from '../../knowledge/snapshot/build.js';
import { defaultMinCoverage } from '../../knowledge/snapshot/coverage.js';
import { listBuilds, ownerAlive, snapshotsDirectory } from '../../knowledge/snapshot/build-state.js';
import type { CompleteJson } from '../../knowledge/snapshot/llm-inference.js';
import {
  listSnapshots,
  readSnapshot,
  snapshotIndex,
  verifySnapshot,
  SnapshotTooLargeError,
  type SnapshotManifest,
} from '../../knowledge/snapshot/snapshot-archive.js';
import { diffSnapshots } from '../../knowledge/snapshot/snapshot-diff.js';
import { CoverageError, partialMessage, type Coverage } from '../../knowledge/snapshot/coverage.js';
import type { Provider } from '../../knowledge/snapshot/catalogue/statistics.js';
import type { ProviderSettings } from '../../knowledge/snapshot/ingest.js';
import { publishSnapshot } from '../../knowledge/snapshot/publish.js';
import { describeLocation, parseLocation, publishToLocation } from '../../knowledge/snapshot/replica.js';
import type { ToolContext } from '../context.js';
import { defineTool } from '../define-tool.js';
import { InputError, ToolError } from '../errors.js';
import { jobsOf, runningJob, startJob, type SnapshotJob } from './snapshot-jobs.js';
import { knowledge } from './common.js';

const countsSchema = z.record(z.string(), z.number());
const summarySchema = z.object({
  buildId: z.string(),
  snapshot: z.string().describe('snapshot file name under <dataDir>/kb/snapshots'),
  file: z.string(),
  createdAt: z.string(),
  resumed: z.boolean(),
  counts: countsSchema,
  timingsMs: z.record(z.string(), z.number()),
  sources: z.record(
    z.string(),
    z.object({
      enabled: z.boolean(),
      note: z.string().optional(),
      requests: z.number(),
      rows: z.number(),
      lastFetchedAt: z.string().optional(),
    }),
  ),
  regimes: z.array(
    z.object({ country: z.string(), regime: z.string().nullable(), crisisProbability12m: z.number().nullable() }),
  ),
  alerts: z.array(z.string()),
  outputs: z.object({ signals: z.string(), report: z.string(), alerts: z.string() }).optional(),
  coverage: z.object({
    status: z.enum(['done', 'partial', 'failed']),
    minimum: z.number(),
    phases: z.array(
      z.object({ phase: z.string(), asked: z.number(), got: z.number(), share: z.number(), meets: z.boolean() }),
    ),
  }),
  notes: z.array(z.string()),
});

const coverageView = (coverage: Coverage) => ({
  status: coverage.status,
  minimum: coverage.minimum,
  phases: coverage.phases.map((p) => ({ phase: p.phase, asked: p.asked, got: p.got, share: p.share, meets: p.meets })),
});

const progressSchema = z.object({
  phase: z.string(),
  phaseIndex: z.number(),
  phases: z.number(),
  done: z.number(),
  total: z.number(),
  message: z.string(),
});

export function summarise(result: BuildResult): z.input<typeof summarySchema> {
  return {
    buildId: result.buildId,
    snapshot: path.basename(result.snapshot),
    file: result.snapshot,
    createdAt: result.manifest.createdAt,
    resumed: result.resumed,
    counts: result.manifest.counts,
    timingsMs: result.manifest.timingsMs,
    sources: Object.fromEntries(
      Object.entries(result.manifest.sources).map(([p, s]) => [
        p,
        {
          enabled: s.enabled,
          ...(s.note ? { note: s.note } : {}),
          requests: s.requests,
          rows: s.rows,
          ...(s.lastFetchedAt ? { lastFetchedAt: s.lastFetchedAt } : {}),
        },
      ]),
    ),
    regimes: (result.signals?.countries ?? []).map((c) => ({
      country: c.iso3,
      regime: c.regime,
      crisisProbability12m: c.crisisProbability12m,
    })),
    alerts: (result.signals?.alerts ?? []).map((a) => a.message),
    ...(result.outputs ? { outputs: result.outputs } : {}),
    coverage: coverageView(result.coverage),
    notes: result.notes,
  };
}

function providerSettings(context: ToolContext): Partial<Record<Provider, ProviderSettings>> {
  const sources = context.environment.knowledgeBase?.sources ?? {};
  return Object.fromEntries(
    Object.entries(sources).map(([p, s]) => [
      p,
      { ...(s.baseUrl ? { baseUrl: s.baseUrl } : {}), ...(s.apiKey ? { apiKey: s.apiKey } : {}), enabled: s.enabled },
    ]),
  ) as Partial<Record<Provider, ProviderSettings>>;
}

/** The pool's cascade as the snapshot build's `complete`. */
function completeThroughPool(context: ToolContext): CompleteJson {
  return async (request) => {
    const result = await context.pool.complete({
      system: request.system,
      prompt: request.prompt,
      schema: request.schema,
      tier: 'full',
      maxTokens: request.maxTokens,
      tool: 'knowledge_base_build_snapshot',
      supervisor: 'knowledge-base',
      ...(request.signal ? { signal: request.signal } : {}),
    });
    return {
      value: result.value,
      model: result.answeredBy.model,
      confidence: result.confidence,
      lowConfidence: result.lowConfidence,
      costUsd: result.steps.reduce((s, step) => s + step.costUsd, 0),
    };
  };
}

const buildInput = z.object({
  resume: z.boolean().default(false).describe('Continue the last unfinished build.'),
  skipLlm: z.boolean().default(false).describe('No LLM phases.'),
  offline: z.boolean().default(false).describe('Cached data and LLM answers only.'),
  skipIngestion: z.boolean().default(false).describe('Cached observations, however old.'),
  background: z.boolean().default(false).describe('Return a job id for getSnapshotStatus.'),
  startYear: z.number().int().min(1960).max(2100).optional().describe('Default: 8 years back.'),
  publish: z.boolean().default(false).describe('Load into the live graph (overwrites).'),
  confirm: z.boolean().default(false).describe('true with publish.'),
});

export const buildSnapshotTool = defineTool({
  name: 'knowledge_base_build_snapshot',
  domain: 'knowledge-base',
  tags: ['snapshot', 'build', 'ingest', 'macro', 'hmm', 'regime', 'world bank', 'fred', 'imf', 'oecd', 'bis', 'eia'],
  requests: [
    'build the knowledge base',
    'ingest World Bank, IMF and FRED data',
    'create a new macro snapshot',
    'download fresh macro data and build the graph',
    'resume an interrupted snapshot build',
    'rebuild the knowledge base from the data providers',
  ],
  title: 'Build a knowledge snapshot',
  description:
    'Builds the macro-financial knowledge base: ingests 88 statistics for 20 countries from the World Bank, FRED, IMF, OECD, BIS and EIA; infers 17 more and the contagion weights with the LLM pool; fits a regime HMM per country; builds the graph; writes kb_snapshot_YYYYMMDD.tar.gz and the daily outputs. Checkpoints every country; resume: true continues a killed build. Done only when each phase got its minimum share of tasks (knowledgeBase.minCoverage, default 50%); below it the result is an error with one line per provider (failed: nothing written; partial: a marked, unpublished snapshot). Example: {"skipLlm": true, "background": true}',
  kind: { effect: 'action', openWorld: true },
  input: buildInput,
  output: z.object({
    status: z.enum(['done', 'running']),
    jobId: z.string().optional(),
    build: summarySchema.optional(),
    progress: progressSchema.optional(),
  }),
  examples: [{ offline: true, skipLlm: true }],
  async handler(input, context) {
    // Publishing does what knowledge_base_restore_snapshot does, which is destructive: same rule.
    if (input.publish && !input.confirm)
      throw new InputError(
        'confirm',
        'publish: true replaces values in the shared live graph; pass confirm: true with it, or build without publish and restore later',
      );
    const running = runningJob(context.knowledge);
    if (running)
      throw new InputError(
        'background',
        `a snapshot build is already running (job ${running.jobId}, ${running.progress?.phase ?? 'starting'}); poll knowledge_base_get_snapshot_status or cancel it with knowledge_base_cancel_snapshot_build`,
      );
    const poolMode = context.pool.status().mode;
    const llmUnavailable =
      poolMode === 'none'
        ? 'no LLM backend: no Ollama host is configured or healthy and no Claude key is set'
        : undefined;
    const run = (signal: AbortSignal, onProgress: (p: BuildProgress) => void, onStart?: (id: string) => void) =>
      buildSnapshot({
        dataDir: context.environment.dataDir,
        providers: providerSettings(context),
        ...((input.startYear ?? context.environment.knowledgeBase?.startYear)
          ? { startYear: input.startYear ?? context.environment.knowledgeBase?.startYear }
          : {}),
        resume: input.resume,
        skipLlm: input.skipLlm,
        offline: input.offline,
        skipIngestion: input.skipIngestion,
        ...(llmUnavailable ? { llmUnavailable } : { complete: completeThroughPool(context) }),
        llmCacheDays: context.environment.knowledgeBase?.llmCacheDays ?? 30,
        minCoverage: context.environment.knowledgeBase?.minCoverage ?? defaultMinCoverage,
        codeVersion: context.environment.codeVersion ?? 'unknown',
        signal,
        onProgress,
        ...(onStart ? { onStart } : {}),
      }).then(async (result) => {
        // A partial snapshot stays on disk for inspection; only a complete one goes live.
        if (input.publish && result.coverage.status === 'done') {
          await publish(context, result.snapshot);
          // Live here, so live for the replicas too: a failed copy is a note, the local publish stands.
          const shared = await share(context, result.snapshot).catch((error: unknown) => {
            context.logger.warn('kb_share_failed', {
              snapshot: path.basename(result.snapshot),
              error: (error as Error).message,
            });
            return `not shared to ${context.environment.knowledgeBase?.publishTo}: ${(error as Error).message}`;
          });
          if (shared) result.notes.push(shared);
        }
        return result;
      });
    if (input.background) {
      const job = startJob(
        context.knowledge,
        (j) =>
          run(
            j.controller.signal,
            (p) => (j.progress = p),
            (id) => (j.buildId = id),
          ),
        input.publish,
      );
      context.logger.info('snapshot_build_started', { jobId: job.jobId, background: true });
      return { status: 'running' as const, jobId: job.jobId };
    }
    let result: BuildResult;
    try {
      result = await run(context.signal, (p) =>
        context.progress(
          (p.phaseIndex - 1) * 100 + Math.round((100 * p.done) / Math.max(1, p.total)),
          p.phases * 100,
          `${p.phase} (${p.phaseIndex}/${p.phases}): ${p.message}`,
        ),
      );
    } catch (error) {
      // The sources' fault, not the caller's and not ours: said as such, one line per provider.
      if (error instanceof CoverageError) throw new ToolError('INCOMPLETE', error.message, { cause: error });
      throw error;
    }
    if (result.coverage.status !== 'done')
      throw new ToolError(
        'INCOMPLETE',
        partialMessage(result.buildId, path.basename(result.snapshot), result.coverage, input.publish),
      );
    return { status: 'done' as const, build: summarise(result) };
  },
  summarize: (o) =>
    o.status === 'running'
      ? `Snapshot build started in the background: job ${o.jobId}. Poll knowledge_base_get_snapshot_status.`
      : `Snapshot ${o.build!.snapshot}: ${o.build!.counts.observations} observations, ${o.build!.counts.llmStats} LLM stats, ${o.build!.counts.graphNodes} nodes / ${o.build!.counts.graphEdges} edges, ${o.build!.counts.hmmFitted} regimes.${o.build!.alerts.length ? ` Alerts: ${o.build!.alerts.join('; ')}` : ''}${o.build!.notes.length ? `\nNotes: ${o.build!.notes.slice(0, 6).join('; ')}` : ''}`,
});

/**
 * Copies a published snapshot to knowledgeBase.publishTo, where replicas pick it up; a line saying
 * so, or undefined when no shared location is configured.
 */
async function share(context: ToolContext, file: string): Promise<string | undefined> {
  const target = context.environment.knowledgeBase?.publishTo;
  if (!target) return undefined;
  const location = parseLocation(target);
  const pointer = await publishToLocation(file, location, { signal: context.signal });
  context.logger.info('kb_snapshot_shared', {
    snapshot: pointer.name,
    sha256: pointer.sha256,
    to: describeLocation(location),
  });
  return `shared to ${describeLocation(location)} (latest.json → ${pointer.name}, sha256 ${pointer.sha256.slice(0, 12)}…)`;
}

/** Loads a snapshot into the live graph and records it as the graph's source (replacing a sample). */
async function publish(context: ToolContext, file: string): Promise<number> {
  const graph = await context.knowledge.graph();
  return (await knowledge('snapshot', () => publishSnapshot(graph, file, new Date().toISOString()))).rows;
}

const jobView = (job: SnapshotJob) => ({
  jobId: job.jobId,
  status: job.status,
  startedAt: job.startedAt,
  ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
  ...(job.buildId ? { buildId: job.buildId } : {}),
  ...(job.progress ? { progress: job.progress } : {}),
  ...(job.error ? { error: job.error } : {}),
  ...(job.result ? { build: summarise(job.result) } : {}),
});

export const snapshotStatusTool = defineTool({
  name: 'knowledge_base_get_snapshot_status',
  domain: 'knowledge-base',
  tags: ['snapshot', 'status', 'job', 'progress', 'build'],
  requests: [
    'snapshot build status',
    'is the build still running',
    'progress by phase of a build job',
    'how is the build job going',
    'which phase is the snapshot build in',
    'did the build finish or fail',
  ],
  title: 'Snapshot build status',
  description:
    'Reports snapshot build jobs started by this server (progress by phase, result, error) and every build on disk with the phases it finished, so a killed or cancelled build shows as resumable. Example: {"jobId": "…"} or {}',
  kind: { effect: 'readOnly' },
  input: z.object({
    jobId: z.string().optional().describe('Omit for all.'),
    limit: z.number().int().min(1).max(100).default(10).describe('Builds, newest first.'),
  }),
  output: z.object({
    jobs: z.array(
      z.object({
        jobId: z.string(),
        status: z.string(),
        startedAt: z.string(),
        finishedAt: z.string().optional(),
        buildId: z.string().optional(),
        progress: progressSchema.optional(),
        error: z.string().optional(),
        build: summarySchema.optional(),
      }),
    ),
    builds: z.array(
      z.object({
        buildId: z.string(),
        status: z.string(),
        resumable: z.boolean(),
        startedAt: z.string(),
        updatedAt: z.string(),
        phasesDone: z.array(z.string()),
        current: z.object({ phase: z.string(), done: z.number(), total: z.number(), message: z.string() }).optional(),
        snapshot: z.string().optional(),
        error: z.string().optional(),
      }),
    ),
  }),
  examples: [{}],
  async handler(input, context) {
    const jobs = [...jobsOf(context.knowledge).values()];
    if (input.jobId && !jobs.some((j) => j.jobId === input.jobId))
      throw new InputError(
        'jobId',
        `no job ${input.jobId} in this server; known jobs: ${jobs.map((j) => j.jobId).join(', ') || 'none'} (builds on disk are listed without a jobId)`,
      );
    const builds = (await listBuilds(context.environment.dataDir)).slice(0, input.limit).map(({ state }) => ({
      buildId: state.buildId,
      status: state.status === 'running' && !ownerAlive(state) ? 'interrupted' : state.status,
      resumable:
        state.status !== 'done' && state.status !== 'partial' && !(state.status === 'running' && ownerAlive(state)),
      startedAt: state.startedAt,
      updatedAt: state.updatedAt,
      phasesDone: Object.keys(state.phases),
      ...(state.current ? { current: state.current } : {}),
      ...(state.snapshotName ? { snapshot: state.snapshotName } : {}),
      ...(state.error ? { error: state.error } : {}),
    }));
    return { jobs: jobs.filter((j) => !input.jobId || j.jobId === input.jobId).map(jobView), builds };
  },
});

export const cancelSnapshotTool = defineTool({
  name: 'knowledge_base_cancel_snapshot_build',
  domain: 'knowledge-base',
  tags: ['snapshot', 'cancel', 'stop', 'job'],
  requests: [
    'cancel a snapshot build',
    'stop a background build',
    'abort the knowledge base build',
    'terminate a running build job',
    'kill the snapshot job',
    'stop building the knowledge base',
  ],
  title: 'Cancel a snapshot build',
  description:
    'Cancels a background snapshot build. Its checkpoints stay, so knowledge_base_build_snapshot with resume: true continues it later. Example: {"jobId": "…"}',
  kind: { effect: 'action', idempotent: true },
  input: z.object({ jobId: z.string().optional().describe('The job to cancel; omit for the running one.') }),
  output: z.object({ cancelled: z.boolean(), jobId: z.string().optional(), status: z.string() }),
  examples: [{}],
  async handler(input, context) {
    const job = input.jobId ? jobsOf(context.knowledge).get(input.jobId) : runningJob(context.knowledge);
    if (input.jobId && !job) throw new InputError('jobId', `no job ${input.jobId} in this server`);
    if (!job) return { cancelled: false, status: 'no build is running' };
    if (job.status !== 'running') return { cancelled: false, jobId: job.jobId, status: job.status };
    job.controller.abort(new ToolError('CANCELLED', 'snapshot build cancelled'));
    await job.promise;
    return { cancelled: true, jobId: job.jobId, status: job.status };
  },
});

async function resolveSnapshot(
  context: ToolContext,
  name: string | undefined,
  field: string,
  offset = 0,
): Promise<{ name: string; file: string }> {
  const all = await listSnapshots(snapshotsDirectory(context.environment.dataDir));
  if (name) {
    const found = all[snapshotIndex(all, name)];
    if (!found)
      throw new InputError(
        field,
        `no snapshot "${name}"; available: ${all.map((s) => s.name).join(', ') || 'none (build one with knowledge_base_build_snapshot)'}`,
      );
    return found;
  }
  const found = all.at(-1 - offset);
  if (!found)
    throw new InputError(
      field,
      all.length === 0
        ? 'there is no snapshot yet; build one with knowledge_base_build_snapshot'
        : `only ${all.length} snapshot(s) exist; name one explicitly`,
    );
  return found;
}

export const listSnapshotsTool = defineTool({
  name: 'knowledge_base_list_snapshots',
  domain: 'knowledge-base',
  tags: ['snapshot', 'list', 'history'],
  requests: [
    'list snapshots',
    'snapshot history with sizes and dates',
    'which knowledge snapshots exist',
    'kb_snapshot files in the data directory',
    'snapshots stored on disk',
  ],
  title: 'List knowledge snapshots',
  description:
    'Lists the knowledge snapshots in the data directory, oldest first, with size, creation time, counts and code version from each manifest. Example: {}',
  kind: { effect: 'readOnly' },
  input: z.object({ limit: z.number().int().min(1).max(500).default(50).describe('Most recent snapshots to list.') }),
  output: z.object({
    directory: z.string(),
    snapshots: z.array(
      z.object({
        name: z.string(),
        date: z.string(),
        bytes: z.number(),
        createdAt: z.string().optional(),
        codeVersion: z.string().optional(),
        coverage: z
          .enum(['done', 'partial', 'failed'])
          .optional()
          .describe('the coverage its build recorded; absent for snapshots from before it was recorded'),
        counts: countsSchema.optional(),
        error: z.string().optional(),
      }),
    ),
  }),
  examples: [{}],
  async handler(input, context) {
    const directory = snapshotsDirectory(context.environment.dataDir);
    const snapshots = await Promise.all(
      (await listSnapshots(directory)).slice(-input.limit).map(async (s) => {
        try {
          const manifest = JSON.parse(
            (await readSnapshot(s.file, ['manifest.json'])).get('manifest.json')!.toString('utf8'),
          ) as SnapshotManifest;
          return {
            name: s.name,
            date: s.date,
            bytes: s.bytes,
            createdAt: manifest.createdAt,
            codeVersion: manifest.codeVersion,
            ...(manifest.coverage ? { coverage: manifest.coverage.status } : {}),
            counts: manifest.counts,
          };
        } catch (error) {
          return { name: s.name, date: s.date, bytes: s.bytes, error: `unreadable: ${(error as Error).message}` };
        }
      }),
    );
    return { directory, snapshots };
  },
});

export const verifySnapshotTool = defineTool({
  name: 'knowledge_base_verify_snapshot',
  domain: 'knowledge-base',
  tags: ['snapshot', 'verify', 'checksum', 'integrity'],
  requests: [
    'sha256 check of snapshot files',
    'is the snapshot intact',
    'check snapshot integrity',
    'detect corruption in a snapshot',
    'verify snapshot checksums',
    'is a snapshot archive corrupted',
  ],
  title: 'Verify a knowledge snapshot',
  description:
    'Re-hashes every file of a snapshot against the sha256 in its manifest, checks sizes, JSON validity and that nothing is missing or extra. Example: {"snapshot": "kb_snapshot_20261122.tar.gz"} or {} for the newest.',
  kind: { effect: 'readOnly' },
  input: z.object({ snapshot: z.string().optional().describe('Snapshot file name; default the newest.') }),
  output: z.object({
    snapshot: z.string(),
    ok: z.boolean(),
    checked: z.number(),
    problems: z.array(z.string()),
    schemaVersion: z.number().optional(),
    createdAt: z.string().optional(),
  }),
  examples: [{}],
  async handler(input, context) {
    const found = await resolveSnapshot(context, input.snapshot, 'snapshot');
    const report = await verifySnapshot(found.file);
    return {
      snapshot: found.name,
      ok: report.ok,
      checked: report.checked,
      problems: report.problems,
      ...(report.manifest
        ? { schemaVersion: report.manifest.schemaVersion, createdAt: report.manifest.createdAt }
        : {}),
    };
  },
});

export const diffSnapshotsTool = defineTool({
  name: 'knowledge_base_diff_snapshots',
  domain: 'knowledge-base',
  tags: ['snapshot', 'diff', 'compare', 'changes', 'movers'],
  requests: [
    'compare two snapshots',
    'regime changes between snapshots',
    'top movers since the previous snapshot',
    'changes between two builds',
    "what changed since yesterday's snapshot",
    'differences between two knowledge builds',
  ],
  title: 'Compare two knowledge snapshots',
  description:
    'Compares two snapshots: counts, regime changes, the statistics whose latest value moved most, contagion edges whose weight changed, and observations added or removed. Defaults to the newest two. Example: {"from": "kb_snapshot_20261121.tar.gz", "to": "kb_snapshot_20261122.tar.gz"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    from: z.string().optional().describe('Older snapshot; default the second newest.'),
    to: z.string().optional().describe('Newer snapshot; default the newest.'),
    limit: z.number().int().min(1).max(500).default(25).describe('Rows per list.'),
  }),
  output: z.object({
    from: z.string(),
    to: z.string(),
    counts: z.record(z.string(), z.object({ from: z.number(), to: z.number(), delta: z.number() })),
    regimeChanges: z.array(z.object({ country: z.string(), from: z.string().nullable(), to: z.string().nullable() })),
    valueChanges: z.array(
      z.object({
        statistic: z.string(),
        from: z.number().nullable(),
        to: z.number().nullable(),
        fromPeriod: z.string().nullable(),
        toPeriod: z.string().nullable(),
      }),
    ),
    edgeChanges: z.array(z.object({ edge: z.string(), from: z.number().nullable(), to: z.number().nullable() })),
    observations: z.object({ added: z.number(), removed: z.number(), changed: z.number() }),
  }),
  examples: [{ limit: 10 }],
  async handler(input, context) {
    const to = await resolveSnapshot(context, input.to, 'to');
    const from = input.from
      ? await resolveSnapshot(context, input.from, 'from')
      : await resolveSnapshot(context, undefined, 'from', input.to ? 0 : 1).catch(() => to);
    try {
      return await diffSnapshots(from.file, to.file, input.limit);
    } catch (error) {
      if (error instanceof SnapshotTooLargeError) throw new InputError(input.from ? 'from' : 'to', error.message);
      throw error;
    }
  },
});

export const restoreSnapshotTool = defineTool({
  name: 'knowledge_base_restore_snapshot',
  domain: 'knowledge-base',
  tags: ['snapshot', 'restore', 'publish', 'load', 'graph'],
  requests: [
    'restore a snapshot into the graph',
    'make a snapshot the current graph',
    'go back to an earlier snapshot',
    'roll back the live graph to a snapshot',
    'load an older snapshot into the graph',
    'publish a snapshot to the live graph',
  ],
  title: 'Restore a snapshot into the graph',
  description:
    'Verifies a snapshot, then loads its graph (countries, statistics, series points, corridors, contagion, regimes, scenarios) into the live knowledge graph: nodes are merged by key and their values overwritten, edges replaced. share: true also copies it to the shared location (knowledgeBase.publishTo) so replica instances load it. Needs confirm: true. Example: {"snapshot": "kb_snapshot_20261122.tar.gz"}',
  kind: { effect: 'destructive', idempotent: true },
  input: z.object({
    snapshot: z.string().optional().describe('Snapshot file name; default the newest.'),
    share: z.boolean().default(false).describe('Also publish it to knowledgeBase.publishTo, for the replicas.'),
  }),
  output: z.object({
    snapshot: z.string(),
    rows: z.number(),
    verified: z.boolean(),
    shared: z.string().optional().describe('where it was shared to, when share: true'),
  }),
  examples: [{}],
  async handler(input, context) {
    if (input.share && !context.environment.knowledgeBase?.publishTo)
      throw new InputError(
        'share',
        'no shared location is configured; set knowledgeBase.publishTo (CAELUM_KB_PUBLISH_TO) to a shared directory or an http(s) URL, or restore without share',
      );
    const found = await resolveSnapshot(context, input.snapshot, 'snapshot');
    const report = await verifySnapshot(found.file);
    if (!report.ok)
      throw new InputError('snapshot', `${found.name} failed verification: ${report.problems.slice(0, 3).join('; ')}`);
    const rows = await knowledge('snapshot', () => publish(context, found.file));
    if (!input.share) return { snapshot: found.name, rows, verified: true };
    let shared: string | undefined;
    try {
      shared = await share(context, found.file);
    } catch (error) {
      throw new ToolError('UNAVAILABLE', `${found.name} is live here but was not shared: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return { snapshot: found.name, rows, verified: true, ...(shared ? { shared } : {}) };
  },
});

export { resolveSnapshot };
