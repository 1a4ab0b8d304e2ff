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

// Every scan below is linear in the template: a tag's body cannot run past the next opening of
// its kind, and the script blocks are found by hand (a regex over `<script` openings that never
// close, or `<%` that never ends, went back over the rest of the file from each one).
const scriptOpen = /<script\b/gi;
const scriptClose = /<\/script\s*>/gi;
const interpolation = /<%([=-]?)((?:[^%<]|%(?!>)|<(?!%))*?)-?%>|\{\{(\{?)((?:[^{}]|\{(?!\{)|\}(?!\}))*?)\}?\}\}/y;
const javascriptType = /^\s*$|type\s*=\s*["']?(text\/javascript|application\/javascript|module)["']?/i;
const SOURCE = 'window.name';
// A budget: each block is parsed on its own, so a template made of thousands of blocks would cost
// thousands of parses. Real templates have a handful; past this many the rest are not analysed.
const maxScriptBlocks = 500;

export function checkInlineScripts(ts: Typescript, extension: string, text: string): PatternHit[] {
  if (!['.ejs', '.html', '.htm', '.hbs', '.handlebars', '.mustache', '.njk', '.nunjucks'].includes(extension))
    return [];
  const hits: PatternHit[] = [];
  const lines = text.split('\n');
  let counted = 0;
  let countedLine = 1;
  const lineAt = (offset: number) => {
    for (; counted < offset; counted++) if (text.charCodeAt(counted) === 10) countedLine++;
    return countedLine;
  };
  let analysed = 0;
  for (const block of scriptBlocks(text)) {
    if (++analysed > maxScriptBlocks) break;
    const attributes = block.attributes.replace(/<%[\s\S]*?%>|\{\{[\s\S]*?\}\}/g, 'x');
    if (
      /\bsrc\s*=/.test(attributes) ||
      !javascriptType.test(attributes.replace(/\b(nonce|defer|async|id|class)(=("[^"]*"|'[^']*'|\S+))?/g, ''))
    )
      continue;
    const firstLine = lineAt(block.bodyStart);
    const { code, origins } = translate(block.body);
    if (
      !/innerHTML|outerHTML|document\.write|insertAdjacentHTML|location|eval|Function|setTimeout|setInterval|\.href|\.src|window\.open|\.html\(/.test(
        code,
      )
    )
      continue;
    // Parsed on its own and its lines shifted after: padding each script with the lines above it
    // made a template of many scripts quadratic.
    const source = parseScript(ts, 'inline.js', code);
    const shift = firstLine - 1;
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
        line: hit.line + shift,
        endLine: hit.endLine + shift,
        evidence: (lines[hit.line + shift - 1] ?? '').trim().slice(0, 240),
        message: `in an inline script, ${from} reaches a sink: ${hit.what}`,
        fix: { description: cls.advice },
      });
    }
  }
  return hits;
}

interface ScriptBlock {
  attributes: string;
  body: string;
  bodyStart: number;
}

/**
 * The <script> blocks of a template: the attributes (template tags in them may hold `>`) and the
 * body up to </script>. One pass: once no `</script>`, `%>` or `}}` is left, none is looked for again.
 */
function* scriptBlocks(text: string): Generator<ScriptBlock> {
  let ejsCloses = true;
  let mustacheCloses = true;
  scriptOpen.lastIndex = 0;
  for (let open = scriptOpen.exec(text); open; open = scriptOpen.exec(text)) {
    let i = open.index + open[0].length;
    while (i < text.length && text[i] !== '>') {
      const pair = text.slice(i, i + 2);
      const end =
        pair === '<%' && ejsCloses
          ? text.indexOf('%>', i + 2)
          : pair === '{{' && mustacheCloses
            ? text.indexOf('}}', i + 2)
            : -1;
      if (end >= 0) {
        i = end + 2;
        continue;
      }
      if (pair === '<%') ejsCloses = false;
      if (pair === '{{') mustacheCloses = false;
      i++;
    }
    if (i >= text.length) return;
    scriptClose.lastIndex = i + 1;
    const close = scriptClose.exec(text);
    if (!close) return;
    yield {
      attributes: text.slice(open.index + open[0].length, i),
      body: text.slice(i + 1, close.index),
      bodyStart: i + 1,
    };
    scriptOpen.lastIndex = close.index + close[0].length;
  }
}

/** The script with each template tag replaced by a source expression, line for line (from 1). */
function translate(body: string): { code: string; origins: Map<number, string> } {
  const origins = new Map<number, string>();
  let code = '';
  let quote: string | undefined;
  let line = 1;
  for (let i = 0; i < body.length;) {
    interpolation.lastIndex = i;
    const match = body[i] === '<' || body[i] === '{' ? interpolation.exec(body) : null;
    if (match) {
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
