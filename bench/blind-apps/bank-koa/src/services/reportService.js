import path from 'path';
import { execFile, exec } from 'child_process';
import { promisify } from 'util';
import vm from 'vm';
import { config } from '../config.js';
import * as reportDao from '../dao/reportDao.js';

const execFileAsync = promisify(execFile);
const execAsync = promisify(exec);

export async function runStoredReport(id, params) {
  const report = await reportDao.getReport(id);
  if (!report) return null;
  const rows = await reportDao.runAdHoc(report.sql_text);
  if (!report.formula) return rows;
  const compute = new Function('row', 'params', `return (${report.formula});`); // vuln: CWE-95
  return rows.map((row) => ({ ...row, value: compute(row, params) }));
}

export async function runWithExpression(where, expression) {
  const rows = await reportDao.runAdHoc(where);
  return rows.map((row) => ({ ...row, value: vm.runInNewContext(expression, { row }) })); // vuln: CWE-94
}

export async function renderPdf(reportName, format) {
  const script = path.join(config.reportScripts, 'render.sh');
  const { stdout } = await execAsync(`${script} --name ${reportName} --format ${format}`); // vuln: CWE-78
  return stdout;
}

export async function renderPdfArgs(reportName, format) {
  if (!/^[a-z0-9_-]{1,40}$/.test(reportName) || !['pdf', 'csv'].includes(format)) {
    throw Object.assign(new Error('Invalid report parameters'), { status: 400 });
  }
  const script = path.join(config.reportScripts, 'render.sh');
  const { stdout } = await execFileAsync(script, ['--name', reportName, '--format', format]);
  return stdout;
}
