import http from 'http';
import { createApp } from './app.js';
import { config } from './config.js';
import { logger } from './utils/logger.js';

const app = createApp();

http.createServer(app.callback()).listen(config.port, () => { // vuln: CWE-319
  logger.info(`bank-koa listening on http://0.0.0.0:${config.port}`);
});
