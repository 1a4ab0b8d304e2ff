import { query } from '../db/pool.js';

export async function listReports() {
  return query('SELECT id, name, description, created_by FROM reports ORDER BY name');
}

export async function getReport(id) {
  const rows = await query('SELECT id, name, sql_text, formula FROM reports WHERE id = $1', [id]);
  return rows[0] || null;
}

export async function runFiltered(table, filterColumn, filterValue) {
  const tables = { transactions: 'transactions', accounts: 'accounts' };
  const columns = { currency: 'currency', counterparty: 'counterparty', source: 'source' };
  if (!tables[table] || !columns[filterColumn]) throw new Error('Unsupported report filter');
  return query(`SELECT * FROM ${tables[table]} WHERE ${columns[filterColumn]} = $1 LIMIT 500`, [filterValue]);
}

export async function runAdHoc(where) {
  return query(`SELECT account_id, SUM(amount_cents) AS total FROM transactions WHERE ${where} GROUP BY account_id`); // vuln: CWE-89
}
