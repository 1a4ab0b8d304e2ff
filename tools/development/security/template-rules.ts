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

// Each tag's body stops at the next opening brace or template tag, and whitespace is trimmed after
// the match rather than matched on both sides of a lazy body: an unclosed tag repeated through a
// file was otherwise scanned to the end from each one (quadratic).
const patterns: Pattern[] = [
  {
    extensions: new Set(['.ejs', '.html', '.htm']),
    regex: /<%-((?:[^<%]|<(?!%)|%(?!>))*?)-?%>/g,
    describe: 'EJS <%- %> outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: 'EJS <%= %>',
  },
  {
    extensions: new Set(['.pug', '.jade']),
    regex: /!\{([^{}]*)\}/g,
    describe: 'Pug !{} outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: 'Pug #{}',
  },
  {
    extensions: new Set(['.pug', '.jade']),
    regex: /^[ \t]*[\w.#-]*(?:\([^()]*\))?!=[ \t]*(.+)$/gm,
    describe: 'Pug != outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: 'Pug =',
  },
  {
    extensions: new Set(['.hbs', '.handlebars', '.mustache', '.html', '.htm']),
    regex: /\{\{\{([^{}]*?)\}\}\}/g,
    describe: '{{{ }}} outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: '{{ }}',
  },
  {
    extensions: new Set(['.hbs', '.handlebars', '.mustache']),
    regex: /\{\{&([^{}]*?)\}\}/g,
    describe: '{{& }} outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: '{{ }}',
  },
  {
    extensions: new Set(['.marko']),
    regex: /\$!\{([^{}]*)\}/g,
    describe: 'Marko $!{} outputs raw HTML',
    expression: (m) => m[1]!,
    escaped: 'Marko ${}',
  },
  {
    extensions: new Set(['.njk', '.nunjucks', '.swig', '.html', '.htm', '.twig', '.liquid']),
    regex: /\{\{([^{}|]*?)\|\s*safe\s*\}\}/g,
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

/** Template values that look like a URL a user supplied: a request part or a profile link. */
const userUrl =
  /\b(query|params|body|website|homepage|returnUrl|returnTo|redirectUrl|redirect_uri|redirect|next|callbackUrl)\b|\b(user|profile|author|owner|member|account|customer)\.\w*(url|link|site|homepage|href)\w*\b/i;
const urlAttributes: { extensions: Set<string>; regex: RegExp }[] = [
  {
    // <a href="<%= x %>">, <form action="{{ x }}">, <iframe src="{{x}}">: the value opens the attribute.
    extensions: new Set([
      '.ejs',
      '.html',
      '.htm',
      '.hbs',
      '.handlebars',
      '.mustache',
      '.njk',
      '.nunjucks',
      '.twig',
      '.liquid',
    ]),
    regex:
      // Linear: the tag's attributes stop at the next `<` or `>` (a template tag aside), the value
      // at the next `<%` or `{`, and no whitespace is matched on both sides of it (it is trimmed).
      /<(\w+)\b(?:[^<>]|<%[^<>]*%>)*?\s(href|action|formaction|src)\s*=\s*["']?\s*(?:<%=((?:[^<%]|<(?!%)|%(?!>))*?)-?%>|\{\{(?!\{)([^{}]*?)\}\})/gi,
  },
  {
    extensions: new Set(['.pug', '.jade']),
    regex: /^[ \t]*(\w+)\b[^(\n]*\([^)\n]*?\b(href|action|formaction|src)\s*=\s*(?!['"`])([\w.$[\]]+)()/gim,
  },
];

/** Escaped output in a URL attribute still runs `javascript:` URLs when the value is the user's. */
function checkUrlAttributes(
  extension: string,
  text: string,
  lineOf: (offset: number) => number,
  lineText: (line: number) => string,
): PatternHit[] {
  const hits: PatternHit[] = [];
  for (const { extensions, regex } of urlAttributes) {
    if (!extensions.has(extension)) continue;
    regex.lastIndex = 0;
    for (let match = regex.exec(text); match; match = regex.exec(text)) {
      const tag = match[1]!.toLowerCase();
      const attribute = match[2]!.toLowerCase();
      const expression = (match[3] || match[4] || '').trim();
      if (attribute === 'src' && !/^(iframe|frame|embed)$/.test(tag)) continue;
      if (!expression || !userUrl.test(expression)) continue;
      const line = lineOf(match.index + match[0].length - 1);
      hits.push({
        rule: 'xss-url',
        cwe: 'CWE-79',
        severity: 'medium',
        confidence: 'medium',
        line,
        endLine: line,
        evidence: lineText(line).trim().slice(0, 240),
        message: `"${expression.slice(0, 60)}" opens the ${attribute} attribute: HTML escaping leaves a javascript: URL intact`,
        fix: {
          description:
            'Check the URL before rendering it: parse it and allow only http: and https: (or prefix a fixed path).',
        },
      });
    }
  }
  return hits;
}

const cleartextResource =
  /<(script|form|iframe)\b(?:[^<>]|<%[^<>]*%>)*?\s(src|action)\s*=\s*["']?(http|ws):\/\/([^/"'\s:?#>]+)/gi;
const localHost =
  /^(localhost|127\.|10\.|192\.168\.|0\.0\.0\.0)|(^|\.)(local|internal|test|example|example\.(com|org|net)|invalid)$/i;

/** <script src="http://...">, <form action="http://...">: code or credentials over plain HTTP. */
function checkCleartextResources(
  text: string,
  lineOf: (offset: number) => number,
  lineText: (line: number) => string,
): PatternHit[] {
  const hits: PatternHit[] = [];
  cleartextResource.lastIndex = 0;
  for (let match = cleartextResource.exec(text); match; match = cleartextResource.exec(text)) {
    const host = match[4]!;
    if (!host.includes('.') || localHost.test(host)) continue;
    const line = lineOf(match.index + match[0].length - 1);
    const tag = match[1]!.toLowerCase();
    hits.push({
      rule: 'cleartext-transport',
      cwe: 'CWE-319',
      severity: 'medium',
      confidence: 'high',
      line,
      endLine: line,
      evidence: lineText(line).trim().slice(0, 240),
      message:
        tag === 'form'
          ? `the form posts to http://${host}: what is typed into it crosses the network in clear`
          : `the ${tag} loads from http://${host}: anyone on the path can replace it with their own code`,
      fix: { description: 'Use https:// (and Subresource Integrity for third-party scripts).' },
    });
  }
  return hits;
}

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
  const lineText = (line: number) => text.slice(lineStarts[line - 1], (lineStarts[line] ?? text.length + 1) - 1);
  for (const pattern of patterns) {
    if (!pattern.extensions.has(extension)) continue;
    pattern.regex.lastIndex = 0;
    for (let match = pattern.regex.exec(text); match; match = pattern.regex.exec(text)) {
      const expression = pattern.expression(match).trim();
      if (!expression || layoutHelpers.test(expression) || /^['"][^'"]*['"]$/.test(expression)) continue;
      const line = lineOf(match.index);
      // {{{ }}} and {{& }} belong to the mustache family: name the engine by the extension.
      const engine = pattern.describe.startsWith('{{') ? `${mustacheEngine(extension)} ` : '';
      const evidence = lineText(line).trim().slice(0, 240);
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
  hits.push(...checkUrlAttributes(extension, text, lineOf, lineText));
  if (!['.pug', '.jade'].includes(extension)) hits.push(...checkCleartextResources(text, lineOf, lineText));
  return hits;
}
