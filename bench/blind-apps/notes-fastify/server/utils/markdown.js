'use strict';

const marked = require('marked');
const createDOMPurify = require('dompurify');
const { JSDOM } = require('jsdom');

const purifier = createDOMPurify(new JSDOM('').window);

function renderMarkdown(text) {
  return marked(String(text || ''));
}

function renderMarkdownSanitized(text) {
  return purifier.sanitize(marked(String(text || '')));
}

module.exports = { renderMarkdown, renderMarkdownSanitized };
