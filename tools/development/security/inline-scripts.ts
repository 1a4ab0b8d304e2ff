// Inline <script> blocks in server templates are JavaScript the browser runs, so the DOM sinks in
// them (innerHTML, document.write, location, eval) are checked with the taint engine. Template
// output inside the script is a source: escaped output (<%= %>, {{ }}) is still attacker text in
// a JavaScript or URL context (it only lost its HTML metacharacters), raw output (<%- %>, {{{ }}})
// is attacker text everywhere. Line numbers are the template's.
import type TS from 'typescript';
import type { PatternHit } from './config-rules.js';
import { sinkClasses } from './sink-classes.js';
import { TaintEngine } from './taint-engine.js';
import { parseScript } from '../cyclomatic.js';

type Typescript = typeof TS;

const scriptBlock = /<script\b((?:<%[\s\S]*?%>|\{\{[\s\S]*?\}\}|[^>])*)>([\s\S]*?)<\/script\s*>/gi;
const interpolation = /<%([=-]?)([\s\S]*?)-?%>|\{\{(\{?)([\s\S]*?)\}?\}\}/g;
const javascriptType = /^\s*$|type\s*=\s*["']?(text\/javascript|application\/javascript|module)["']?/i;
const SOURCE = 'window.name';

export function checkInlineScripts(ts: Typescript, extension: string, text: string): PatternHit[] {
  if (!['.ejs', '.html', '.htm', '.hbs', '.handlebars', '.mustache', '.njk', '.nunjucks'].includes(extension))
    return [];
  const hits: PatternHit[] = [];
  const lineAt = (offset: number) => {
    let line = 1;
    for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
    return line;
  };
  scriptBlock.lastIndex = 0;
  for (let block = scriptBlock.exec(text); block; block = scriptBlock.exec(text)) {
    const attributes = block[1]!.replace(/<%[\s\S]*?%>|\{\{[\s\S]*?\}\}/g, 'x');
    if (
      /\bsrc\s*=/.test(attributes) ||
      !javascriptType.test(attributes.replace(/\b(nonce|defer|async|id|class)(=("[^"]*"|'[^']*'|\S+))?/g, ''))
    )
      continue;
    const closing = /<\/script\s*>$/i.exec(block[0])![0].length;
    const bodyStart = block.index + block[0].length - closing - block[2]!.length;
    const firstLine = lineAt(bodyStart);
    const { code, origins } = translate(block[2]!, firstLine);
    if (
      !/innerHTML|outerHTML|document\.write|insertAdjacentHTML|location|eval|Function|setTimeout|setInterval|\.href|\.src|window\.open|\.html\(/.test(
        code,
      )
    )
      continue;
    const source = parseScript(ts, 'inline.js', '\n'.repeat(firstLine - 1) + code);
    const lines = text.split('\n');
    for (const hit of new TaintEngine(ts, source).run().hits) {
      if (hit.cls === 'log') continue; // the browser console is not a log anyone parses
      const cls = sinkClasses[hit.cls];
      const from = hit.origin.text.includes(SOURCE)
        ? (origins.get(hit.origin.line) ?? 'template output')
        : hit.origin.text;
      hits.push({
        rule: cls.rule,
        cwe: cls.cwe,
        severity: cls.severity,
        confidence: 'medium',
        line: hit.line,
        endLine: hit.endLine,
        evidence: (lines[hit.line - 1] ?? '').trim().slice(0, 240),
        message: `in an inline script, ${from} reaches a sink: ${hit.what}`,
        fix: { description: cls.advice },
      });
    }
  }
  return hits;
}

/** The script with each template tag replaced by a source expression, line for line. */
function translate(body: string, firstLine: number): { code: string; origins: Map<number, string> } {
  const origins = new Map<number, string>();
  let code = '';
  let quote: string | undefined;
  let line = firstLine;
  for (let i = 0; i < body.length;) {
    interpolation.lastIndex = i;
    const match = body[i] === '<' || body[i] === '{' ? interpolation.exec(body) : null;
    if (match && match.index === i) {
      const ejs = match[2] !== undefined;
      const kind = ejs ? match[1] : match[3] ? '-' : /^\s*[#/^!>]|^\s*else\b/.test(match[4]!) ? '' : '=';
      const newlines = (match[0].match(/\n/g) ?? []).length;
      if (kind === '=' || kind === '-') {
        origins.set(line, match[0].replace(/\s+/g, ' ').slice(0, 60));
        const value = kind === '=' ? `escapeHtml(${SOURCE})` : `(${SOURCE})`;
        code += quote === '`' ? `\${${value}}` : quote ? `${quote} + ${value} + ${quote}` : value;
      }
      code += '\n'.repeat(newlines);
      line += newlines;
      i += match[0].length;
      continue;
    }
    const c = body[i]!;
    if (c === '\\' && quote) {
      code += body.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = quote === c ? undefined : (quote ?? c);
    else if (c === '\n') {
      line++;
      if (quote !== '`') quote = undefined;
    }
    code += c;
    i++;
  }
  return { code, origins };
}
