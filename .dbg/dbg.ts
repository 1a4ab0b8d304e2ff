import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { analyzeScript } from '/work/wt/xmod/tools/development/analysis/file-analysis.ts';
for (const f of process.argv.slice(2)) {
  const a = analyzeScript(ts, f, readFileSync(f, 'utf8'));
  console.log(f, JSON.stringify({ hits: a.taintHits, summaries: a.summaries, calls: a.calls, exportMap: a.exportMap }, null, 0));
}
