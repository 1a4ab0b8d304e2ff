// SARIF rule descriptors (reportingDescriptor) from the rule catalogue. Everything at rule level
// (level, security-severity, tags, precision) comes from the rule itself, never from whichever
// finding of the rule happened to come first; only rules the catalogue does not know (the AI
// review's) are described from the set of their findings, in an order-independent way.
import type { Finding, Severity } from '../security/finding.js';
import { severityRank } from '../security/finding.js';
import { ruleCatalogue, type RuleEntry } from '../security/rule-catalogue.js';

export type SarifLevel = 'error' | 'warning' | 'note';

export const sarifLevel: Record<Severity, SarifLevel> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** CVSS-like scores, inside GitHub's bands: critical > 9.0, high 7.0–8.9, medium 4.0–6.9, low < 4. */
export const securitySeverity: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '1.0',
};

const problemSeverity: Record<SarifLevel, string> = { error: 'error', warning: 'warning', note: 'recommendation' };
const precision: Record<RuleEntry['kind'], string> = {
  taint: 'high',
  pattern: 'medium',
  project: 'medium',
  quality: 'high',
};

/** GitHub shows at most 10 tags per rule and rejects more than 20. */
const maxTags = 10;
const maxName = 255;
const maxDescription = 1024;

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri?: string;
  defaultConfiguration: { level: SarifLevel };
  properties: Record<string, unknown> & { tags: string[] };
}

export function cweNumber(cwe: string | undefined): string | undefined {
  return cwe?.match(/^CWE-(\d+)$/i)?.[1];
}

export function cweUri(cwe: string | undefined): string | undefined {
  const number = cweNumber(cwe);
  return number ? `https://cwe.mitre.org/data/definitions/${number}.html` : undefined;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const pascal = (id: string) => id.replace(/(^|[-_/])(\w)/g, (_match, _sep, c: string) => c.toUpperCase());

function descriptor(entry: RuleEntry, category: string, extraCwes: string[] = []): SarifRule {
  const severity = entry.severity ?? 'medium';
  const level = sarifLevel[severity];
  const cwes = [...new Set([...(entry.cwe ? [entry.cwe] : []), ...extraCwes])].sort();
  const tags = [
    category,
    ...cwes.flatMap((cwe) => (cweNumber(cwe) ? [`external/cwe/cwe-${cweNumber(cwe)}`] : [])),
  ].slice(0, maxTags);
  const helpUri = cweUri(entry.cwe);
  const cweNote = entry.cwe ? ` (${entry.cwe})` : '';
  return {
    id: entry.rule,
    name: clip(pascal(entry.rule), maxName),
    shortDescription: { text: clip(`${entry.title}${cweNote}`, maxDescription) },
    fullDescription: { text: clip(`Detects ${entry.detects}.`, maxDescription) },
    help: {
      text: `${entry.fix}`,
      markdown: `**${entry.title}**${cweNote}\n\nDetects ${entry.detects}.\n\n**Fix:** ${entry.fix}${helpUri ? `\n\n[${entry.cwe}](${helpUri})` : ''}`,
    },
    ...(helpUri ? { helpUri } : {}),
    defaultConfiguration: { level },
    properties: {
      tags,
      precision: precision[entry.kind],
      'problem.severity': problemSeverity[level],
      ...(category === 'security' ? { 'security-severity': securitySeverity[severity] } : {}),
    },
  };
}

/** A rule the catalogue does not list (AI review findings): described from all its findings. */
function unlistedEntry(rule: string, findings: readonly Finding[]): { entry: RuleEntry; category: string } {
  const worst = findings.reduce<Severity>(
    (acc, f) => (severityRank[f.severity] > severityRank[acc] ? f.severity : acc),
    'info',
  );
  const security = findings.some((f) => f.category === 'security' || f.cwe !== undefined);
  const categories = [...new Set(findings.map((f) => f.category))].sort();
  const words = rule.replace(/^ai-/, '').replace(/[-_]/g, ' ');
  const title = rule.startsWith('ai-') ? `AI review: ${words}` : words;
  return {
    category: security ? 'security' : (categories[0] ?? 'maintainability'),
    entry: {
      rule,
      title: title.charAt(0).toUpperCase() + title.slice(1),
      severity: worst,
      kind: 'pattern',
      languages: [],
      detects: rule.startsWith('ai-') ? 'issues an LLM review found in the riskiest functions' : words,
      fix: 'See the message of each result.',
    },
  };
}

/**
 * Every catalogued rule, in catalogue order, then the rules of `findings` that the catalogue does
 * not list, by id: the same rules at the same indexes in every log, whatever was found.
 */
export function sarifRules(findings: readonly Finding[]): SarifRule[] {
  const catalogue = ruleCatalogue().filter(
    (entry, index, all) => all.findIndex((other) => other.rule === entry.rule) === index,
  );
  const listed = new Set(catalogue.map((entry) => entry.rule));
  const rules = catalogue.map((entry) => descriptor(entry, entry.kind === 'quality' ? 'maintainability' : 'security'));
  const unlisted = new Map<string, Finding[]>();
  for (const finding of findings)
    if (!listed.has(finding.rule)) unlisted.set(finding.rule, [...(unlisted.get(finding.rule) ?? []), finding]);
  for (const rule of [...unlisted.keys()].sort()) {
    const list = unlisted.get(rule)!;
    const { entry, category } = unlistedEntry(rule, list);
    const cwes = list.flatMap((f) => (f.cwe ? [f.cwe] : []));
    rules.push(descriptor(entry, category, cwes));
  }
  return rules;
}
