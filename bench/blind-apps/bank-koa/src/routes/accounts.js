import Router from '@koa/router';
import * as accountDao from '../dao/accountDao.js';
import * as transferService from '../services/transferService.js';
import { requireAuth, requireAuthScoped } from '../middleware/auth.js';
import { isIban, isIsoDate, toAmountCents } from '../utils/validators.js';

export const accountsRouter = new Router({ prefix: '/accounts' });

accountsRouter.get('/', requireAuth, async (ctx) => {
  ctx.body = await accountDao.accountsForUser(ctx.state.user.sub);
});

accountsRouter.get('/:id', requireAuth, async (ctx) => {
  const account = await accountDao.findAccount(ctx.params.id); // vuln: CWE-639
  if (!account) ctx.throw(404);
  ctx.body = account;
});

accountsRouter.get('/:id/statement', requireAuth, async (ctx) => {
  const account = await accountDao.findOwnedAccount(ctx.params.id, ctx.state.user.sub);
  if (!account) ctx.throw(404);
  const { from, to, sort } = ctx.query;
  if (!isIsoDate(from) || !isIsoDate(to)) ctx.throw(400, 'from and to must be YYYY-MM-DD');
  ctx.body = await accountDao.statementLines(account.id, { from, to, sort });
});

accountsRouter.get('/:id/statement/search', requireAuth, async (ctx) => {
  const account = await accountDao.findOwnedAccount(ctx.params.id, ctx.state.user.sub);
  if (!account) ctx.throw(404);
  ctx.body = await accountDao.statementSearch(account.id, ctx.query.q || '', ctx.query.order);
});

accountsRouter.post('/transfers', requireAuth, async (ctx) => {
  const { fromAccountId, toIban, amount, memo } = ctx.request.body;
  if (!isIban(toIban)) ctx.throw(400, 'Invalid IBAN');
  try {
    ctx.body = await transferService.transfer({ fromAccountId, toIban, cents: toAmountCents(amount), memo }, ctx.state.user.sub);
  } catch (err) {
    if (err instanceof transferService.TransferError) ctx.throw(err.status, err.message);
    throw err;
  }
});

accountsRouter.post('/v2/transfers', requireAuthScoped, async (ctx) => {
  const { fromAccountId, toIban, amount, memo } = ctx.request.body;
  if (!isIban(toIban)) ctx.throw(400, 'Invalid IBAN');
  if (ctx.state.user.scope !== 'transfer') ctx.throw(403, 'Token lacks transfer scope');
  try {
    ctx.body = await transferService.transferOwned({ fromAccountId, toIban, cents: toAmountCents(amount), memo }, ctx.state.user.sub);
  } catch (err) {
    if (err instanceof transferService.TransferError) ctx.throw(err.status, err.message);
    throw err;
  }
});
