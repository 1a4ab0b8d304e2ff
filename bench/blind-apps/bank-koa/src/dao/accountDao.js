import { query } from '../db/pool.js';

const SORTABLE = new Map([
  ['date', 'posted_at'],
  ['amount', 'amount_cents'],
  ['description', 'description']
]);

export async function accountsForUser(userId) {
  return query('SELECT id, iban, currency, balance_cents FROM accounts WHERE owner_id = $1 ORDER BY id', [userId]);
}

export async function findAccount(accountId) {
  const rows = await query('SELECT id, owner_id, iban, currency, balance_cents FROM accounts WHERE id = $1', [accountId]);
  return rows[0] || null;
}

export async function findOwnedAccount(accountId, userId) {
  const rows = await query('SELECT id, owner_id, iban, currency, balance_cents FROM accounts WHERE id = $1 AND owner_id = $2', [accountId, userId]);
  return rows[0] || null;
}

export async function findByIban(iban) {
  const rows = await query('SELECT id, owner_id, iban, currency FROM accounts WHERE iban = $1', [iban]);
  return rows[0] || null;
}

export async function statementLines(accountId, { from, to, sort }) {
  const column = SORTABLE.get(sort) || 'posted_at';
  return query(
    `SELECT id, posted_at, description, amount_cents, counterparty FROM transactions
     WHERE account_id = $1 AND posted_at >= $2 AND posted_at < $3 ORDER BY ${column} DESC`,
    [accountId, from, to]
  );
}

export async function statementSearch(accountId, text, order) {
  const sql = "SELECT id, posted_at, description, amount_cents FROM transactions WHERE account_id = " + accountId +
    " AND description LIKE '%" + text + "%' ORDER BY " + (order || 'posted_at');
  return query(sql); // vuln: CWE-89
}

export async function debit(client, accountId, cents, description, counterparty) {
  const result = await client.query(
    'UPDATE accounts SET balance_cents = balance_cents - $2 WHERE id = $1 AND balance_cents >= $2',
    [accountId, cents]
  );
  if (result.rowCount !== 1) throw Object.assign(new Error('Insufficient funds'), { status: 409, expose: true });
  await client.query(
    'INSERT INTO transactions (account_id, amount_cents, description, counterparty) VALUES ($1, $2, $3, $4)',
    [accountId, -cents, description, counterparty]
  );
}

export async function credit(client, accountId, cents, description, counterparty) {
  await client.query('UPDATE accounts SET balance_cents = balance_cents + $2 WHERE id = $1', [accountId, cents]);
  await client.query(
    'INSERT INTO transactions (account_id, amount_cents, description, counterparty) VALUES ($1, $2, $3, $4)',
    [accountId, cents, description, counterparty]
  );
}

export async function insertImported(client, accountId, line) {
  await client.query(
    'INSERT INTO transactions (account_id, posted_at, amount_cents, description, counterparty, source) VALUES ($1, $2, $3, $4, $5, $6)',
    [accountId, line.date, line.cents, line.description, line.counterparty, 'import']
  );
}
