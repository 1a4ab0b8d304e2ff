'use strict';

function escapeRegExp(s) {
  return String(s).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function highlightMatches(text, pattern) {
  const re = new RegExp(pattern, 'gi'); // vuln: CWE-1333
  return String(text).replace(re, (m) => `<mark>${m}</mark>`);
}

function highlightLiteral(text, term) {
  const re = new RegExp(escapeRegExp(String(term).slice(0, 100)), 'gi');
  return String(text).replace(re, (m) => `<mark>${m}</mark>`);
}

module.exports = { highlightMatches, highlightLiteral, escapeRegExp };
