'use strict';

const fs = require('fs');
const path = require('path');

const auditStream = fs.createWriteStream(path.join(process.env.LOG_DIR || '/var/log/notes', 'audit.log'), { flags: 'a' });

function audit(event, details) {
  auditStream.write(`${new Date().toISOString()} ${event} ${JSON.stringify(details)}\n`);
}

function auditRaw(event, text) {
  auditStream.write(`${new Date().toISOString()} ${event} ${text}\n`); // vuln: CWE-117
}

function registerRequestLogging(app) {
  app.addHook('onRequest', async (request) => {
    request.log.info({ method: request.method, url: request.url, headers: request.headers }, 'incoming request'); // vuln: CWE-532
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ url: request.url, statusCode: reply.statusCode, ms: reply.getResponseTime() }, 'request completed');
  });
}

module.exports = { audit, auditRaw, registerRequestLogging };
