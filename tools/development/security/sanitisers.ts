// Functions that make tainted data safe, and for which sink classes. Converting to a number makes
// a value safe everywhere; escaping HTML makes it safe for HTML only, not for SQL or a shell.
import { allSinkBits, bitsOf } from './sink-classes.js';
import type { CallSite } from './sink-rules.js';

const html = bitsOf('xss');
const everything = allSinkBits;

const byName: Record<string, number> = {
  parseInt: everything,
  parseFloat: everything,
  Number: everything,
  Boolean: everything,
  isNaN: everything,
  escapeHtml: html,
  escapeHTML: html,
  htmlEscape: html,
  escape: html | bitsOf('sql'),
  encodeHTML: html,
  encodeForHTML: html,
  sanitizeHtml: html,
  sanitizeHTML: html,
  filterXSS: html,
  xss: html,
  purify: html,
  encodeURIComponent: html | bitsOf('path', 'command', 'redirect', 'header', 'sql', 'url', 'log'),
  sanitizeUrl: bitsOf('url'),
  sanitizeURL: bitsOf('url'),
  encodeURI: bitsOf('header'),
  escapeId: bitsOf('sql'),
  escapeLiteral: bitsOf('sql'),
  escapeIdentifier: bitsOf('sql'),
  quote: bitsOf('command'),
  shellEscape: bitsOf('command'),
  shellescape: bitsOf('command'),
  escapeShellArg: bitsOf('command'),
  escapeRegExp: bitsOf('regex'),
  escapeRegex: bitsOf('regex'),
  escapeStringRegexp: bitsOf('regex'),
  basename: bitsOf('path', 'command'),
  mongoSanitize: bitsOf('nosql'),
  sanitizeFilter: bitsOf('nosql'),
  ObjectId: everything,
  isValidObjectId: everything,
  pick: bitsOf('mass', 'prototype'),
  omit: bitsOf('mass'),
  uuidValidate: everything,
  stringify: bitsOf('nosql', 'mass', 'prototype', 'code', 'log'),
  createHash: everything,
  hash: everything,
  hashSync: everything,
  compare: everything,
  compareSync: everything,
  length: everything,
};

/** Receivers whose methods are sanitisers whatever they are called (validator.escape, DOMPurify). */
const byReceiver: Record<string, number> = {
  DOMPurify: html,
  purify: html,
  he: html,
  entities: html,
  sanitizer: html,
  validator: everything,
  mysql: bitsOf('sql'),
  SqlString: bitsOf('sql'),
  sqlstring: bitsOf('sql'),
  Joi: everything,
  joi: everything,
  Math: everything,
  crypto: everything,
  bcrypt: everything,
  argon2: everything,
};

/** The sink bits a call's result is cleared for, or undefined if the call is no sanitiser. */
export function sanitiserFor(site: CallSite): number | undefined {
  const { name, receiver, module } = site;
  if (
    module === 'escape-html' ||
    module === 'he' ||
    module === 'xss' ||
    module === 'sanitize-html' ||
    module === 'dompurify' ||
    module === 'isomorphic-dompurify'
  )
    return html;
  if (module === 'mongo-sanitize' || module === 'express-mongo-sanitize') return bitsOf('nosql');
  if (module === 'shell-quote' || module === 'shell-escape') return bitsOf('command');
  if (module === 'validator') return name === 'escape' ? html : everything;
  if (module === 'sqlstring' || module === 'pg-format') return bitsOf('sql');
  if (receiver === 'JSON' && name === 'stringify') return byName.stringify;
  if (module === '@braintree/sanitize-url') return bitsOf('url');
  // x.replace(/[\r\n]/g, ''): no line breaks left to forge log lines or headers with.
  if ((name === 'replace' || name === 'replaceAll') && /\\[rn]|\\s|\\v/.test(site.firstArgument ?? ''))
    return bitsOf('log', 'header');
  if (receiver === 'path' && name === 'basename') return byName.basename;
  if (receiver === 'Number' || receiver === 'Math') return everything;
  if (receiver === '_' || receiver === 'lodash') {
    if (name === 'escape') return html;
    if (name === 'escapeRegExp') return bitsOf('regex');
    if (name === 'pick' || name === 'omit') return bitsOf('mass', 'prototype');
    if (name === 'toNumber' || name === 'toInteger' || name === 'toSafeInteger') return everything;
  }
  if (receiver && byReceiver[receiver] !== undefined) return byReceiver[receiver];
  if (
    receiver &&
    /(^|\.)(escape|format)$/.test(`.${name}`) &&
    /mysql|connection|pool|db|conn|SqlString|client/i.test(receiver)
  )
    return bitsOf('sql');
  if (receiver && byName[name] === undefined) return undefined;
  if (
    byName[name] !== undefined &&
    (!receiver ||
      [
        'escape',
        'escapeHtml',
        'sanitize',
        'basename',
        'escapeId',
        'escapeLiteral',
        'escapeIdentifier',
        'quote',
        'parseInt',
        'parseFloat',
        'isValidObjectId',
        'ObjectId',
        'createHash',
        'hash',
        'hashSync',
        'compare',
        'compareSync',
        'pick',
        'omit',
      ].includes(name))
  )
    return byName[name];
  if (/^(sanitize|escape|encode|clean|validate|purify)/i.test(name) && !receiver)
    return html | bitsOf('sql', 'nosql', 'command', 'path') | (/ur[li]|href|link/i.test(name) ? bitsOf('url') : 0);
  if (/^(sanitize|escape)/i.test(name) && receiver) return html | bitsOf('sql', 'nosql', 'command', 'path');
  return undefined;
}
