// Training: the jobs (state, live), runs and the model registry with its aliases, as the
// ml-training tools answer; `#training/<jobId>` shows a job with its log tail and its metrics over
// time (from the runs that report to it). The list follows event `training` (the job list changed);
// a running job's page also reloads every 5 s for its log and metrics.
import { h, clear, section, table, tile, empty, errorBox } from '../lib/dom.js';
import { chart, palette } from '../lib/charts.js';
import { int, when } from '../lib/format.js';
import type { AppContext, View } from '../lib/app-context.js';

interface Job {
  jobId: string;
  backend: string;
  name: string;
  state: string;
  command: string[];
  cwd: string;
  outputDir: string;
  submittedAt: string;
  startedAt?: string;
  endedAt?: string;
  exitCode?: number | null;
  signal?: string | null;
  message?: string;
  heartbeatAt?: string;
  runId?: string;
  pid?: number;
}
interface RunRow {
  runId: string;
  name: string;
  status: string;
  createdAt: string;
  endedAt?: string;
  jobId?: string;
}
interface Version {
  version: number;
  source: { path: string; sha256: string; bytes: number };
  runId?: string;
  metrics?: Record<string, number>;
  createdAt: string;
}
interface Model {
  name: string;
  versions: Version[];
  aliases: Record<string, number>;
  updatedAt: string;
}
interface Overview {
  ok: boolean;
  jobs: { jobs?: Job[]; total?: number; database?: string; unreachable?: string[]; error?: string };
  runs: { runs?: RunRow[]; total?: number; error?: string };
  models: { models?: Model[]; error?: string };
  missing?: { jobs?: string; runs?: string; models?: string };
}
interface Run {
  runId: string;
  name: string;
  status: string;
  metricPoints: number;
  metrics: { step: number; timestamp?: number; values: Record<string, number>; source: string }[];
  latestMetrics: Record<string, { value: number; step: number }>;
  params: Record<string, string | number | boolean>;
  error?: string;
}
interface JobDetail {
  ok: boolean;
  error?: string;
  job: Job;
  logs: { text?: string; lines?: number; ended?: boolean; error?: string };
  runs: Run[];
  missing?: string;
}

const terminal = new Set(['SUCCEEDED', 'FAILED', 'STOPPED', 'LOST']);

let root: HTMLElement | undefined;
let context: AppContext | undefined;
let route = '';
let timer: ReturnType<typeof setTimeout> | undefined;
let generation = 0;

function stateBadge(state: string): HTMLElement {
  return h('span', { class: `badge training-state training-state-${state.toLowerCase()}` }, state);
}

function jobsTable(jobs: Job[], app: AppContext): HTMLElement {
  return table(
    'Jobs, newest first (ml_training_list_jobs)',
    [
      { label: 'Job', value: (j) => h('a', { href: `#training/${j.jobId}` }, j.jobId) },
      { label: 'Name', value: (j) => j.name },
      { label: 'State', value: (j) => stateBadge(j.state) },
      { label: 'Backend', value: (j) => j.backend },
      { label: 'Submitted', value: (j) => when(j.submittedAt) },
      { label: 'Ended', value: (j) => (j.endedAt ? when(j.endedAt) : '') },
      {
        label: 'Exit',
        value: (j) => (j.exitCode !== undefined && j.exitCode !== null ? String(j.exitCode) : (j.signal ?? '')),
        numeric: true,
      },
      { label: 'Command', value: (j) => h('code', {}, j.command.join(' ')) },
    ],
    jobs,
    { testId: 'training-jobs', rowClick: (j) => app.navigate(`training/${j.jobId}`) },
  );
}

function modelsTable(models: Model[]): HTMLElement {
  const rows = models.flatMap((model) =>
    model.versions.map((version) => ({
      model,
      version,
      aliases: Object.entries(model.aliases)
        .filter(([, v]) => v === version.version)
        .map(([alias]) => alias),
    })),
  );
  return table(
    'Registered models: versions and the aliases pointing at them (ml_training_list_models)',
    [
      { label: 'Model', value: (r) => r.model.name },
      { label: 'Version', value: (r) => int(r.version.version), numeric: true },
      {
        label: 'Aliases',
        value: (r) =>
          r.aliases.length
            ? r.aliases.map((alias) => h('span', { class: `badge training-alias training-alias-${alias}` }, alias))
            : h('span', { class: 'muted' }, 'none'),
      },
      { label: 'Artifact', value: (r) => h('code', {}, r.version.source.path) },
      { label: 'sha256', value: (r) => h('code', {}, r.version.source.sha256.slice(0, 12)) },
      { label: 'Run', value: (r) => r.version.runId ?? '' },
      {
        label: 'Metrics snapshot',
        value: (r) =>
          Object.entries(r.version.metrics ?? {})
            .map(([k, v]) => `${k}=${Number(v.toPrecision(6))}`)
            .join(', '),
      },
      { label: 'Registered', value: (r) => when(r.version.createdAt) },
    ],
    rows,
    { testId: 'training-models' },
  );
}

function runsTable(runs: RunRow[]): HTMLElement {
  return table(
    'Runs, newest first (ml_training_list_runs)',
    [
      { label: 'Run', value: (r) => h('code', {}, r.runId) },
      { label: 'Name', value: (r) => r.name },
      { label: 'Status', value: (r) => stateBadge(r.status) },
      { label: 'Job', value: (r) => (r.jobId ? h('a', { href: `#training/${r.jobId}` }, r.jobId) : '') },
      { label: 'Created', value: (r) => when(r.createdAt) },
      { label: 'Ended', value: (r) => (r.endedAt ? when(r.endedAt) : '') },
    ],
    runs,
    { testId: 'training-runs' },
  );
}

async function renderList(target: HTMLElement, app: AppContext, mine: number): Promise<void> {
  const overview = await app.api<Overview>('training');
  if (mine !== generation) return;
  const jobs = overview.jobs.jobs ?? [];
  const counts = new Map<string, number>();
  for (const job of jobs) counts.set(job.state, (counts.get(job.state) ?? 0) + 1);
  clear(target);
  target.appendChild(
    h(
      'div',
      { class: 'tiles' },
      tile('Jobs', int(overview.jobs.total ?? jobs.length), undefined, 'training-job-count'),
      tile(
        'Running',
        int(counts.get('RUNNING') ?? 0),
        `${int(counts.get('PENDING') ?? 0)} pending`,
        'training-running',
      ),
      tile(
        'Failed or lost',
        int((counts.get('FAILED') ?? 0) + (counts.get('LOST') ?? 0)),
        `${int(counts.get('SUCCEEDED') ?? 0)} succeeded`,
        'training-failed',
      ),
      tile('Models', int(overview.models.models?.length ?? 0), undefined, 'training-model-count'),
    ),
  );
  target.appendChild(
    section(
      'Jobs',
      overview.jobs.error ? errorBox(overview.jobs.error) : null,
      overview.jobs.database ? errorBox(overview.jobs.database) : null,
      ...(overview.jobs.unreachable ?? []).map((message) => errorBox(`not listed: ${message}`)),
      overview.missing?.jobs ? empty('No training job has been submitted.', overview.missing.jobs) : null,
      jobs.length ? jobsTable(jobs, app) : null,
    ),
  );
  target.appendChild(
    section(
      'Models and aliases',
      overview.models.error ? errorBox(overview.models.error) : null,
      overview.missing?.models ? empty('No model is registered.', overview.missing.models) : null,
      overview.models.models?.length ? modelsTable(overview.models.models) : null,
    ),
  );
  target.appendChild(
    section(
      'Runs',
      overview.runs.error ? errorBox(overview.runs.error) : null,
      overview.missing?.runs ? empty('No run is in the registry.', overview.missing.runs) : null,
      overview.runs.runs?.length ? runsTable(overview.runs.runs) : null,
    ),
  );
}

function metricCharts(run: Run): HTMLElement[] {
  const names = [...new Set(run.metrics.flatMap((point) => Object.keys(point.values)))].sort();
  return names.map((name, index) => {
    const points = run.metrics.filter((point) => name in point.values);
    const latest = run.latestMetrics[name];
    return chart({
      title: `${name} by step`,
      x: points.map((point) => point.step),
      time: false,
      series: [
        { label: name, values: points.map((point) => point.values[name]!), color: palette[index % palette.length] },
      ],
      summary: latest ? `latest ${latest.value} at step ${latest.step}` : 'no value',
      testId: `training-metric-${run.runId}-${name}`,
    });
  });
}

async function renderJob(target: HTMLElement, app: AppContext, jobId: string, mine: number): Promise<void> {
  const detail = await app.api<JobDetail>('training/job', { jobId });
  if (mine !== generation) return;
  clear(target);
  target.appendChild(h('p', {}, h('a', { href: '#training' }, '← all training jobs')));
  if (!detail.ok) {
    target.appendChild(errorBox(detail.error ?? 'the job could not be read'));
    return;
  }
  const job = detail.job;
  target.appendChild(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'training-job-title', 'data-testid': 'training-job' },
      h('h2', { id: 'training-job-title' }, `Job ${job.jobId} `, stateBadge(job.state)),
      h(
        'dl',
        { class: 'facts' },
        [
          ['Name', job.name],
          ['State', job.state],
          ['Backend', job.backend],
          ['Command', job.command.join(' ')],
          ['Working directory', job.cwd],
          ['Output directory', job.outputDir],
          ['Submitted', when(job.submittedAt)],
          ['Started', when(job.startedAt)],
          ['Ended', job.endedAt ? when(job.endedAt) : 'not yet'],
          ['Exit', job.exitCode !== undefined && job.exitCode !== null ? String(job.exitCode) : (job.signal ?? '')],
          ['Last heartbeat', job.heartbeatAt ? when(job.heartbeatAt) : ''],
          ['Message', job.message ?? ''],
        ]
          .filter(([, value]) => value !== '')
          .map(([label, value]) => [
            h('dt', {}, label),
            h('dd', label === 'State' ? { 'data-testid': 'training-job-state' } : {}, value),
          ]),
      ),
    ),
  );
  target.appendChild(
    section(
      'Log tail',
      detail.logs.error
        ? errorBox(detail.logs.error)
        : h(
            'pre',
            { class: 'code training-log', 'data-testid': 'training-log', tabindex: 0, 'aria-label': 'job log tail' },
            detail.logs.text || '(no output yet)',
          ),
      h(
        'p',
        { class: 'muted' },
        `${int(detail.logs.lines)} line(s) (ml_training_read_job_logs, last 200)${detail.logs.ended ? '; the job has ended' : ''}`,
      ),
    ),
  );
  const log = target.querySelector<HTMLElement>('.training-log');
  if (log) requestAnimationFrame(() => (log.scrollTop = log.scrollHeight));
  const metrics = section('Metrics over time');
  if (detail.missing) metrics.appendChild(empty('No metrics are read for this job.', detail.missing));
  for (const run of detail.runs) {
    if (run.error) {
      metrics.appendChild(errorBox(`run ${run.runId}: ${run.error}`));
      continue;
    }
    metrics.appendChild(
      h(
        'h3',
        {},
        `Run ${run.name} (${run.runId}) `,
        stateBadge(run.status),
        h('span', { class: 'muted', 'data-testid': `training-run-points-${run.runId}` }, ` ${run.metricPoints} points`),
      ),
    );
    if (run.metrics.length === 0)
      metrics.appendChild(
        empty(
          'This run has no metric points yet.',
          'The training script appends JSON lines such as {"step": 0, "loss": 0.9} to the file named by CAELUM_METRICS_FILE (or logs them with ml_training_log_run).',
        ),
      );
    else metrics.appendChild(h('div', { class: 'grid-2' }, metricCharts(run)));
  }
  target.appendChild(metrics);
  clearTimeout(timer);
  if (!terminal.has(job.state))
    timer = setTimeout(() => {
      if (mine === generation && root === target) void render().catch(() => undefined);
    }, 5000);
}

async function render(): Promise<void> {
  if (!root || !context) return;
  const mine = ++generation;
  if (route) await renderJob(root, context, route, mine);
  else await renderList(root, context, mine);
}

export const trainingView: View = {
  id: 'training',
  title: 'Training',
  async mount(element, app, hashRoute) {
    root = element;
    context = app;
    route = hashRoute;
    await render();
  },
  onEvent(name) {
    if (name === 'training') void render().catch(() => undefined);
  },
  unmount() {
    clearTimeout(timer);
    generation++;
    root = undefined;
  },
};
