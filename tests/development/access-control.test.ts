// Access-control judgement over a whole project: routes are placed under their mount prefixes and
// guards across files, a missing guard is reported only where the app guards other routes, and
// the IDOR rule wants an ownership check rather than a mention of the caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { analyzeProject } from '../../tools/development/analysis/project-analysis.js';
import { securityFindings } from '../../tools/development/analysis/findings.js';
import { tempDir } from '../helpers.js';

async function findingsFor(t: { after(fn: () => Promise<void> | void): void }, files: Record<string, string>) {
  const root = path.join(await tempDir(t), 'app');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), text);
  }
  const project = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '..', 'data'),
    signal: new AbortController().signal,
  });
  return securityFindings(project, { dependencyMajors: new Map() }).filter((f) =>
    ['missing-authentication', 'missing-role-check', 'missing-authorization'].includes(f.rule),
  );
}

const router = `const express = require('express');
const router = express.Router();
router.post('/transfer', async (req, res) => { res.json(await ledger.transfer(String(req.body.to))); });
module.exports = router;
`;

test('an unguarded router is reported under its mount prefix only when the app guards other routes', async (t) => {
  const open = await findingsFor(t, {
    'server.js': `const express = require('express');
const payments = require('./routes/payments');
const app = express();
app.use('/api/payments', payments);
`,
    'routes/payments.js': router,
  });
  assert.deepEqual(open, [], 'an app with no authentication anywhere gets no access-control finding');

  const guarded = await findingsFor(t, {
    'server.js': `const express = require('express');
const { requireAuth } = require('./auth');
const payments = require('./routes/payments');
const orders = require('./routes/orders');
const app = express();
app.use('/api/orders', requireAuth, orders);
app.use('/api/payments', payments);
`,
    'auth.js': `exports.requireAuth = (req, res, next) => (req.user ? next() : res.status(401).end());`,
    'routes/orders.js': router,
    'routes/payments.js': router,
  });
  assert.deepEqual(
    guarded.map((f) => `${f.file}:${f.line} ${f.cwe}`),
    ['routes/payments.js:3 CWE-306'],
  );
  assert.match(guarded[0]!.message, /POST \/api\/payments\/transfer/);
});

test('a guard mounted after the router does not guard it; one mounted before does', async (t) => {
  const findings = await findingsFor(t, {
    'server.js': `const express = require('express');
const passport = require('passport');
const early = require('./routes/early');
const late = require('./routes/late');
const app = express();
app.use('/early', early);
app.use(passport.authenticate('jwt', { session: false }));
app.use('/late', late);
`,
    'routes/early.js': router,
    'routes/late.js': router,
  });
  assert.deepEqual(
    findings.map((f) => `${f.file}:${f.line} ${f.rule}`),
    ['routes/early.js:3 missing-authentication'],
  );
});

test('IDOR: logging the caller does not silence the finding, comparing the owner does', async (t) => {
  const findings = await findingsFor(t, {
    'notes.js': `module.exports = function (app) {
  app.get('/notes/:id', async (req, res) => {
    console.log('read by', req.user.id);
    res.json(await Note.findById(req.params.id));
  });
  app.get('/notes/:id/checked', async (req, res) => {
    const note = await Note.findById(req.params.id);
    if (note.author !== req.user.id) return res.sendStatus(403);
    return res.json(note);
  });
};
`,
  });
  assert.deepEqual(
    findings.map((f) => `${f.file}:${f.line} ${f.cwe}`),
    ['notes.js:4 CWE-639'],
  );
});

test('a login route authenticated by passport does not make the rest of the app look guarded', async (t) => {
  const findings = await findingsFor(t, {
    'server.js': `const express = require('express');
const passport = require('passport');
const app = express();
app.post('/login', passport.authenticate('local'), (req, res) => res.json({ ok: true }));
app.post('/api/notes', async (req, res) => { res.json(await notes.add(String(req.body.text))); });
app.post('/api/orders', passport.authenticate('jwt'), async (req, res) => { res.json(await orders.add(req.user.id)); });
`,
  });
  assert.deepEqual(
    findings.map((f) => `${f.file}:${f.line} ${f.rule}`),
    ['server.js:5 missing-authentication'],
  );
  const loginOnly = await findingsFor(t, {
    'server.js': `const express = require('express');
const passport = require('passport');
const app = express();
app.post('/login', passport.authenticate('local'), (req, res) => res.json({ ok: true }));
app.post('/api/notes', async (req, res) => { res.json(await notes.add(String(req.body.text))); });
`,
  });
  assert.deepEqual(loginOnly, []);
});

test('guards installed by a setup function handed the app guard the routes declared after the call', async (t) => {
  const findings = await findingsFor(t, {
    'server.js': `const express = require('express');
const setupAuth = require('./setup-auth');
const app = express();
app.post('/api/early', async (req, res) => { res.json(await jobs.run('early')); });
setupAuth(app);
app.post('/api/late', async (req, res) => { res.json(await jobs.run('late')); });
`,
    'setup-auth.js': `const passport = require('passport');
module.exports = function setupAuth(app) {
  app.use(passport.initialize());
  app.use(passport.authenticate('jwt', { session: false }));
};
`,
  });
  assert.deepEqual(
    findings.map((f) => `${f.file}:${f.line} ${f.rule}`),
    ['server.js:4 missing-authentication'],
  );
});

test('an app created with require("fastify")() is an application root', async (t) => {
  const findings = await findingsFor(t, {
    'server.js': `const app = require('fastify')();
app.post('/api/orders', { preHandler: [app.authenticate] }, async (request) => orders.add(request.user.sub));
app.post('/api/refunds', async (request) => orders.refund(String(request.body.id)));
`,
  });
  assert.deepEqual(
    findings.map((f) => `${f.file}:${f.line} ${f.rule}`),
    ['server.js:3 missing-authentication'],
  );
});
