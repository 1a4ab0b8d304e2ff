'use strict';

const fs = require('fs');
const path = require('path');

const logFile = path.join(__dirname, '..', 'logs', 'access.log');

function write(line) {
  fs.appendFile(logFile, line + '\n', () => {});
}

function requestLogger(req, res, next) {
  const started = Date.now();
  res.on('finish', () => {
    write(`${new Date().toISOString()} ${req.method} ${JSON.stringify(req.originalUrl)} ${res.statusCode} ${Date.now() - started}ms`);
  });
  next();
}

function auditLogin(userName, ok) {
  write(`${new Date().toISOString()} login user=${userName} ok=${ok}`); // vuln: CWE-117
}

function auditLoginJson(userName, ok) {
  write(`${new Date().toISOString()} login user=${JSON.stringify(String(userName))} ok=${Boolean(ok)}`);
}

module.exports = { requestLogger, auditLogin, auditLoginJson, write };
