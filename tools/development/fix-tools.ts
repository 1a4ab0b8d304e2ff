// development_apply_fix: applies a finding's mechanical patch to the file. The finding is looked up
// again in the file's current state (so a stale id is refused rather than misapplied), the patch is
// applied with jsdiff (context lines must match exactly), the write is atomic (temp file + rename,
// file mode kept), and the file is analysed again to show the finding is gone.
import path from 'node:path';
import { applyPatch } from 'diff';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { buildStaticReport } from './static-report.js';
import { projectPathField, projectRelative } from './project-directory.js';
import { Confinement, fileCaps, readConfinedText, writeConfined } from '../confined-fs.js';

export const applyFix = defineTool({
  name: 'development_apply_fix',
  domain: 'development',
  tags: ['fix', 'patch', 'autofix', 'remediation', 'apply', 'improve'],
  requests: [
    'apply a fix patch for a finding',
    'autofix a reported issue',
    'list fixable findings in a file',
    'patch the file to fix the finding',
    'fix the finding automatically',
    'apply the mechanical fix to the file',
  ],
  title: "Apply a finding's patch",
  description:
    'Applies the unified-diff patch of one finding (analyzeAndImproveCode returns a patch when the fix is mechanical, e.g. a TLS flag or an unsafe call) to the file, atomically, after checking the finding still exists and the patch\'s context still matches; then re-analyses the file. Without findingId (or with dryRun) it only lists the file\'s fixable findings and their patches. Destructive: runTool needs confirm: true. Example: {"path": ".", "file": "src/app.js", "findingId": "tls-verification-disabled:src/app.js:12:1a2b3c4d"}',
  kind: { effect: 'destructive' },
  input: z.object({
    path: projectPathField,
    file: z.string().min(1).describe("The finding's file, relative to the project."),
    findingId: z
      .string()
      .min(1)
      .max(300)
      .optional()
      .describe("The finding's id from the report. Omit it to list the file's fixable findings."),
    dryRun: z.boolean().default(false).describe('Show the patch without writing it.'),
  }),
  output: z.object({
    applied: z.boolean(),
    file: z.string(),
    fixable: z.array(
      z.object({ id: z.string(), rule: z.string(), line: z.number().int(), message: z.string(), patch: z.string() }),
    ),
    patch: z.string().optional(),
    stillReported: z.boolean().optional(),
    remainingInFile: z.number().int().optional(),
  }),
  examples: [{ path: '.', file: 'src/index.ts', dryRun: true }],
  async handler(input, context) {
    const relative = projectRelative(input.file, 'file');
    const report = await buildStaticReport(context, {
      path: input.path,
      paths: [relative],
      security: true,
      quality: true,
    });
    const inFile = report.findings.filter((f) => f.file === relative);
    const fixable = inFile
      .filter((f) => f.fix?.patch)
      .map((f) => ({ id: f.id, rule: f.rule, line: f.line, message: f.message, patch: f.fix!.patch! }));
    if (!input.findingId) return { applied: false, file: relative, fixable };
    const finding = inFile.find((f) => f.id === input.findingId);
    if (!finding)
      throw new InputError(
        'findingId',
        `no current finding ${input.findingId} in ${relative}; ids follow the line's text, so re-run analyzeAndImproveCode and use a fresh id`,
      );
    const patch = finding.fix?.patch;
    if (!patch)
      throw new InputError(
        'findingId',
        `this finding has no mechanical patch; apply its advice by hand: ${finding.fix?.description ?? finding.message}`,
      );
    if (input.dryRun) return { applied: false, file: relative, fixable, patch };
    const absolute = path.join(report.root, relative);
    const confinement = Confinement.ofReal([report.root]);
    const before = await readConfinedText(absolute, confinement, { maxBytes: fileCaps.source });
    const after = applyPatch(before, patch);
    if (after === false)
      throw new InputError(
        'findingId',
        `${relative} changed since the patch was made; re-run the analysis for a fresh patch`,
      );
    // Through the verified parent directory: a directory swapped for a link since cannot redirect it.
    await writeConfined(absolute, after, confinement);
    const again = await buildStaticReport(context, {
      path: input.path,
      paths: [relative],
      security: true,
      quality: true,
    });
    const remaining = again.findings.filter((f) => f.file === relative);
    return {
      applied: true,
      file: relative,
      fixable,
      patch,
      stillReported: remaining.some((f) => f.rule === finding.rule && f.line === finding.line),
      remainingInFile: remaining.length,
    };
  },
  summarize: (o) =>
    !o.patch
      ? `${o.fixable.length} fixable finding(s) in ${o.file}${o.fixable.map((f) => `\n  ${f.id} (line ${f.line}): ${f.message}`).join('')}`
      : `${o.applied ? 'applied' : 'dry run, not written'}: ${o.file}\n${o.patch}${o.applied ? `\n${o.stillReported ? 'the finding is still reported after the patch' : 'the finding is gone'}; ${o.remainingInFile} finding(s) left in the file` : ''}`,
});
