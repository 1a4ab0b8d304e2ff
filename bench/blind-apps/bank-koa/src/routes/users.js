import Router from '@koa/router';
import * as userDao from '../dao/userDao.js';
import { requireAuth, requireAdmin } from '../middleware/auth.js';

export const usersRouter = new Router({ prefix: '/users' });

usersRouter.get('/me', requireAuth, async (ctx) => {
  ctx.body = await userDao.findById(ctx.state.user.sub);
});

usersRouter.patch('/me', requireAuth, async (ctx) => {
  await userDao.updateFields(ctx.state.user.sub, ctx.request.body); // vuln: CWE-915
  ctx.body = await userDao.findById(ctx.state.user.sub);
});

usersRouter.put('/me/contact', requireAuth, async (ctx) => {
  const { fullName, phone } = ctx.request.body;
  await userDao.updateContact(ctx.state.user.sub, { fullName: String(fullName || '').slice(0, 120), phone: String(phone || '').slice(0, 32) });
  ctx.body = await userDao.findById(ctx.state.user.sub);
});

usersRouter.get('/search', requireAuth, requireAdmin, async (ctx) => {
  ctx.body = await userDao.searchByName(ctx.query.name || '');
});

usersRouter.get('/lookup', requireAuth, requireAdmin, async (ctx) => {
  ctx.body = await userDao.searchByNameParam(String(ctx.query.name || ''));
});

usersRouter.get('/:id', requireAuth, async (ctx) => {
  const user = await userDao.findByIdWithSecrets(ctx.params.id); // vuln: CWE-639
  if (!user) ctx.throw(404);
  ctx.body = user; // vuln: CWE-200
});
