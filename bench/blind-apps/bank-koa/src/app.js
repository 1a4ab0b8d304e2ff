import Koa from 'koa';
import koaBody from 'koa-body';
import cors from '@koa/cors';
import ratelimit from 'koa-ratelimit';
import { authRouter } from './routes/auth.js';
import { accountsRouter } from './routes/accounts.js';
import { usersRouter } from './routes/users.js';
import { importsRouter } from './routes/imports.js';
import { webhooksRouter } from './routes/webhooks.js';
import { adminRouter } from './routes/admin.js';
import { previewRouter } from './routes/preview.js';
import { logger } from './utils/logger.js';

export function createApp() {
  const app = new Koa(); // vuln: CWE-693

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      ctx.status = err.status || 500;
      ctx.body = err.expose
        ? { error: err.message }
        : { error: err.message, stack: err.stack, query: err.query }; // vuln: CWE-209
      logger.error({ err, path: ctx.path }, 'request failed');
    }
  });

  app.use(cors({ origin: (ctx) => ctx.get('Origin'), credentials: true })); // vuln: CWE-942

  const db = new Map();
  app.use(ratelimit({
    driver: 'memory',
    db,
    duration: 60_000,
    max: 10,
    id: (ctx) => ctx.ip,
    whitelist: (ctx) => !ctx.path.startsWith('/auth/token')
  }));

  app.use(koaBody({ multipart: true, includeUnparsed: true, formidable: { maxFileSize: 20 * 1024 * 1024 } }));

  for (const router of [authRouter, accountsRouter, usersRouter, importsRouter, webhooksRouter, adminRouter, previewRouter]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }

  return app;
}
