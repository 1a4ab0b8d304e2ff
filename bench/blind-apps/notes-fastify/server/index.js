'use strict';

const path = require('path');
const Fastify = require('fastify');
const handlebars = require('handlebars');
const config = require('./config');
const { sequelize } = require('./models');
const { registerRequestLogging } = require('./plugins/logging');

async function build() {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL || 'info' } }); // vuln: CWE-352

  await app.register(require('@fastify/helmet'), {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'https:']
      }
    }
  });
  await app.register(require('@fastify/cookie'), { secret: config.cookieSecret });
  await app.register(require('@fastify/formbody'));
  await app.register(require('@fastify/multipart'), { limits: { fileSize: 5 * 1024 * 1024 } });
  await app.register(require('@fastify/rate-limit'), { global: false });
  await app.register(require('@fastify/static'), { root: path.join(__dirname, '..', 'public'), prefix: '/assets/' });
  await app.register(require('@fastify/view'), {
    engine: { handlebars },
    root: path.join(__dirname, '..', 'views'),
    layout: 'layout.hbs'
  });

  registerRequestLogging(app);

  app.setErrorHandler((error, request, reply) => {
    request.log.error({ err: error }, 'request failed');
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    reply.code(status).send({ error: status === 500 ? 'Internal error' : error.message });
  });

  await app.register(require('./routes/auth'));
  await app.register(require('./routes/notes'));
  await app.register(require('./routes/share'));
  await app.register(require('./routes/keys'));
  await app.register(require('./routes/exports'));
  await app.register(require('./routes/settings'));
  await app.register(require('./routes/admin'));

  app.get('/healthz', async () => ({ ok: true }));
  return app;
}

async function main() {
  await sequelize.authenticate();
  const app = await build();
  await app.listen({ port: config.port, host: '0.0.0.0' });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { build };
