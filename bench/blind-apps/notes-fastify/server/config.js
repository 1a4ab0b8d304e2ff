'use strict';

module.exports = {
  port: Number(process.env.PORT || 3300),
  databaseUrl: process.env.DATABASE_URL || 'postgres://notes:notes@localhost:5432/notes',
  cookieSecret: process.env.COOKIE_SECRET || 'n0tes-c00kie-s1gning-k3y-2023', // vuln: CWE-798
  exportDir: process.env.EXPORT_DIR || '/var/tmp/notes-exports',
  otpTtlSeconds: 300,
  publicBaseUrl: process.env.PUBLIC_BASE_URL || 'https://notes.example.com',
  mail: {
    host: process.env.SMTP_HOST || 'smtp.example.com',
    port: 587,
    user: process.env.SMTP_USER,
    pass: process.env.SMTP_PASS
  }
};
