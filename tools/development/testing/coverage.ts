// Reads coverage reports into per-file line, function and branch figures with the uncovered lines:
// lcov.info (node --experimental-test-coverage, c8, nyc, jest), istanbul's coverage-final.json and
// coverage-summary.json, and Cobertura XML (pytest-cov, coverage.py). lcov is a line format of a
// dozen record types, read here directly rather than through an unmaintained parser package.
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { asArray, type XmlNode } from './xml.js';
import { fileCaps, parseJsonFile, readProjectText } from '../../confined-fs.js';

export interface Ratio {
  found: number;
  hit: number;
}

export interface FileCoverage {
  file: string;
  lines: Ratio;
  functions: Ratio;
  branches: Ratio;
  uncoveredLines: number[];
  /** Lines that ran (not in the tools' outputs; used to judge functions). */
  coveredLines?: number[];
  uncoveredFunctions: { name: string; line: number }[];
}

export interface CoverageReport {
  source: string;
  format: 'lcov' | 'istanbul-final' | 'istanbul-summary' | 'cobertura';
  files: FileCoverage[];
}

export const coverageCandidates = [
  'coverage/lcov.info',
  'lcov.info',
  'coverage/coverage-final.json',
  '.nyc_output/coverage-final.json',
  'coverage/coverage-summary.json',
  'coverage.xml',
  'coverage/cobertura-coverage.xml',
];

const emptyFile = (file: string): FileCoverage => ({
  file,
  lines: { found: 0, hit: 0 },
  functions: { found: 0, hit: 0 },
  branches: { found: 0, hit: 0 },
  uncoveredLines: [],
  uncoveredFunctions: [],
});

function relativeTo(root: string, file: string): string {
  const cleaned = file.replace(/^file:\/\//, '');
  return (path.isAbsolute(cleaned) ? path.relative(root, cleaned) : cleaned).split(path.sep).join('/');
}

export function parseLcov(text: string, root: string): FileCoverage[] {
  const files: FileCoverage[] = [];
  let current: FileCoverage | undefined;
  const functionLines = new Map<string, number>();
  const lineHits = new Map<number, number>();
  let branchFound = 0;
  let branchHit = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const colon = line.indexOf(':');
    const tag = colon === -1 ? line : line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (tag === 'SF') {
      current = emptyFile(relativeTo(root, value));
      functionLines.clear();
      lineHits.clear();
      branchFound = branchHit = 0;
    } else if (!current) {
      continue;
    } else if (tag === 'FN') {
      const [lineNumber, name] = [value.slice(0, value.indexOf(',')), value.slice(value.indexOf(',') + 1)];
      functionLines.set(name, Number(lineNumber));
    } else if (tag === 'FNDA') {
      const [hits, name] = [value.slice(0, value.indexOf(',')), value.slice(value.indexOf(',') + 1)];
      current.functions.found++;
      if (Number(hits) > 0) current.functions.hit++;
      else current.uncoveredFunctions.push({ name, line: functionLines.get(name) ?? 0 });
    } else if (tag === 'DA') {
      const [lineNumber, hits] = value.split(',');
      lineHits.set(Number(lineNumber), Math.max(lineHits.get(Number(lineNumber)) ?? 0, Number(hits)));
    } else if (tag === 'BRDA') {
      const taken = value.split(',')[3];
      branchFound++;
      if (taken !== '-' && Number(taken) > 0) branchHit++;
    } else if (tag === 'end_of_record') {
      current.coveredLines = [];
      for (const [lineNumber, hits] of lineHits) {
        current.lines.found++;
        if (hits > 0) {
          current.lines.hit++;
          current.coveredLines.push(lineNumber);
        } else {
          current.uncoveredLines.push(lineNumber);
        }
      }
      current.uncoveredLines.sort((a, b) => a - b);
      current.branches = { found: branchFound, hit: branchHit };
      files.push(current);
      current = undefined;
    }
  }
  return files;
}

interface IstanbulFile {
  path?: string;
  statementMap: Record<string, { start: { line: number }; end: { line: number } }>;
  s: Record<string, number>;
  fnMap: Record<string, { name: string; decl?: { start: { line: number } }; loc?: { start: { line: number } } }>;
  f: Record<string, number>;
  b: Record<string, number[]>;
}

export function parseIstanbulFinal(json: Record<string, IstanbulFile>, root: string): FileCoverage[] {
  return Object.entries(json).map(([key, data]) => {
    const coverage = emptyFile(relativeTo(root, data.path ?? key));
    const lineHits = new Map<number, number>();
    for (const [id, hits] of Object.entries(data.s)) {
      const line = data.statementMap[id]?.start.line;
      if (line !== undefined) lineHits.set(line, Math.max(lineHits.get(line) ?? 0, hits));
    }
    coverage.coveredLines = [];
    for (const [line, hits] of lineHits) {
      coverage.lines.found++;
      if (hits > 0) {
        coverage.lines.hit++;
        coverage.coveredLines.push(line);
      } else {
        coverage.uncoveredLines.push(line);
      }
    }
    coverage.uncoveredLines.sort((a, b) => a - b);
    for (const [id, hits] of Object.entries(data.f)) {
      coverage.functions.found++;
      if (hits > 0) coverage.functions.hit++;
      else
        coverage.uncoveredFunctions.push({
          name: data.fnMap[id]?.name ?? '?',
          line: data.fnMap[id]?.decl?.start.line ?? data.fnMap[id]?.loc?.start.line ?? 0,
        });
    }
    for (const counts of Object.values(data.b)) {
      coverage.branches.found += counts.length;
      coverage.branches.hit += counts.filter((c) => c > 0).length;
    }
    return coverage;
  });
}

type SummaryEntry = Record<'lines' | 'functions' | 'branches', { total: number; covered: number }>;

export function parseIstanbulSummary(json: Record<string, SummaryEntry>, root: string): FileCoverage[] {
  return Object.entries(json)
    .filter(([key]) => key !== 'total')
    .map(([key, entry]) => ({
      ...emptyFile(relativeTo(root, key)),
      lines: { found: entry.lines.total, hit: entry.lines.covered },
      functions: { found: entry.functions.total, hit: entry.functions.covered },
      branches: { found: entry.branches.total, hit: entry.branches.covered },
    }));
}

export function parseCobertura(text: string, root: string): FileCoverage[] {
  const document = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(text) as XmlNode;
  const coverage = document.coverage as XmlNode | undefined;
  const base = asArray((coverage?.sources as XmlNode | undefined)?.source as string | string[] | undefined)[0] ?? '';
  const byFile = new Map<string, FileCoverage>();
  for (const pkg of asArray((coverage?.packages as XmlNode | undefined)?.package as XmlNode | XmlNode[] | undefined)) {
    for (const cls of asArray((pkg.classes as XmlNode | undefined)?.class as XmlNode | XmlNode[] | undefined)) {
      const name = String(cls['@filename'] ?? '');
      const file = relativeTo(root, base && !path.isAbsolute(name) ? path.join(base, name) : name);
      const entry = byFile.get(file) ?? emptyFile(file);
      for (const line of asArray((cls.lines as XmlNode | undefined)?.line as XmlNode | XmlNode[] | undefined)) {
        entry.lines.found++;
        if (Number(line['@hits']) > 0) {
          entry.lines.hit++;
          (entry.coveredLines ??= []).push(Number(line['@number']));
        } else {
          entry.uncoveredLines.push(Number(line['@number']));
        }
        const condition = /\((\d+)\/(\d+)\)/.exec(String(line['@condition-coverage'] ?? ''));
        if (condition) {
          entry.branches.hit += Number(condition[1]);
          entry.branches.found += Number(condition[2]);
        }
      }
      byFile.set(file, entry);
    }
  }
  return [...byFile.values()];
}

/** Reads the first coverage report found (or the one named), relative paths against the project root. */
export async function readCoverage(root: string, named?: string): Promise<CoverageReport | undefined> {
  for (const candidate of named ? [named] : coverageCandidates) {
    let text: string;
    try {
      // A report path may be a link (or lie under a linked directory) out of the project: refused, not read.
      text = await readProjectText(root, candidate, fileCaps.large);
    } catch (error) {
      if (named && (error as { reason?: string }).reason !== 'missing') throw error;
      continue;
    }
    const source = candidate;
    if (/\.info$/.test(candidate) || /^(TN|SF):/m.test(text.slice(0, 200)))
      return { source, format: 'lcov', files: parseLcov(text, root) };
    if (text.trimStart().startsWith('<')) return { source, format: 'cobertura', files: parseCobertura(text, root) };
    const json = parseJsonFile<Record<string, unknown>>(text, candidate);
    if ('total' in json)
      return {
        source,
        format: 'istanbul-summary',
        files: parseIstanbulSummary(json as Record<string, SummaryEntry>, root),
      };
    return { source, format: 'istanbul-final', files: parseIstanbulFinal(json as Record<string, IstanbulFile>, root) };
  }
  return undefined;
}

export const percent = (ratio: Ratio): number | null =>
  ratio.found === 0 ? null : Math.round((ratio.hit / ratio.found) * 1000) / 10;

/** Line ranges ("3-4, 9") from sorted line numbers, for compact reports. */
export function lineRanges(lines: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j]! + 1) j++;
    parts.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`);
    i = j;
  }
  return parts.join(', ');
}
