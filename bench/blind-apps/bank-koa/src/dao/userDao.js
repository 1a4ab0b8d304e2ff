import { query } from '../db/pool.js';

export async function findByEmail(email) {
  const rows = await query('SELECT id, email, password_hash, hash_scheme, role, full_name FROM users WHERE email = $1', [email]);
  return rows[0] || null;
}

export async function findById(id) {
  const rows = await query('SELECT id, email, role, full_name, phone, created_at FROM users WHERE id = $1', [id]);
  return rows[0] || null;
}

export async function findByIdWithSecrets(id) {
  const rows = await query('SELECT * FROM users WHERE id = $1', [id]);
  return rows[0] || null;
}

export async function updateFields(id, fields) {
  const keys = Object.keys(fields);
  if (keys.length === 0) return null;
  const assignments = keys.map((k, i) => `${k} = $${i + 2}`).join(', ');
  const rows = await query(`UPDATE users SET ${assignments} WHERE id = $1 RETURNING id`, [id, ...keys.map((k) => fields[k])]); // vuln: CWE-89
  return rows[0];
}

export async function updateContact(id, { fullName, phone }) {
  const rows = await query('UPDATE users SET full_name = $2, phone = $3 WHERE id = $1 RETURNING id', [id, fullName, phone]);
  return rows[0];
}

export async function searchByName(name) {
  return query(`SELECT id, email, full_name FROM users WHERE full_name ILIKE '%${name}%' LIMIT 25`); // vuln: CWE-89
}

export async function searchByNameParam(name) {
  return query("SELECT id, email, full_name FROM users WHERE full_name ILIKE '%' || $1 || '%' LIMIT 25", [name]);
}
