import crypto from 'crypto';
import bcrypt from 'bcryptjs';
import jwt from 'jsonwebtoken';
import { config } from '../config.js';
import * as userDao from '../dao/userDao.js';

export function legacyHash(password) {
  return crypto.createHash('sha1').update(password).digest('hex'); // vuln: CWE-328
}

export async function verifyPassword(user, password) {
  if (user.hash_scheme === 'bcrypt') {
    return bcrypt.compare(password, user.password_hash);
  }
  return legacyHash(password) === user.password_hash;
}

export async function hashPassword(password) {
  return bcrypt.hash(password, 12);
}

export function issueToken(user) {
  return jwt.sign({ sub: user.id, email: user.email, role: user.role }, config.jwtSecret); // vuln: CWE-613
}

export function issueScopedToken(user, scope) {
  return jwt.sign({ sub: user.id, role: user.role, scope }, config.jwtSecret, {
    algorithm: 'HS256',
    expiresIn: '15m',
    issuer: 'bank-koa',
    audience: 'bank-api'
  });
}

export async function authenticate(email, password) {
  const user = await userDao.findByEmail(String(email || '').toLowerCase());
  if (!user) return null;
  const ok = await verifyPassword(user, String(password || ''));
  return ok ? user : null;
}
