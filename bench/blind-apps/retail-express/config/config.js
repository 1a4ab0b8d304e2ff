'use strict';

const argv = require('minimist')(process.argv.slice(2));

const env = argv.env || process.env.NODE_ENV || 'development';

const base = {
  port: parseInt(argv.port || process.env.PORT || '4000', 10),
  mongoUrl: process.env.MONGO_URL || 'mongodb://retail:Retail2019!@db.internal:27017/retail', // vuln: CWE-798
  sessionSecret: 'r3t41l-s3ss10n-k3y', // vuln: CWE-798
  uploadDir: process.env.UPLOAD_DIR || __dirname + '/../uploads',
  reportDir: __dirname + '/../reports',
  smtp: {
    host: process.env.SMTP_HOST || 'mail.internal',
    port: 465,
    user: 'noreply@retail.example',
    pass: process.env.SMTP_PASS
  },
  maxUploadBytes: 5 * 1024 * 1024,
  resetTokenTtlMinutes: 30
};

const overrides = {
  production: {
    cookieSecure: true
  },
  development: {
    cookieSecure: false
  }
};

module.exports = Object.assign({}, base, overrides[env] || {}, { env });
