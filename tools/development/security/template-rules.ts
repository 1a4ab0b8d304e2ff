// Unescaped output in server-side templates: EJS <%- %>, Pug !{} and !=, Handlebars/Mustache
// {{{ }}} and {{& }}, Marko $!{}, Nunjucks/Swig | safe and autoescape off. Each renders a variable
// as raw HTML, which is cross-site scripting when the variable holds user data.
import type { PatternHit } from './config-rules.js';

export const templateExtensions = new Set([
  '.ejs',
  '.pug',
  '.jade',
  '.hbs',
  '.handlebars',
  '.mustache',
  '.marko',
  '.njk',
  '.nunjucks',
  '.swig',
  '.html',
  '.htm',
  '.twig',
  '.liquid',
]);

const layoutHelpers =
  /^\s*(include|body|partial|layout|contentFor|block|script|style|defineContent|blocks?\.|yield|csrf|t\(|__\(|icon|svg)/;

interface Pattern {
  extensions: Set<string>;
  regex: RegExp;
  describe: string;
  expression: (match: RegExpExecArray) => string;
  /** The escaping form to use instead. */
  escaped: string;
}

/** The mustache-family engine a template is written for: by extension, else by the project's packages. */
export function mustacheEngine(extension: string, dependencies?: Iterable<string>): string {
  if (extension === '.mustache') return 'Mustache';
  if (extension === '.hbs' || extension === '.handlebars') return 'Handlebars';
  const deps = new Set(dependencies ?? []);
  const handlebars = ['handlebars', 'hbs', 'express-handlebars', 'express-hbs', 'koa-hbs'].some((d) => deps.has(d));
  const mustache = ['mustache', 'mustache-express', 'hogan.js', 'hogan-express', 'consolidate-mustache'].some((d) =>
    deps.has(d),
  );
  return mustache && !handlebars ? 'Mustache' : handlebars && !mustache ? 'Handlebars' : 'Handlebars or Mustache';
}

/** A {{{ }}} finding on an .html template, worded for the engine the project's packages name. */
export function nameTemplateEngine(message: string, file: string, dependencies: Iterable<string>): string {
  const extension = /\.[^./]+$/.exec(file)?.[0]?.toLowerCase() ?? '';
  const engine = mustacheEngine(extension, dependencies);
  return message.startsWith('Handlebars or Mustache ') && engine !== 'Handlebars or Mustache'
    ? `${engine} ${message.slice('Handlebars or Mustache '.length)}`
    : message;
}

const patterns: Pattern[] = [
  {
    extensions: new Set(['.ejs', '.html', '.htm']),
    regex: /<%-\s*([\s\S]*?)\s*-?%>/g,
    describe: 'EJS <%- %> outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: 'EJS <%= %>',
  },
  {
    extensions: new Set(['.pug', '.jade']),
    regex: /!\{([^}]*)\}/g,
    describe: 'Pug !{} outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: 'Pug #{}',
  },
  {
    extensions: new Set(['.pug', '.jade']),
    regex: /^\s*[\w.#-]*(?:\([^)]*\))?!=\s*(.+)$/gm,
    describe: 'Pug != outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: 'Pug =',
  },
  {
    extensions: new Set(['.hbs', '.handlebars', '.mustache', '.html', '.htm']),
    regex: /\{\{\{\s*([^}]*?)\s*\}\}\}/g,
    describe: '{{{ }}} outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: '{{ }}',
  },
  {
    extensions: new Set(['.hbs', '.handlebars', '.mustache']),
    regex: /\{\{&\s*([^}]*?)\s*\}\}/g,
    describe: '{{& }} outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: '{{ }}',
  },
  {
    extensions: new Set(['.marko']),
    regex: /\$!\{([^}]*)\}/g,
    describe: 'Marko $!{} outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: 'Marko ${}',
  },
  {
    extensions: new Set(['.njk', '.nunjucks', '.swig', '.html', '.htm', '.twig', '.liquid']),
    regex: /\{\{\s*([^}|]*?)\s*\|\s*safe\s*\}\}/g,
    describe: 'the | safe filter outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: '{{ }} without | safe',
  },
  {
    extensions: new Set(['.njk', '.nunjucks', '.swig', '.html', '.htm', '.twig']),
    regex: /\{%\s*autoescape\s+(false|off)\s*%\}/g,
    describe: 'autoescape is turned off for this block',
    expression: () => 'autoescape false',
    escaped: 'autoescape on',
  },
];

export function checkTemplate(extension: string, text: string): PatternHit[] {
  const hits: PatternHit[] = [];
  const lineStarts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
  for (const pattern of patterns) {
    if (!pattern.extensions.has(extension)) continue;
    pattern.regex.lastIndex = 0;
    for (let match = pattern.regex.exec(text); match; match = pattern.regex.exec(text)) {
      const expression = pattern.expression(match).trim();
      if (!expression || layoutHelpers.test(expression) || /^['"][^'"]*['"]$/.test(expression)) continue;
      const line = lineOf(match.index);
      // {{{ }}} and {{& }} belong to the mustache family: name the engine by the extension.
      const engine = pattern.describe.startsWith('{{') ? `${mustacheEngine(extension)} ` : '';
      const evidence = text
        .slice(lineStarts[line - 1], lineStarts[line] ?? text.length)
        .trim()
        .slice(0, 240);
      hits.push({
        rule: 'xss-template',
        cwe: 'CWE-79',
        severity: 'medium',
        confidence: 'medium',
        line,
        endLine: lineOf(match.index + match[0].length),
        evidence,
        message: `${engine}${pattern.describe}: "${expression.slice(0, 60)}" is not escaped`,
        fix: {
          description: `Use the escaping form (${engine}${pattern.escaped}) unless the value is trusted HTML you produced.`,
        },
      });
    }
  }
  return hits;
}
