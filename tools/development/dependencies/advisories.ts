// Known-vulnerable dependency versions, from whichever advisory source answers: `npm audit` where
// the registry serves advisories, else an OSV file or an OSV API server the user configured
// (POST /v1/querybatch, GET /v1/vulns/{id}); "osv" or "npm" pins one. Each direct dependency is checked at the version the lockfile pins (else
// the lowest version its range allows), and reported at its line in package.json. When no source
// answers the result says so (status "unavailable" and why): nothing checked is never "no
// vulnerabilities".
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import semver from 'semver';
import type { ToolContext } from '../../context.js';
import type { Severity } from '../security/finding.js';
import { fileCaps, readProjectText } from '../../confined-fs.js';
import {
  declaredDependencies,
  linkEntries,
  readLockfile,
  readManifest,
  type Lockfile,
  type Manifest,
} from './lockfile.js';
import { affects, recordSeverity, recordUrl, severityOfWord, type OsvRecord } from './osv.js';
import { isolatedAudit, offline, type AuditJson } from './npm-audit.js';

export type AdvisorySource = 'auto' | 'npm' | 'osv' | 'off';

export interface AdvisorySettings {
  source: AdvisorySource;
  /** A JSON file of OSV records (an array, {vulns: [...]}, or a querybatch response with full records). */
  osvFile?: string;
  /** An OSV API-compatible server (https://api.osv.dev or a mirror). */
  osvUrl?: string;
  /** npm registry for npm audit (default: npm's). */
  registry?: string;
  timeoutMs: number;
}

export const defaultAdvisorySettings: AdvisorySettings = { source: 'auto', timeoutMs: 15_000 };

export interface Advisory {
  id: string;
  aliases: string[];
  summary: string;
  severity: Severity;
  score?: number;
  cwe: string[];
  url: string;
  /** The first version that fixes this advisory, when one exists. */
  fixed?: string;
}

export interface VulnerableDependency {
  name: string;
  /** The version checked. */
  version: string;
  versionFrom: 'lockfile' | 'range minimum';
  declared: string;
  kind: string;
  /** 1-based line of the "name": "range" entry in package.json (for a transitive package: of the direct dependency that brings it). */
  line: number;
  /** For a transitive package: the chain of packages from the direct dependency to it. */
  via?: string[];
  advisories: Advisory[];
}

export interface AdvisoryCheck {
  status: 'checked' | 'unavailable' | 'off' | 'no-manifest';
  /** Which source answered (or was tried). */
  source?: string;
  reason?: string;
  /** Packages looked up: the direct dependencies, and with a lockfile every package they lead to. */
  checked: number;
  vulnerable: VulnerableDependency[];
}

type Query = Omit<VulnerableDependency, 'advisories'>;

const sections = new Set(['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']);

/** The 1-based line of each dependency entry in package.json, keyed "section:name". */
export function manifestLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  const stack: { kind: string; section?: string }[] = [];
  let line = 1;
  let expectKey = false;
  let pendingKey: { name: string; line: number } | undefined;
  for (const [token] of text.matchAll(/"(?:[^"\\\n]|\\.)*"|[{}[\]:,\n]/g)) {
    const top = stack.at(-1);
    if (token === '\n') line++;
    else if (token === '{' || token === '[') {
      const section =
        token === '{' && stack.length === 1 && pendingKey && sections.has(pendingKey.name)
          ? pendingKey.name
          : undefined;
      stack.push({ kind: token, ...(section ? { section } : {}) });
      pendingKey = undefined;
      expectKey = token === '{';
    } else if (token === '}' || token === ']') {
      stack.pop();
      pendingKey = undefined;
      expectKey = false;
    } else if (token === ',') {
      expectKey = top?.kind === '{';
      pendingKey = undefined;
    } else if (token === ':') expectKey = false;
    else if (expectKey) {
      let name: string;
      try {
        name = JSON.parse(token) as string;
      } catch {
        name = token.slice(1, -1);
      }
      pendingKey = { name, line };
      expectKey = false;
    } else {
      if (top?.section && pendingKey && !lines.has(`${top.section}:${pendingKey.name}`))
        lines.set(`${top.section}:${pendingKey.name}`, pendingKey.line);
      pendingKey = undefined;
    }
  }
  return lines;
}

async function queriesOf(root: string, manifest: Manifest): Promise<Query[]> {
  let text = '';
  try {
    text = await readProjectText(root, 'package.json', fileCaps.large);
  } catch {
    // Read already by readManifest; lines fall back to 1.
  }
  const lines = manifestLines(text);
  const lock = await readLockfile(root);
  const queries: Query[] = [];
  for (const dependency of declaredDependencies(manifest)) {
    const locked = 'missing' in lock ? undefined : lock.entries.get(`node_modules/${dependency.name}`);
    const lockedVersion = locked && !locked.link ? semver.valid(locked.version) : null;
    let version = lockedVersion;
    let versionFrom: Query['versionFrom'] = 'lockfile';
    // "*" or "latest" without a lockfile installs the newest release: its lowest version says nothing.
    if (!version && /^\s*(\*|x|latest|)\s*$/i.test(dependency.range)) continue;
    if (!version) {
      versionFrom = 'range minimum';
      try {
        version = semver.validRange(dependency.range) ? (semver.minVersion(dependency.range)?.version ?? null) : null;
      } catch {
        version = null;
      }
    }
    if (!version) continue;
    queries.push({
      name: dependency.name,
      version,
      versionFrom,
      declared: dependency.range,
      kind: dependency.kind,
      line: lines.get(`${dependency.kind}:${dependency.name}`) ?? 1,
    });
  }
  if (!('missing' in lock)) queries.push(...transitiveQueries(lock, queries));
  return queries;
}

/**
 * Every locked package the direct dependencies lead to, once per name@version, each with its
 * shortest chain from a direct dependency (whose package.json line it is reported at).
 */
function transitiveQueries(lock: Lockfile, direct: Query[]): Query[] {
  const byName = new Map(direct.map((q) => [q.name, q]));
  const { edges } = linkEntries(lock, Object.fromEntries(direct.map((q) => [q.name, q.declared])));
  const outgoing = new Map<string, string[]>();
  for (const edge of edges) outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge.to]);
  const parent = new Map<string, string>();
  const seen = new Set<string>(['']);
  const queue = [''];
  for (let head = 0; head < queue.length; head++) {
    for (const next of outgoing.get(queue[head]!) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      parent.set(next, queue[head]!);
      queue.push(next);
    }
  }
  const asked = new Set(direct.map((q) => `${q.name}@${q.version}`));
  const queries: Query[] = [];
  for (const installPath of queue) {
    const entry = lock.entries.get(installPath);
    if (!entry || installPath === '' || entry.link || !semver.valid(entry.version)) continue;
    const chain: string[] = [];
    for (let at: string | undefined = installPath; at && at !== ''; at = parent.get(at))
      chain.unshift(lock.entries.get(at)?.name ?? at);
    if (chain.length < 2) continue; // a direct dependency: asked already
    const top = byName.get(chain[0]!);
    const key = `${entry.name}@${entry.version}`;
    if (!top || asked.has(key)) continue;
    asked.add(key);
    queries.push({
      name: entry.name,
      version: entry.version,
      versionFrom: 'lockfile',
      declared: top.declared,
      kind: top.kind,
      line: top.line,
      via: chain,
    });
  }
  return queries;
}

function advisoryOf(record: OsvRecord, fixed: string | undefined): Advisory {
  const { severity, score } = recordSeverity(record);
  return {
    id: record.id,
    aliases: record.aliases ?? [],
    summary: record.summary ?? record.details?.split('\n')[0]?.slice(0, 200) ?? record.id,
    severity,
    ...(score !== undefined ? { score } : {}),
    cwe: record.database_specific?.cwe_ids ?? [],
    url: recordUrl(record),
    ...(fixed ? { fixed } : {}),
  };
}

function match(queries: Query[], records: Iterable<OsvRecord>): VulnerableDependency[] {
  const byPackage = new Map<string, OsvRecord[]>();
  for (const record of records)
    for (const name of new Set((record.affected ?? []).map((a) => a.package?.name ?? '')))
      byPackage.set(name, [...(byPackage.get(name) ?? []), record]);
  return queries
    .map((query) => ({
      ...query,
      advisories: (byPackage.get(query.name) ?? []).flatMap((record) => {
        const verdict = affects(record, query.name, query.version);
        return verdict.affected ? [advisoryOf(record, verdict.fixed)] : [];
      }),
    }))
    .filter((dependency) => dependency.advisories.length > 0);
}

/** OSV records in a file: an array, {vulns: [...]}, or a querybatch response whose items hold full records. */
export function recordsOfJson(value: unknown): OsvRecord[] {
  const isRecord = (item: unknown): item is OsvRecord =>
    typeof item === 'object' && item !== null && typeof (item as OsvRecord).id === 'string';
  if (Array.isArray(value)) return value.filter(isRecord);
  if (typeof value !== 'object' || value === null) return [];
  const object = value as { vulns?: unknown; results?: { vulns?: unknown }[] };
  if (Array.isArray(object.vulns)) return object.vulns.filter(isRecord);
  if (Array.isArray(object.results)) return object.results.flatMap((r) => recordsOfJson(r?.vulns ?? []));
  return isRecord(value) ? [value] : [];
}

const maxOsvFileBytes = 256 * 1024 * 1024;

async function fromOsvFile(file: string, queries: Query[]): Promise<VulnerableDependency[]> {
  const info = await stat(file);
  if (!info.isFile()) throw new Error(`${file} is not a file`);
  if (info.size > maxOsvFileBytes) throw new Error(`${file} is larger than ${maxOsvFileBytes} bytes`);
  const records = recordsOfJson(JSON.parse(await readFile(file, 'utf8')) as unknown);
  return match(queries, records);
}

async function fetchJson(url: string, init: RequestInit, signal: AbortSignal): Promise<unknown> {
  const response = await fetch(url, { ...init, signal, headers: { 'content-type': 'application/json' } });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${response.status}`);
  return (await response.json()) as unknown;
}

/** Most pages followed per query, and most records fetched, before the lookup stops. */
const maxPages = 10;
const maxRecords = 2_000;

async function fromOsvServer(base: string, queries: Query[], signal: AbortSignal): Promise<VulnerableDependency[]> {
  const root = base.replace(/\/+$/, '').replace(/\/v1$/, '');
  const ids = new Set<string>();
  for (let start = 0; start < queries.length; start += 1000) {
    let batch = queries.slice(start, start + 1000).map((q) => ({
      package: { name: q.name, ecosystem: 'npm' },
      version: q.version,
    }));
    for (let page = 0; batch.length > 0 && page < maxPages; page++) {
      const answer = (await fetchJson(
        `${root}/v1/querybatch`,
        { method: 'POST', body: JSON.stringify({ queries: batch }) },
        signal,
      )) as { results?: { vulns?: { id?: string }[]; next_page_token?: string }[] };
      const results = answer.results ?? [];
      const next: typeof batch = [];
      results.forEach((result, index) => {
        for (const vuln of result?.vulns ?? []) if (typeof vuln.id === 'string') ids.add(vuln.id);
        if (result?.next_page_token) next.push({ ...batch[index]!, page_token: result.next_page_token } as never);
      });
      batch = next;
    }
  }
  const records: OsvRecord[] = [];
  const wanted = [...ids].slice(0, maxRecords);
  // A few records at a time: one request per record is what the OSV API offers.
  for (let start = 0; start < wanted.length; start += 8) {
    const fetched = await Promise.all(
      wanted
        .slice(start, start + 8)
        .map(
          (id) =>
            fetchJson(`${root}/v1/vulns/${encodeURIComponent(id)}`, { method: 'GET' }, signal) as Promise<OsvRecord>,
        ),
    );
    for (const record of fetched) if (record && typeof record.id === 'string') records.push(record);
  }
  // The server chose the ids; the versions are checked here again, so a record that does not cover
  // the version (or a server that answers everything) reports nothing.
  return match(queries, records);
}

function fromAudit(report: AuditJson, queries: Query[]): VulnerableDependency[] {
  const byName = new Map(queries.map((q) => [q.name, q]));
  const vulnerabilities = report.vulnerabilities ?? {};
  // Only the package's own advisories: one it has through another package is reported at that package.
  const own = (name: string): Advisory[] =>
    (vulnerabilities[name]?.via ?? []).flatMap((via) => {
      if (typeof via === 'string' || (via.name !== undefined && via.name !== name)) return [];
      // "<4.17.21" or ">=1.0.0 <1.2.6": the upper bound is the first fixed version.
      const bound = /<\s*(\d+\.\d+\.\d+[\w.+-]*)\s*$/.exec(via.range ?? '')?.[1];
      const fix = vulnerabilities[name]?.fixAvailable;
      const fixed = bound ?? (typeof fix === 'object' && fix.name === name ? fix.version : undefined);
      return [
        {
          id: via.url?.split('/').pop() ?? String(via.source ?? 'advisory'),
          aliases: [],
          summary: via.title ?? 'advisory',
          severity: severityOfWord(via.severity),
          ...(typeof via.cvss?.score === 'number' && via.cvss.score > 0 ? { score: via.cvss.score } : {}),
          cwe: via.cwe ?? [],
          url: via.url ?? '',
          ...(fixed ? { fixed } : {}),
        },
      ];
    });
  const found: VulnerableDependency[] = [];
  for (const name of Object.keys(vulnerabilities)) {
    const query = byName.get(name);
    if (!query) continue;
    const advisories = own(name);
    const unique = [...new Map(advisories.map((a) => [`${a.id}:${a.summary}`, a])).values()];
    if (unique.length > 0) found.push({ ...query, advisories: unique });
  }
  return found;
}

async function npmAudit(
  root: string,
  settings: AdvisorySettings,
  queries: Query[],
  context: ToolContext,
): Promise<VulnerableDependency[] | { reason: string }> {
  const result = await isolatedAudit(root, settings.registry, settings.timeoutMs, context);
  if (result.spawnError) return { reason: `npm could not run (${result.spawnError})` };
  if (result.timedOut) return { reason: `npm audit did not finish within ${settings.timeoutMs} ms` };
  let report: AuditJson;
  try {
    report = JSON.parse(result.stdout) as AuditJson;
  } catch {
    const text = `${result.stderr}\n${result.stdout}`.trim();
    return { reason: `npm audit failed: ${text.split('\n').find((l) => offline.test(l)) ?? text.slice(0, 200)}` };
  }
  if (report.error || report.message) {
    const detail = [report.error?.code, report.error?.summary || report.message].filter(Boolean).join(' ').trim();
    return {
      reason: offline.test(detail)
        ? `the registry is unreachable (${detail.slice(0, 160)})`
        : /\b(40[345]|501)\b/.test(detail)
          ? `the registry does not serve npm's audit endpoint (${detail.slice(0, 160)})`
          : `npm audit failed: ${detail.slice(0, 200)}`,
    };
  }
  return fromAudit(report, queries);
}

const rank: Record<Severity, number> = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };

/** The worst advisory's severity. */
export const worstSeverity = (dependency: VulnerableDependency): Severity =>
  dependency.advisories.reduce<Severity>((worst, a) => (rank[a.severity] > rank[worst] ? a.severity : worst), 'info');

/** The lowest version that fixes every advisory, when each has a fix. */
export function fixingVersion(dependency: VulnerableDependency): string | undefined {
  const fixes = dependency.advisories.map((a) => a.fixed);
  if (fixes.some((f) => !f || !semver.valid(f))) return undefined;
  return (fixes as string[]).sort(semver.rcompare)[0];
}

const cache = new Map<string, { at: number; check: AdvisoryCheck }>();
const keptMs = { checked: 60 * 60_000, unavailable: 5 * 60_000 };

/**
 * Checks the project's direct dependencies against the configured advisory source. Results are
 * kept a while per manifest + lockfile content and source, so re-analysing a project does not
 * ask again each time.
 */
export async function checkAdvisories(
  root: string,
  settings: AdvisorySettings,
  context: ToolContext,
): Promise<AdvisoryCheck> {
  const empty = { checked: 0, vulnerable: [] };
  if (settings.source === 'off')
    return { status: 'off', reason: 'advisory checks are turned off (development.advisories.source: "off")', ...empty };
  let manifest: Manifest | undefined;
  try {
    manifest = await readManifest(root);
  } catch (error) {
    return {
      status: 'no-manifest',
      reason: `package.json not read: ${(error as Error).message.slice(0, 200)}`,
      ...empty,
    };
  }
  if (!manifest) return { status: 'no-manifest', reason: 'no package.json', ...empty };
  const queries = await queriesOf(root, manifest);
  if (queries.length === 0) return { status: 'checked', source: 'none needed (no versioned dependency)', ...empty };
  const lock = await readLockfile(root);
  const hash = createHash('sha256')
    .update(JSON.stringify(queries))
    .update(JSON.stringify(settings))
    .update('missing' in lock ? '' : String(lock.entries.size))
    .digest('hex');
  const key = `${root}\0${hash}`;
  const now = context.clock.now();
  const kept = cache.get(key);
  if (kept && now - kept.at < keptMs[kept.check.status === 'checked' ? 'checked' : 'unavailable']) return kept.check;
  const check = await freshCheck(root, settings, queries, 'missing' in lock ? lock.missing : undefined, context);
  cache.set(key, { at: now, check });
  return check;
}

async function freshCheck(
  root: string,
  settings: AdvisorySettings,
  queries: Query[],
  noLockfile: string | undefined,
  context: ToolContext,
): Promise<AdvisoryCheck> {
  const failures: string[] = [];
  const done = (source: string, vulnerable: VulnerableDependency[]): AdvisoryCheck => ({
    status: 'checked',
    source,
    ...(failures.length > 0 ? { reason: `tried first: ${failures.join('; ')}` } : {}),
    checked: queries.length,
    vulnerable: vulnerable.sort((a, b) => a.line - b.line),
  });
  // auto: npm audit where the registry serves it, else the OSV file, else the OSV server.
  const attempts =
    settings.source === 'npm'
      ? (['npm'] as const)
      : settings.source === 'osv'
        ? (['osvFile', 'osvUrl'] as const)
        : (['npm', 'osvFile', 'osvUrl'] as const);
  for (const attempt of attempts) {
    if (attempt === 'npm') {
      if (noLockfile) {
        failures.push(`npm audit needs a lockfile (${noLockfile})`);
        continue;
      }
      const audited = await npmAudit(root, settings, queries, context);
      if (Array.isArray(audited)) return done(`npm audit (${settings.registry ?? 'the npm registry'})`, audited);
      failures.push(`npm audit: ${audited.reason}`);
    } else if (attempt === 'osvFile' && settings.osvFile) {
      try {
        return done(`OSV file ${settings.osvFile}`, await fromOsvFile(settings.osvFile, queries));
      } catch (error) {
        failures.push(`OSV file ${settings.osvFile}: ${(error as Error).message.slice(0, 200)}`);
      }
    } else if (attempt === 'osvUrl' && settings.osvUrl) {
      const signal = AbortSignal.any([context.signal, AbortSignal.timeout(settings.timeoutMs)]);
      try {
        return done(`OSV server ${settings.osvUrl}`, await fromOsvServer(settings.osvUrl, queries, signal));
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        failures.push(
          `OSV server ${settings.osvUrl}: ${
            signal.aborted && !context.signal.aborted
              ? `no answer within ${settings.timeoutMs} ms`
              : `${(error as Error).message}${cause ? ` (${cause})` : ''}`.slice(0, 200)
          }`,
        );
      }
    }
  }
  if (!settings.osvFile && !settings.osvUrl)
    failures.push(
      settings.source === 'osv' ? 'source "osv" needs osvFile or osvUrl' : 'no OSV file or server is configured',
    );
  return {
    status: 'unavailable',
    reason: `no advisory source is reachable, so dependencies were NOT checked for known vulnerabilities — ${failures.join('; ')}. Configure an OSV file or server (development.advisories.osvFile / osvUrl, CAELUM_OSV_FILE / CAELUM_OSV_URL).`,
    checked: 0,
    vulnerable: [],
  };
}

/** One line for a report's notes. */
export function advisoryNote(check: AdvisoryCheck): string {
  switch (check.status) {
    case 'checked':
      return `dependency advisories: ${check.checked} dependenc${check.checked === 1 ? 'y' : 'ies'} checked with ${check.source}; ${check.vulnerable.length} known-vulnerable${check.reason ? ` (${check.reason})` : ''}`;
    case 'unavailable':
      return `dependency advisories: ${check.reason}`;
    case 'off':
      return `dependency advisories: not checked (${check.reason})`;
    default:
      return `dependency advisories: not checked (${check.reason ?? check.status})`;
  }
}
