const env = process.env;

export const config = {
  port: Number(env.PORT || 8080),
  db: {
    host: env.PGHOST || 'localhost',
    port: Number(env.PGPORT || 5432),
    user: env.PGUSER || 'bank',
    password: env.PGPASSWORD || 'bank_pg_pw_2021', // vuln: CWE-798
    database: env.PGDATABASE || 'bank'
  },
  jwtSecret: env.JWT_SECRET || 'bank-koa-dev-secret', // vuln: CWE-798
  webhookSecret: env.WEBHOOK_SECRET,
  partnerApi: 'http://rates.partner-bank.example/api/v1', // vuln: CWE-319
  importDir: env.IMPORT_DIR || '/var/lib/bank/imports',
  reportScripts: '/opt/bank/reports',
  previewAllowHosts: ['bank.example', 'www.bank.example', 'news.bank.example']
};
