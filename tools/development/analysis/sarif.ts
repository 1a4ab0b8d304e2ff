// SARIF 2.1.0 for findings, so CI systems and code hosts (GitHub code scanning) can show them.
// One rule per rule id with its CWE as a tag; levels from severities; fixes as text, and the
// patch as an artifact change when one exists.
import type { Finding } from '../security/finding.js';

const level: Record<Finding['severity'], 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};
const securitySeverity: Record<Finding['severity'], string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '1.0',
};

export function toSarif(
  findings: readonly Finding[],
  options: { toolVersion: string; root: string },
): Record<string, unknown> {
  const rules = new Map<string, { id: string; cwe?: string; category: string; severity: Finding['severity'] }>();
  for (const finding of findings)
    if (!rules.has(finding.rule))
      rules.set(finding.rule, {
        id: finding.rule,
        ...(finding.cwe ? { cwe: finding.cwe } : {}),
        category: finding.category,
        severity: finding.severity,
      });
  const ruleList = [...rules.values()];
  const ruleIndex = new Map(ruleList.map((rule, index) => [rule.id, index]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Caelum',
            informationUri: 'https://github.com/caelum',
            version: options.toolVersion,
            rules: ruleList.map((rule) => ({
              id: rule.id,
              name: rule.id.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase()),
              shortDescription: { text: rule.id.replace(/-/g, ' ') },
              defaultConfiguration: { level: level[rule.severity] },
              properties: {
                tags: [rule.category, ...(rule.cwe ? [`external/cwe/${rule.cwe.toLowerCase()}`] : [])],
                ...(rule.category === 'security' ? { 'security-severity': securitySeverity[rule.severity] } : {}),
              },
            })),
          },
        },
        originalUriBaseIds: {
          SRCROOT: { uri: `file://${options.root.endsWith('/') ? options.root : `${options.root}/`}` },
        },
        results: findings.map((finding) => ({
          ruleId: finding.rule,
          ruleIndex: ruleIndex.get(finding.rule),
          level: level[finding.severity],
          message: { text: finding.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: finding.file, uriBaseId: 'SRCROOT' },
                region: {
                  startLine: finding.line,
                  endLine: Math.max(finding.line, finding.endLine),
                  snippet: { text: finding.evidence },
                },
              },
            },
          ],
          partialFingerprints: { caelumFindingId: finding.id },
          properties: {
            severity: finding.severity,
            confidence: finding.confidence,
            category: finding.category,
            ...(finding.cwe ? { cwe: finding.cwe } : {}),
          },
          ...(finding.trace && finding.trace.length > 1
            ? {
                codeFlows: [
                  {
                    threadFlows: [
                      {
                        locations: finding.trace.map((step) => ({
                          location: {
                            physicalLocation: {
                              artifactLocation: { uri: step.file, uriBaseId: 'SRCROOT' },
                              region: { startLine: step.line },
                            },
                            message: { text: step.note },
                          },
                        })),
                      },
                    ],
                  },
                ],
              }
            : {}),
          ...(finding.fix ? { fixes: [{ description: { text: finding.fix.description } }] } : {}),
        })),
      },
    ],
  };
}
