import fs from 'fs/promises';
import Router from '@koa/router';
import * as importService from '../services/importService.js';
import * as accountDao from '../dao/accountDao.js';
import { requireAuth } from '../middleware/auth.js';

export const importsRouter = new Router({ prefix: '/imports' });

async function uploadedBuffer(ctx, field) {
  const file = ctx.request.files && ctx.request.files[field];
  if (!file) ctx.throw(400, `Missing ${field} upload`);
  return fs.readFile(file.filepath || file.path);
}

importsRouter.post('/camt/:accountId', requireAuth, async (ctx) => {
  const account = await accountDao.findOwnedAccount(ctx.params.accountId, ctx.state.user.sub);
  if (!account) ctx.throw(404);
  const xml = (await uploadedBuffer(ctx, 'statement')).toString('utf8');
  const lines = importService.parseCamt(xml);
  ctx.body = { imported: await importService.importLines(account.id, lines) };
});

importsRouter.post('/v2/camt/:accountId', requireAuth, async (ctx) => {
  const account = await accountDao.findOwnedAccount(ctx.params.accountId, ctx.state.user.sub);
  if (!account) ctx.throw(404);
  const xml = (await uploadedBuffer(ctx, 'statement')).toString('utf8');
  const lines = importService.parseCamtNoDtd(xml);
  ctx.body = { imported: await importService.importLines(account.id, lines) };
});

importsRouter.post('/bundle', requireAuth, async (ctx) => {
  const buffer = await uploadedBuffer(ctx, 'bundle');
  const files = importService.unpackBundle(buffer, ctx.request.body.batch || Date.now());
  ctx.body = { files: files.length };
});

importsRouter.post('/v2/bundle', requireAuth, async (ctx) => {
  const buffer = await uploadedBuffer(ctx, 'bundle');
  const files = importService.unpackBundleContained(buffer, `${ctx.state.user.sub}-${Date.now()}`);
  ctx.body = { files: files.length };
});
