import jwt from 'jsonwebtoken';
import { config } from '../config.js';

function bearer(ctx) {
  const header = ctx.get('Authorization');
  if (header.startsWith('Bearer ')) return header.slice(7);
  return ctx.cookies.get('token') || null;
}

export async function requireAuth(ctx, next) {
  const token = bearer(ctx);
  if (!token) ctx.throw(401, 'Authentication required');
  try {
    ctx.state.user = jwt.verify(token, config.jwtSecret); // vuln: CWE-347
  } catch (err) {
    ctx.throw(401, 'Invalid token');
  }
  await next();
}

export async function requireAuthScoped(ctx, next) {
  const token = bearer(ctx);
  if (!token) ctx.throw(401, 'Authentication required');
  try {
    ctx.state.user = jwt.verify(token, config.jwtSecret, {
      algorithms: ['HS256'],
      issuer: 'bank-koa',
      audience: 'bank-api'
    });
  } catch (err) {
    ctx.throw(401, 'Invalid token');
  }
  await next();
}

export async function optionalUser(ctx, next) {
  const token = bearer(ctx);
  if (token) {
    ctx.state.user = jwt.decode(token); // vuln: CWE-347
  }
  await next();
}

export async function requireAdmin(ctx, next) {
  if (!ctx.state.user || ctx.state.user.role !== 'admin') {
    ctx.throw(403, 'Administrator role required');
  }
  await next();
}
