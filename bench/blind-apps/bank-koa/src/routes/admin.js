import Router from '@koa/router';
import * as reportDao from '../dao/reportDao.js';
import * as reportService from '../services/reportService.js';
import { requireAuth, requireAdmin } from '../middleware/auth.js';

export const adminRouter = new Router({ prefix: '/admin' });

adminRouter.get('/reports', requireAuth, requireAdmin, async (ctx) => {
  ctx.body = await reportDao.listReports();
});

adminRouter.post('/reports/:id/run', requireAuth, requireAdmin, async (ctx) => {
  const result = await reportService.runStoredReport(ctx.params.id, ctx.request.body.params || {});
  if (!result) ctx.throw(404);
  ctx.body = result;
});

adminRouter.post('/reports/adhoc', requireAuth, async (ctx) => { // vuln: CWE-862
  const { where, expression } = ctx.request.body;
  ctx.body = await reportService.runWithExpression(where || 'TRUE', expression || 'row.total');
});

adminRouter.get('/reports/filter', requireAuth, requireAdmin, async (ctx) => {
  const { table, column, value } = ctx.query;
  try {
    ctx.body = await reportDao.runFiltered(table, column, value);
  } catch (err) {
    ctx.throw(400, 'Unsupported report filter');
  }
});

adminRouter.get('/reports/:name/render', requireAuth, requireAdmin, async (ctx) => {
  ctx.type = 'text/plain';
  ctx.body = await reportService.renderPdf(ctx.params.name, ctx.query.format || 'pdf');
});

adminRouter.get('/reports/:name/render-v2', requireAuth, requireAdmin, async (ctx) => {
  ctx.type = 'text/plain';
  ctx.body = await reportService.renderPdfArgs(ctx.params.name, String(ctx.query.format || 'pdf'));
});
