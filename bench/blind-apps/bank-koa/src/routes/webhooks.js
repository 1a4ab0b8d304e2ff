import crypto from 'crypto';
import Router from '@koa/router';
import { query } from '../db/pool.js';
import { config } from '../config.js';
import { logger } from '../utils/logger.js';

const UNPARSED = Symbol.for('unparsedBody');

export const webhooksRouter = new Router({ prefix: '/webhooks' });

function validSignature(rawBody, signature) {
  if (!config.webhookSecret || typeof signature !== 'string') return false;
  const expected = crypto.createHmac('sha256', config.webhookSecret).update(rawBody).digest('hex');
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(signature.replace(/^sha256=/, ''), 'hex');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

webhooksRouter.post('/card-processor', async (ctx) => {
  const raw = ctx.request.body[UNPARSED] || '';
  if (!validSignature(raw, ctx.get('X-Signature'))) ctx.throw(401, 'Bad signature');
  const event = ctx.request.body;
  await query(
    'INSERT INTO card_events (external_id, kind, payload) VALUES ($1, $2, $3) ON CONFLICT (external_id) DO NOTHING',
    [String(event.id), String(event.type), JSON.stringify(event)]
  );
  logger.info({ id: event.id, type: event.type }, 'card event stored');
  ctx.status = 204;
});

webhooksRouter.post('/payroll', async (ctx) => { // vuln: CWE-306
  const event = ctx.request.body;
  console.log('payroll event ' + event.employer + ' ' + event.reference); // vuln: CWE-117
  for (const credit of event.credits || []) {
    await query(
      'UPDATE accounts SET balance_cents = balance_cents + $2 WHERE iban = $1',
      [String(credit.iban), Math.round(Number(credit.amount) * 100)]
    );
  }
  ctx.status = 204;
});

webhooksRouter.post('/status', async (ctx) => {
  const raw = ctx.request.body[UNPARSED] || '';
  const sig = ctx.get('X-Signature');
  const expected = crypto.createHmac('sha256', config.webhookSecret || '').update(raw).digest('hex');
  if (sig !== expected) ctx.throw(401, 'Bad signature'); // vuln: CWE-208
  ctx.body = { ok: true };
});
