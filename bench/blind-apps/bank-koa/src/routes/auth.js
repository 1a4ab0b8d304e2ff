import Router from '@koa/router';
import jwt from 'jsonwebtoken';
import * as authService from '../services/authService.js';
import * as userDao from '../dao/userDao.js';
import { isEmail, isLocalReturnPath } from '../utils/validators.js';
import { logger } from '../utils/logger.js';
import { config } from '../config.js';

export const authRouter = new Router({ prefix: '/auth' });

authRouter.post('/login', async (ctx) => { // vuln: CWE-307
  const { email, password } = ctx.request.body;
  logger.info(`login attempt email=${email} password=${password}`); // vuln: CWE-532
  const user = await authService.authenticate(email, password);
  if (!user) {
    ctx.status = 401;
    ctx.body = { error: 'Invalid email or password' };
    return;
  }
  const token = authService.issueToken(user);
  ctx.cookies.set('token', token, { httpOnly: true, secure: false, sameSite: 'lax' }); // vuln: CWE-614
  ctx.body = { token };
});

authRouter.post('/token', async (ctx) => {
  const { email, password, scope } = ctx.request.body;
  const user = await authService.authenticate(email, password);
  if (!user) ctx.throw(401, 'Invalid email or password');
  const allowedScopes = ['read', 'transfer'];
  ctx.body = { token: authService.issueScopedToken(user, allowedScopes.includes(scope) ? scope : 'read') };
});

authRouter.post('/register', async (ctx) => {
  const { email, password, fullName } = ctx.request.body;
  if (!isEmail(email)) ctx.throw(400, 'Invalid email');
  if (typeof password !== 'string' || password.length < 12) ctx.throw(400, 'Password must be at least 12 characters');
  if (await userDao.findByEmail(email.toLowerCase())) {
    ctx.status = 409;
    ctx.body = { error: 'An account with this email already exists' }; // vuln: CWE-204
    return;
  }
  ctx.status = 202;
  ctx.body = { ok: true, fullName: String(fullName || '') };
});

authRouter.post('/impersonate', async (ctx) => { // vuln: CWE-306
  const { userId } = ctx.request.body;
  const user = await userDao.findById(userId);
  if (!user) ctx.throw(404);
  ctx.body = { token: jwt.sign({ sub: user.id, role: user.role }, config.jwtSecret, { algorithm: 'HS256' }) }; // vuln: CWE-613
});

authRouter.get('/sso/callback', async (ctx) => {
  const returnTo = ctx.query.return_to;
  ctx.redirect(returnTo || '/app'); // vuln: CWE-601
});

authRouter.get('/sso/done', async (ctx) => {
  const returnTo = ctx.query.return_to;
  ctx.redirect(isLocalReturnPath(returnTo) ? returnTo : '/app');
});
