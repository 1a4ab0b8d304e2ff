// SARIF 2.1.0 for findings, so CI systems and code hosts (GitHub code scanning) can show them.
// The log validates against the OASIS schema and keeps to what GitHub's upload accepts: rules
// from the catalogue with CWE tags and a security-severity, relative percent-encoded URIs under
// SRCROOT, snippets cut from the source (none where a secret sits), GitHub's line hash as
// partialFingerprint, and fixes only where a patch gives a mechanical change.
import type { Finding } from '../security/finding.js';
import { shortHash } from '../security/finding.js';
import { tokenPatterns } from '../security/secret-patterns.js';
import { lineHashes } from './line-hash.js';
import { artifactLocation, patchReplacements, rootUri, sourceLines } from './sarif-artifacts.js';
import { sarifLevel, sarifRules, securitySeverity } from './sarif-rules.js';
import { readSource } from './sarif-source.js';

export interface SarifOptions {
  toolVersion: string;
  /** Absolute project root: the SRCROOT base of every artifact URI. */
  root: string;
  /** Where people read about the tool; omitted from the log when undefined. */
  informationUri?: string;
  /** The analysis kind, as run.automationDetails.id `caelum/<category>/`, so runs of different kinds do not close each other's alerts. */
  category?: string;
  /** Findings left out of the log (over maxFindings), reported as a tool notification. */
  omitted?: number;
  /** Source text by project-relative path; by default read from under root. */
  readText?: (file: string) => string | undefined;
}

/** GitHub shows the first line of a message; it must stay within 1000 characters. */
const maxFirstLine = 1000;
/** Longer regions (whole functions) get no snippet: a snippet is exact or absent. */
const maxSnippetLines = 50;
/** GitHub keeps 1000 thread-flow locations per result and rejects more than 10 000. */
const maxFlowSteps = 1000;
/** Rules whose evidence is a secret: their lines are never copied into the log. */
const secretCwes = new Set(['CWE-798', 'CWE-259', 'CWE-321', 'CWE-260', 'CWE-547']);

export const isSecretFinding = (finding: Finding) =>
  (finding.cwe !== undefined && secretCwes.has(finding.cwe.toUpperCase())) || /secret/.test(finding.rule);

const containsToken = (text: string) => tokenPatterns.some(({ pattern }) => new RegExp(pattern.source).test(text));

function messageText(finding: Finding, advice: string | undefined): string {
  const text = advice ? `${finding.message.replace(/[.\s]+$/, '')}. Fix: ${advice}` : finding.message;
  const [first = '', ...rest] = text.split('\n');
  const clipped = first.length > maxFirstLine ? `${first.slice(0, maxFirstLine - 1)}…` : first;
  return [clipped, ...rest].join('\n');
}

export function toSarif(findings: readonly Finding[], options: SarifOptions): Record<string, unknown> {
  const read = options.readText ?? ((file: string) => readSource(options.root, file));
  const texts = new Map<string, string | undefined>();
  const textOf = (file: string) => {
    if (!texts.has(file)) texts.set(file, read(file));
    return texts.get(file);
  };
  const splitLines = new Map<string, string[]>();
  const linesOf = (file: string) => {
    const text = textOf(file);
    if (text === undefined) return undefined;
    if (!splitLines.has(file)) splitLines.set(file, text.split('\n'));
    return splitLines.get(file);
  };
  const hashes = new Map<string, string[]>();
  const hashOf = (file: string, line: number) => {
    const text = textOf(file);
    if (text === undefined) return undefined;
    if (!hashes.has(file)) hashes.set(file, lineHashes(text));
    return hashes.get(file)![line - 1];
  };
  // Lines that hold a secret, by file: no snippet of any result may show them.
  const secretLines = new Map<string, Set<number>>();
  for (const finding of findings)
    if (isSecretFinding(finding)) {
      const lines = secretLines.get(finding.file) ?? new Set<number>();
      for (let line = finding.line; line <= Math.max(finding.line, finding.endLine); line++) lines.add(line);
      secretLines.set(finding.file, lines);
    }

  const rules = sarifRules(findings);
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  const helpText = new Map(rules.map((rule) => [rule.id, rule.help.text]));
  const seen = new Map<string, number>();

  const results = findings.map((finding) => {
    const text = textOf(finding.file);
    const lines = linesOf(finding.file);
    const lineCount = lines?.length;
    const startLine = Math.max(1, finding.line);
    const endLine = Math.max(startLine, Math.min(finding.endLine, lineCount ?? Number.MAX_SAFE_INTEGER));
    const hidden = [...(secretLines.get(finding.file) ?? [])].some((line) => line >= startLine && line <= endLine);
    const snippet =
      lines && !hidden && endLine - startLine < maxSnippetLines ? sourceLines(lines, startLine, endLine) : undefined;
    const location = artifactLocation(finding.file, options.root);
    const replacements =
      finding.fix?.patch && !hidden ? patchReplacements(finding.fix.patch, finding.file, text) : undefined;
    const advice =
      !replacements && finding.fix && finding.fix.description !== helpText.get(finding.rule)
        ? finding.fix.description
        : undefined;
    const lineHash = hashOf(finding.file, startLine);
    // Stable when lines move: the rule, the file and the code of the line, numbered per repeat.
    const code = (lines ? sourceLines(lines, startLine, startLine) : undefined) ?? finding.evidence;
    const key = shortHash(`${finding.rule}\0${finding.file}\0${code.replace(/\s+/g, '')}`);
    const occurrence = (seen.get(key) ?? 0) + 1;
    seen.set(key, occurrence);
    return {
      ruleId: finding.rule,
      ruleIndex: ruleIndex.get(finding.rule)!,
      level: sarifLevel[finding.severity],
      message: { text: messageText(finding, advice) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: location,
            region: {
              startLine,
              endLine,
              ...(snippet !== undefined && !containsToken(snippet) ? { snippet: { text: snippet } } : {}),
            },
          },
        },
      ],
      partialFingerprints: {
        ...(lineHash ? { primaryLocationLineHash: lineHash } : {}),
        'caelumFinding/v1': `${key}:${occurrence}`,
      },
      properties: {
        findingId: finding.id,
        severity: finding.severity,
        confidence: finding.confidence,
        category: finding.category,
        ...(finding.cwe ? { cwe: finding.cwe } : {}),
        ...(finding.category === 'security' || finding.cwe
          ? { 'security-severity': securitySeverity[finding.severity] }
          : {}),
      },
      ...(finding.trace && finding.trace.length > 1 ? { codeFlows: [codeFlow(finding.trace, options.root)] } : {}),
      ...(replacements
        ? {
            fixes: [
              {
                description: { text: finding.fix!.description },
                artifactChanges: [{ artifactLocation: location, replacements }],
              },
            ],
          }
        : {}),
    };
  });

  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Caelum',
            ...(options.informationUri ? { informationUri: options.informationUri } : {}),
            version: options.toolVersion,
            semanticVersion: options.toolVersion,
            rules,
          },
        },
        ...(options.category ? { automationDetails: { id: `caelum/${options.category}/` } } : {}),
        invocations: [
          {
            executionSuccessful: true,
            ...(options.omitted
              ? {
                  toolExecutionNotifications: [
                    {
                      level: 'warning',
                      message: {
                        text: `${options.omitted} more finding(s) were left out of this log by maxFindings; raise maxFindings (up to 5000) to include them`,
                      },
                    },
                  ],
                }
              : {}),
          },
        ],
        originalUriBaseIds: { SRCROOT: { uri: rootUri(options.root) } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

function codeFlow(trace: NonNullable<Finding['trace']>, root: string) {
  return {
    threadFlows: [
      {
        locations: trace.slice(0, maxFlowSteps).map((step) => ({
          location: {
            physicalLocation: {
              artifactLocation: artifactLocation(step.file, root),
              region: { startLine: Math.max(1, step.line) },
            },
            message: { text: step.note },
          },
        })),
      },
    ],
  };
}
