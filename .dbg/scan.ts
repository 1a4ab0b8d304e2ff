import ts from 'typescript';
import { analyzeProject } from '/work/wt/xmod/tools/development/analysis/project-analysis.ts';
import { securityFindings } from '/work/wt/xmod/tools/development/analysis/findings.ts';
const root = process.argv[2]!;
const project = await analyzeProject(ts, { root, dataDir: '/tmp/xm/data', signal: new AbortController().signal, cache: false });
const findings = securityFindings(project, { dependencyMajors: new Map() });
for (const f of findings.filter((f) => !process.argv[3] || f.file.startsWith(process.argv[3]))) console.log(`${f.file}:${f.line} ${f.cwe} ${f.message}` + (process.env.TRACE ? '\n   ' + JSON.stringify(f.trace) : ''));
