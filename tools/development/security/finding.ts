// The shape of one analysis finding, shared by the security rules, the metrics rules and the
// report. Findings are plain data so that per-file results can be cached as JSON.

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export const severityRank: Record<Severity, number> = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };

export type FindingCategory =
  'security' | 'complexity' | 'maintainability' | 'dependencies' | 'tests' | 'performance' | 'ai-review';

export interface Finding {
  /** Stable across runs: rule, file, line and a short hash of the evidence. */
  id: string;
  file: string;
  line: number;
  endLine: number;
  severity: Severity;
  category: FindingCategory;
  cwe?: string;
  rule: string;
  message: string;
  evidence: string;
  /** How sure the rule is: high for a traced source-to-sink flow, lower for pattern matches. */
  confidence: 'high' | 'medium' | 'low';
  fix?: { description: string; patch?: string };
  /** The source-to-sink path for taint findings, in order. */
  trace?: { file: string; line: number; note: string }[];
  /** Set by the AI review: found (an AI finding) or confirmed (a static finding the model also reported). */
  ai?: { model: string; confidence: number; role: 'found' | 'confirmed' };
}

/** A short stable hash (FNV-1a) for finding ids. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

export function findingId(rule: string, file: string, line: number, evidence: string): string {
  return `${rule}:${shortHash(`${file}:${line}:${evidence.trim()}`)}`;
}
