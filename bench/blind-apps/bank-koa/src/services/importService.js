import fs from 'fs';
import path from 'path';
import libxmljs from 'libxmljs';
import AdmZip from 'adm-zip';
import { config } from '../config.js';
import { withTransaction } from '../db/pool.js';
import * as accountDao from '../dao/accountDao.js';

function linesFromDoc(doc) {
  return doc.find('//Ntry').map((node) => ({
    date: node.get('BookgDt/Dt').text(),
    cents: Math.round(Number(node.get('Amt').text()) * 100) * (node.get('CdtDbtInd').text() === 'DBIT' ? -1 : 1),
    description: node.get('AddtlNtryInf') ? node.get('AddtlNtryInf').text() : '',
    counterparty: node.get('RltdPties/Cdtr/Nm') ? node.get('RltdPties/Cdtr/Nm').text() : ''
  }));
}

export function parseCamt(xml) {
  const doc = libxmljs.parseXml(xml, { noent: true, dtdload: true }); // vuln: CWE-611
  return linesFromDoc(doc);
}

export function parseCamtNoDtd(xml) {
  const doc = libxmljs.parseXml(xml, { noent: false, dtdload: false, nonet: true });
  return linesFromDoc(doc);
}

export async function importLines(accountId, lines) {
  await withTransaction(async (client) => {
    for (const line of lines) {
      await accountDao.insertImported(client, accountId, line);
    }
  });
  return lines.length;
}

export function unpackBundle(buffer, batchId) {
  const target = path.join(config.importDir, String(batchId));
  fs.mkdirSync(target, { recursive: true });
  const zip = new AdmZip(buffer);
  const written = [];
  for (const entry of zip.getEntries()) {
    if (entry.isDirectory) continue;
    const dest = path.join(target, entry.entryName);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, entry.getData()); // vuln: CWE-22
    written.push(dest);
  }
  return written;
}

export function unpackBundleContained(buffer, batchId) {
  const target = path.resolve(config.importDir, String(batchId).replace(/[^a-zA-Z0-9-]/g, ''));
  fs.mkdirSync(target, { recursive: true });
  const zip = new AdmZip(buffer);
  const written = [];
  for (const entry of zip.getEntries()) {
    if (entry.isDirectory) continue;
    const dest = path.resolve(target, entry.entryName);
    if (!dest.startsWith(target + path.sep)) {
      throw new Error(`Entry escapes import directory: ${entry.entryName}`);
    }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, entry.getData());
    written.push(dest);
  }
  return written;
}
