import pg from 'pg';
import { config } from '../config.js';

export const pool = new pg.Pool({
  ...config.db,
  max: 10,
  ssl: process.env.PGSSL ? { rejectUnauthorized: false } : false // vuln: CWE-295
});

export async function query(text, params) {
  const result = await pool.query(text, params);
  return result.rows;
}

export async function withTransaction(fn) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}
