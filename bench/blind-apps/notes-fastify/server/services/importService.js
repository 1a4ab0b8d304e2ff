'use strict';

const dns = require('dns').promises;
const fetch = require('node-fetch');
const yaml = require('js-yaml');

async function fetchMarkdown(url) {
  const res = await fetch(url, { timeout: 8000, size: 2 * 1024 * 1024 }); // vuln: CWE-918
  if (!res.ok) throw Object.assign(new Error(`Fetch failed with ${res.status}`), { statusCode: 502 });
  return res.text();
}

const GIST_HOSTS = new Set(['gist.githubusercontent.com', 'raw.githubusercontent.com']);

async function fetchMarkdownFromGist(rawUrl) {
  const url = new URL(rawUrl);
  if (url.protocol !== 'https:' || !GIST_HOSTS.has(url.hostname)) {
    throw Object.assign(new Error('Only GitHub raw URLs are supported'), { statusCode: 400 });
  }
  await dns.lookup(url.hostname);
  const res = await fetch(url.toString(), { redirect: 'error', timeout: 8000, size: 2 * 1024 * 1024 });
  if (!res.ok) throw Object.assign(new Error(`Fetch failed with ${res.status}`), { statusCode: 502 });
  return res.text();
}

function parseFrontMatter(text) {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!match) return { meta: {}, body: text };
  const meta = yaml.load(match[1]); // vuln: CWE-502
  return { meta: meta || {}, body: text.slice(match[0].length) };
}

function parseFrontMatterCore(text) {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!match) return { meta: {}, body: text };
  const meta = yaml.safeLoad(match[1]);
  return { meta: meta && typeof meta === 'object' ? meta : {}, body: text.slice(match[0].length) };
}

module.exports = { fetchMarkdown, fetchMarkdownFromGist, parseFrontMatter, parseFrontMatterCore };
