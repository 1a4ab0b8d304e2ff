// Authentication findings that depend on the rest of the project: a rate limiter on the app, a
// hook that hashes passwords before saving, a TTL index on tokens and cookie-only sessions each
// live in one file and silence the matching finding in another. Each case runs with and without
// the mitigating file, so the finding is shown to exist before it is shown to go away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { analyzeProject } from '../../tools/development/analysis/project-analysis.js';
import { securityFindings } from '../../tools/development/analysis/findings.js';
import { ruleCatalogue } from '../../tools/development/security/rule-catalogue.js';
import { repoRoot, tempDir, writeTree } from '../helpers.js';

async function findings(t: { after(fn: () => Promise<void> | void): void }, files: Record<string, string>) {
  const root = path.join(await tempDir(t), 'app');
  await writeTree(root, files);
  const project = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '..', 'data'),
    signal: new AbortController().signal,
  });
  return securityFindings(project, { dependencyMajors: new Map() }).map((f) => `${f.file}:${f.line}:${f.cwe}`);
}

const loginRouter = `const router = require('express').Router();
router.post('/login', async (req, res) => {
  res.json(await auth.login(String(req.body.email), String(req.body.password)));
});
module.exports = router;
`;

test('a login route without a limiter is reported; a limiter mounted on the app in another file covers it', async (t) => {
  assert.ok((await findings(t, { 'routes/auth.js': loginRouter })).includes('routes/auth.js:2:CWE-307'));
  const limited = await findings(t, {
    'routes/auth.js': loginRouter,
    'server.js': `const rateLimit = require('express-rate-limit');
const app = require('express')();
app.use(require('helmet')());
app.use(rateLimit({ windowMs: 60000, limit: 100 }));
app.use('/auth', require('./routes/auth'));
app.listen(3000);
`,
  });
  assert.ok(!limited.some((f) => f.endsWith(':CWE-307')), limited.join('\n'));
});

const signup = `const User = require('./user');
async function registerUser(email, password) {
  return User.create({
    email,
    password,
  });
}
module.exports = { registerUser };
`;

test('a model created with the plain password is reported unless a pre-save hook hashes it', async (t) => {
  assert.ok((await findings(t, { 'services/signup.js': signup })).includes('services/signup.js:5:CWE-256'));
  const hooked = await findings(t, {
    'services/signup.js': signup,
    'services/user.js': `const schema = new mongoose.Schema({ email: String, password: String });
schema.pre('save', async function () {
  if (this.isModified('password')) this.password = await bcrypt.hash(this.password, 12);
});
module.exports = mongoose.model('User', schema);
`,
  });
  assert.deepEqual(hooked, []);
});

const insertSignup = `async function registerUser(db, email, password) {
  await db.collection('users').insertOne({ email, password });
}
module.exports = { registerUser };
`;

test('a raw driver insert bypasses model hooks, so it stays reported', async (t) => {
  const result = await findings(t, {
    'services/signup.js': insertSignup,
    'services/user.js': `schema.pre('save', async function () { this.password = await bcrypt.hash(this.password, 12); });\n`,
  });
  assert.ok(result.includes('services/signup.js:2:CWE-256'), result.join('\n'));
});

const login = `const bcrypt = require('bcrypt');
async function login(req, res) {
  const user = await users.byEmail(String(req.body.email));
  const ok = await bcrypt.compare(String(req.body.password), user ? user.hash : users.dummy);
  if (!user || !ok) return res.sendStatus(401);
  req.session.user = user.id;
  res.sendStatus(204);
}
module.exports = { login };
`;

test('a login that keeps the session id is reported with server-side sessions, not with cookie-session', async (t) => {
  const server = await findings(t, {
    'login.js': login,
    'session.js': `module.exports = require('express-session')({ secret: process.env.S, cookie: { secure: true } });\n`,
  });
  assert.ok(server.includes('login.js:6:CWE-384'), server.join('\n'));
  const cookie = await findings(t, {
    'login.js': login,
    'session.js': `module.exports = require('cookie-session')({ keys: [process.env.S], secure: true, httpOnly: true });\n`,
  });
  assert.ok(!cookie.includes('login.js:6:CWE-384'), cookie.join('\n'));
});

const forgot = `async function forgotPassword(user, token) {
  await Reset.create({ userId: user.id, token });
}
module.exports = { forgotPassword };
`;

test('a reset token stored without expiry is reported unless the store expires it (TTL index)', async (t) => {
  assert.ok((await findings(t, { 'reset.js': forgot })).includes('reset.js:2:CWE-640'));
  const ttl = await findings(t, {
    'reset.js': forgot,
    'reset-model.js': `const schema = new mongoose.Schema({ userId: String, token: String, createdAt: { type: Date, expires: 3600 } });\n`,
  });
  assert.deepEqual(ttl, []);
});

test('every authentication rule that fires on the fixture is in the rule catalogue (SARIF rules come from it)', async (t) => {
  const root = path.join(await tempDir(t), 'vulnerable-app');
  await cp(path.join(repoRoot, 'tests', 'development', 'fixtures', 'vulnerable-app', 'auth'), path.join(root, 'auth'), {
    recursive: true,
  });
  const project = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '..', 'data'),
    signal: new AbortController().signal,
  });
  const found = securityFindings(project, { dependencyMajors: new Map() });
  const catalogue = new Map(ruleCatalogue().map((entry) => [entry.rule, entry]));
  const rules = new Set(found.map((f) => f.rule));
  for (const rule of [
    'plaintext-password',
    'no-password-policy',
    'session-fixation',
    'user-enumeration',
    'missing-rate-limit',
    'jwt-no-expiry',
    'jwt-algorithm-confusion',
    'guessable-reset-token',
    'reset-token-no-expiry',
  ]) {
    assert.ok(rules.has(rule), `${rule} fires on the fixture`);
    assert.ok(catalogue.has(rule), `${rule} is in the catalogue`);
  }
  for (const finding of found) assert.ok(catalogue.has(finding.rule), `${finding.rule} is in the catalogue`);
});
