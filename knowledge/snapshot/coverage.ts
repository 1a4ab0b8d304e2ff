// How much of what a build asked for it actually got, per phase and per provider, and whether that
// meets the minimum share (`minCoverage`). A build is `done` only when every measured phase meets it;
// below it the build is `partial` (a snapshot with some data, marked as such) or `failed` (no
// observation at all: nothing is written). Failures are classified from the messages the source
// client and the provider parsers write, so a person reads "network unreachable" or "key missing"
// instead of 811 stack traces. Old snapshots carry no coverage: it is computed from their tasks.json.
import type { TaskOutcome } from './ingest.js';

export const defaultMinCoverage = 0.5;

/** Where a task's failure came from, in words a person can act on. */
export type FailureKind =
  | 'network unreachable'
  | 'timed out'
  | 'rate limited'
  | 'key missing'
  | 'key rejected'
  | 'HTTP status'
  | 'parse error'
  | 'not cached (offline)'
  | 'invalid answer'
  | 'LLM unavailable'
  | 'no answer'
  | 'other';

export interface GroupCoverage {
  /** Tasks (or LLM values) that were asked for. */
  asked: number;
  /** Of those, how many came back usable (fetched, cached, or answered empty by the source). */
  got: number;
  share: number;
  failed: number;
  firstFailure?: { kind: FailureKind; detail: string };
}

export interface PhaseCoverage extends GroupCoverage {
  phase: 'ingest' | 'llm_stats' | 'llm_edges';
  meets: boolean;
  /** Per provider for ingest; one entry (`llm`) for the LLM phases. */
  byProvider: Record<string, GroupCoverage>;
}

export interface Coverage {
  status: 'done' | 'partial' | 'failed';
  minimum: number;
  phases: PhaseCoverage[];
  /** True when computed from an old snapshot's tasks.json rather than recorded by its build. */
  derived?: boolean;
}

const patterns: [RegExp, FailureKind][] = [
  [/no API key|needs an API key|API key \(set /i, 'key missing'],
  [/offline build and nothing cached|not in the LLM cache/i, 'not cached (offline)'],
  [/HTTP 429\b/, 'rate limited'],
  [/api_key is not registered|API_KEY_INVALID|invalid api_key|HTTP 40[13]\b/i, 'key rejected'],
  [
    /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ENETUNREACH|EHOSTUNREACH|EPIPE|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT)\b|other side closed/,
    'network unreachable',
  ],
  [/timed out after/i, 'timed out'],
  [/HTTP \d{3}/, 'HTTP status'],
  [/did not match the schema/, 'invalid answer'],
  [/NO_HEALTHY_HOST|NOT_CONFIGURED|BUDGET_EXCEEDED/, 'LLM unavailable'],
  [/not JSON|not SDMX|unexpected answer|no DataSet|could not parse|parse/i, 'parse error'],
];

export function classifyFailure(detail: string): FailureKind {
  for (const [pattern, kind] of patterns) if (pattern.test(detail)) return kind;
  return detail ? 'other' : 'no answer';
}

const usable = new Set<TaskOutcome['status']>(['fetched', 'cached', 'empty']);

/** A task that is not asked for at all: no source in the catalogue, or a provider turned off on purpose. */
function excluded(task: TaskOutcome): boolean {
  return task.status === 'not_covered' || (task.status === 'skipped' && /disabled/.test(task.detail ?? ''));
}

function group(asked: number, got: number, firstFailure?: GroupCoverage['firstFailure']): GroupCoverage {
  return {
    asked,
    got,
    failed: asked - got,
    share: asked === 0 ? 1 : got / asked,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

/** Ingestion coverage from the tasks' outcomes, per provider and in all. */
export function ingestCoverage(tasks: readonly TaskOutcome[], minimum: number): PhaseCoverage {
  const providers = new Map<string, { asked: number; got: number; first?: GroupCoverage['firstFailure'] }>();
  for (const task of tasks) {
    if (excluded(task)) continue;
    const key = task.provider ?? 'unknown';
    const entry = providers.get(key) ?? { asked: 0, got: 0 };
    entry.asked++;
    if (usable.has(task.status)) entry.got++;
    else entry.first ??= { kind: classifyFailure(task.detail ?? ''), detail: task.detail ?? '' };
    providers.set(key, entry);
  }
  const byProvider = Object.fromEntries(
    [...providers.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([p, e]) => [p, group(e.asked, e.got, e.first)]),
  );
  const asked = [...providers.values()].reduce((s, e) => s + e.asked, 0);
  const got = [...providers.values()].reduce((s, e) => s + e.got, 0);
  const first = Object.values(byProvider).find((g) => g.firstFailure)?.firstFailure;
  const total = group(asked, got, first);
  return { phase: 'ingest', ...total, meets: asked > 0 && total.share >= minimum, byProvider };
}

/** An LLM phase's coverage: values answered out of values asked for. */
export function llmCoverage(
  phase: 'llm_stats' | 'llm_edges',
  asked: number,
  got: number,
  failures: readonly string[],
  minimum: number,
): PhaseCoverage {
  const detail = failures[0] ?? (got < asked ? 'the model gave no usable answer for them' : '');
  const first = got < asked ? { kind: classifyFailure(detail), detail } : undefined;
  const total = group(asked, Math.min(got, asked), first);
  return { phase, ...total, meets: total.share >= minimum, byProvider: { llm: total } };
}

/** The build's verdict: failed when ingestion gave no observation, partial when a phase is short. */
export function verdict(phases: PhaseCoverage[], observations: number, minimum: number): Coverage {
  const status = observations === 0 ? 'failed' : phases.every((p) => p.meets) ? 'done' : 'partial';
  return { status, minimum, phases };
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** One line per phase below the minimum, then one per provider with failures in it. */
export function coverageLines(coverage: Coverage): string[] {
  const lines: string[] = [];
  for (const phase of coverage.phases) {
    if (phase.meets && phase.failed === 0) continue;
    lines.push(
      `${phase.phase}: ${phase.got} of ${phase.asked} ${phase.phase === 'ingest' ? 'tasks fetched' : 'values answered'} (${percent(phase.share)}, minimum ${percent(coverage.minimum)})${phase.meets ? '' : ': below the minimum'}`,
    );
    for (const [provider, g] of Object.entries(phase.byProvider)) {
      if (g.failed === 0) continue;
      const first = g.firstFailure ? `; first: ${g.firstFailure.kind} (${shorten(g.firstFailure.detail)})` : '';
      lines.push(`  ${provider}: ${g.failed} of ${g.asked} failed${first}`);
    }
  }
  return lines;
}

/** A failure detail fit for one line: a request URL loses its query and long path segments, so the reason stays. */
function shorten(detail: string): string {
  const text = detail.replace(/https?:\/\/[^\s?]+(\?\S*?)?(?=:? |$)/g, (url) =>
    url
      .replace(/\?.*$/, '')
      .split('/')
      .map((segment) => (segment.length > 24 ? '…' : segment))
      .join('/'),
  );
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** What a person can do about the failures seen, one sentence. */
export function coverageFix(coverage: Coverage): string {
  const kinds = new Set(coverage.phases.flatMap((p) => Object.values(p.byProvider).map((g) => g.firstFailure?.kind)));
  const fixes: string[] = [];
  if (kinds.has('not cached (offline)'))
    fixes.push('run a build with network first (an offline build only reuses the cache)');
  if (kinds.has('network unreachable') || kinds.has('timed out'))
    fixes.push('check the network or the providers’ base URLs (CAELUM_KB_<PROVIDER>_URL)');
  if (kinds.has('rate limited')) fixes.push('wait and build again with resume: true');
  if (kinds.has('key missing') || kinds.has('key rejected')) fixes.push('set FRED_API_KEY / EIA_API_KEY');
  if (kinds.has('invalid answer') || kinds.has('LLM unavailable'))
    fixes.push('check the LLM hosts with caelum doctor, or build with skipLlm: true');
  if (fixes.length === 0) fixes.push('see the provider lines above and build again');
  // Lowering the minimum can accept a partial build; nothing makes an empty one usable.
  const lower = coverage.status === 'partial' ? `; or lower knowledgeBase.minCoverage (now ${coverage.minimum})` : '';
  return `To fix: ${fixes.join('; ')}${lower}.`;
}

/** The message for a build that wrote a snapshot below the minimum: what it holds, and what is short. */
export function partialMessage(buildId: string, snapshot: string, coverage: Coverage, notPublished: boolean): string {
  return [
    `snapshot build ${buildId} is partial: ${snapshot} was written with its coverage in its manifest, without daily outputs${notPublished ? ', and was not published to the live graph' : ''}`,
    ...coverageLines(coverage),
    coverageFix(coverage),
  ].join('\n');
}

/** The typed failure of a build that got no usable data: nothing was written or published. */
export class CoverageError extends Error {
  override readonly name = 'CoverageError';
  constructor(
    readonly buildId: string,
    readonly coverage: Coverage,
  ) {
    super(
      [
        `snapshot build ${buildId} failed: no observation came in, so no snapshot was written or published`,
        ...coverageLines(coverage),
        coverageFix(coverage),
      ].join('\n'),
    );
  }
}
