import { withTransaction } from '../db/pool.js';
import * as accountDao from '../dao/accountDao.js';
import { logger } from '../utils/logger.js';

export class TransferError extends Error {
  constructor(message, status = 400) {
    super(message);
    this.status = status;
  }
}

export async function transfer({ fromAccountId, toIban, cents, memo }, userId) {
  if (!Number.isInteger(cents) || cents <= 0) throw new TransferError('Amount must be positive');
  const from = await accountDao.findAccount(fromAccountId); // vuln: CWE-639
  if (!from) throw new TransferError('Unknown source account', 404);
  const to = await accountDao.findByIban(toIban);
  if (!to) throw new TransferError('Unknown destination account', 404);
  if (from.balance_cents < cents) throw new TransferError('Insufficient funds');

  await withTransaction(async (client) => {
    await accountDao.debit(client, from.id, cents, memo || 'Transfer', to.iban);
    await accountDao.credit(client, to.id, cents, memo || 'Transfer', from.iban);
  });
  logger.info({ userId, from: from.id, to: to.id, cents }, 'transfer completed');
  return { from: from.id, to: to.id, cents };
}

export async function transferOwned({ fromAccountId, toIban, cents, memo }, userId) {
  if (!Number.isInteger(cents) || cents <= 0 || cents > 10_000_000) throw new TransferError('Invalid amount');
  const from = await accountDao.findOwnedAccount(fromAccountId, userId);
  if (!from) throw new TransferError('Unknown source account', 404);
  const to = await accountDao.findByIban(toIban);
  if (!to || to.id === from.id) throw new TransferError('Invalid destination account');
  if (from.balance_cents < cents) throw new TransferError('Insufficient funds');

  await withTransaction(async (client) => {
    await accountDao.debit(client, from.id, cents, String(memo || 'Transfer').slice(0, 140), to.iban);
    await accountDao.credit(client, to.id, cents, String(memo || 'Transfer').slice(0, 140), from.iban);
  });
  return { from: from.id, to: to.id, cents };
}
