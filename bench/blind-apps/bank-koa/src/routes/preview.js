import Router from '@koa/router';
import * as previewService from '../services/previewService.js';
import { requireAuth, optionalUser } from '../middleware/auth.js';

export const previewRouter = new Router({ prefix: '/preview' });

previewRouter.get('/', optionalUser, async (ctx) => {
  const url = ctx.query.url;
  if (!url) ctx.throw(400, 'url is required');
  ctx.body = await previewService.preview(url);
});

previewRouter.get('/v2', requireAuth, async (ctx) => {
  ctx.body = await previewService.previewAllowed(String(ctx.query.url || ''));
});

previewRouter.get('/rates/:currency', requireAuth, async (ctx) => {
  ctx.body = await previewService.fetchRates(ctx.params.currency);
});
