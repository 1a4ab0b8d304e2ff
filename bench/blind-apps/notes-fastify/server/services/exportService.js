'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { exec, execFile } = require('child_process');
const archiver = require('archiver');
const config = require('../config');
const { renderMarkdown, renderMarkdownSanitized } = require('../utils/markdown');

function jobDir() {
  const dir = path.join(config.exportDir, crypto.randomUUID());
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function slug(title) {
  return String(title).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'note';
}

function toPdf(note, paperSize) {
  const dir = jobDir();
  const htmlFile = path.join(dir, 'note.html');
  fs.writeFileSync(htmlFile, `<h1>${note.title}</h1>${renderMarkdown(note.body)}`);
  const out = path.join(dir, `${slug(note.title)}.pdf`);
  return new Promise((resolve, reject) => {
    exec(`wkhtmltopdf --page-size ${paperSize} --title "${note.title}" ${htmlFile} ${out}`, (err) => (err ? reject(err) : resolve(out))); // vuln: CWE-78
  });
}

function toPdfArgs(note, paperSize) {
  const size = ['A4', 'Letter', 'Legal'].includes(paperSize) ? paperSize : 'A4';
  const dir = jobDir();
  const htmlFile = path.join(dir, 'note.html');
  fs.writeFileSync(htmlFile, renderMarkdownSanitized(note.body));
  const out = path.join(dir, `${slug(note.title)}.pdf`);
  return new Promise((resolve, reject) => {
    execFile('wkhtmltopdf', ['--disable-local-file-access', '--page-size', size, '--title', String(note.title), htmlFile, out], (err) => (err ? reject(err) : resolve(out)));
  });
}

function writeMarkdownTree(notes) {
  const dir = jobDir();
  for (const note of notes) {
    const file = path.join(dir, `${note.title}.md`);
    fs.writeFileSync(file, note.body); // vuln: CWE-22
  }
  return dir;
}

function toZip(notes) {
  const dir = jobDir();
  const out = path.join(dir, 'notes.zip');
  return new Promise((resolve, reject) => {
    const output = fs.createWriteStream(out);
    const archive = archiver('zip', { zlib: { level: 9 } });
    output.on('close', () => resolve(out));
    archive.on('error', reject);
    archive.pipe(output);
    for (const note of notes) {
      archive.append(note.body || '', { name: `${note.id}-${slug(note.title)}.md` });
    }
    archive.finalize();
  });
}

module.exports = { toPdf, toPdfArgs, writeMarkdownTree, toZip, slug };
