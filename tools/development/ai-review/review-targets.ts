// Which code the AI review reads. The LLM pass is the expensive one, so it goes where the static
// signals say risk concentrates: functions with security findings (weighted by severity), request
// handlers (anonymous route callbacks included), functions that pass non-constant input to a shell,
// eval, the file system or a SQL query, high cognitive complexity, and files that change often.
// Handlers and risky functions qualify however short they are; other functions need three lines.
import type { ProjectAnalysis } from '../analysis/project-analysis.js';
import { isTestPath } from '../analysis/file-analysis.js';
import { severityRank, type Finding } from '../security/finding.js';

export interface ReviewTarget {
  file: string;
  name: string;
  line: number;
  endLine: number;
  risk: number;
  reasons: string[];
}

export function selectReviewTargets(
  analysis: ProjectAnalysis,
  findings: readonly Finding[],
  churn: ReadonlyMap<string, number>,
  limit: number,
): ReviewTarget[] {
  const candidates: ReviewTarget[] = [];
  for (const file of analysis.files) {
    if (file.language === 'template' || isTestPath(file.file)) continue;
    const inFile = findings.filter((f) => f.file === file.file && f.category === 'security');
    const commits = churn.get(file.file) ?? 0;
    for (const fn of file.functions) {
      const within = (line: number) => line >= fn.line && line <= fn.endLine;
      const inside = inFile.filter((f) => within(f.line));
      const tainted =
        file.taintHits.some((hit) => within(hit.line)) ||
        file.calls.some((call) => within(call.line) && call.args.some((argument) => argument?.origin !== undefined));
      const risky = fn.risky ?? [];
      if (fn.length < 3 && !fn.handler && risky.length === 0 && inside.length === 0 && !tainted) continue;
      const reasons: string[] = [];
      let risk = fn.cognitive + fn.cyclomatic / 2;
      if (inside.length > 0) {
        risk += inside.reduce((sum, f) => sum + 4 * severityRank[f.severity], 0);
        reasons.push(`${inside.length} static security finding(s)`);
      }
      if (fn.handler) {
        risk += 8;
        reasons.push('request handler');
      } else if (tainted) {
        risk += 5;
        reasons.push('handles request input');
      }
      if (risky.length > 0) {
        risk += 4 * risky.length;
        reasons.push(`calls ${risky.join(', ')} with non-constant input`);
      }
      if (commits > 0) {
        risk *= 1 + Math.log2(1 + commits) / 4;
        reasons.push(`${commits} recent commit(s)`);
      }
      if (fn.cognitive >= 10) reasons.push(`cognitive complexity ${fn.cognitive}`);
      candidates.push({
        file: file.file,
        name: fn.name,
        line: fn.line,
        endLine: fn.endLine,
        risk: Math.round(risk * 10) / 10,
        reasons,
      });
    }
  }
  candidates.sort((a, b) => b.risk - a.risk || a.file.localeCompare(b.file) || a.line - b.line);
  // Nested functions lie inside their parents: keep the outermost of overlapping picks.
  const picked: ReviewTarget[] = [];
  for (const candidate of candidates) {
    if (picked.length >= limit) break;
    if (picked.some((p) => p.file === candidate.file && p.line <= candidate.line && p.endLine >= candidate.endLine))
      continue;
    const inner = picked.findIndex(
      (p) =>
        p.file === candidate.file &&
        candidate.line <= p.line &&
        candidate.endLine >= p.endLine &&
        candidate.endLine - candidate.line < 150,
    );
    if (inner !== -1) picked.splice(inner, 1);
    picked.push(candidate);
  }
  return picked;
}
