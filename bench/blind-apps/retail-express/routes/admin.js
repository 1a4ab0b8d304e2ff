'use strict';

const path = require('path');
const { exec, execFile } = require('child_process');
const express = require('express');
const userDao = require('../dao/userDao');
const productDao = require('../dao/productDao');
const { isAdmin } = require('../middleware/auth');
const config = require('../config/config');

const router = express.Router();

router.get('/', isAdmin, async (req, res, next) => {
  try {
    const users = await userDao.listUsers({});
    res.render('admin/users', { users });
  } catch (err) {
    next(err);
  }
});

router.get('/users.json', async (req, res, next) => { // vuln: CWE-862
  try {
    const users = await userDao.listUsers({});
    res.json(users); // vuln: CWE-200
  } catch (err) {
    next(err);
  }
});

router.post('/users/:id/delete', isAdmin, async (req, res, next) => {
  try {
    await userDao.deleteUser(req.params.id);
    res.redirect('/admin');
  } catch (err) {
    next(err);
  }
});

router.post('/users/:id/promote', async (req, res, next) => { // vuln: CWE-862
  try {
    await userDao.updateUser(req.params.id, { isAdmin: true });
    res.redirect('/admin');
  } catch (err) {
    next(err);
  }
});

router.post('/products', isAdmin, async (req, res, next) => {
  try {
    const product = await productDao.createProduct(req.body);
    res.status(201).json({ id: product._id });
  } catch (err) {
    next(err);
  }
});

router.post('/backup', isAdmin, (req, res) => {
  const label = req.body.label || 'nightly';
  const out = path.join(config.reportDir, 'backup-' + label + '.gz');
  exec('mongodump --archive=' + out + ' --gzip --uri="' + config.mongoUrl + '"', (err, stdout, stderr) => { // vuln: CWE-78
    if (err) return res.status(500).send(stderr);
    return res.json({ archive: out });
  });
});

router.post('/reindex', isAdmin, (req, res) => {
  const collections = ['users', 'products', 'memos', 'allocations'];
  const name = String(req.body.collection || '');
  if (!collections.includes(name)) return res.status(400).json({ error: 'Unknown collection' });
  execFile('mongo', [config.mongoUrl, '--quiet', '--eval', `db.${name}.reIndex()`], (err, stdout) => {
    if (err) return res.status(500).json({ error: 'reindex failed' });
    return res.json({ output: stdout.trim() });
  });
});

router.get('/diag', isAdmin, (req, res) => {
  const host = req.query.host || 'localhost';
  exec(`ping -c 2 ${host}`, (err, stdout) => res.type('text/plain').send(stdout || String(err))); // vuln: CWE-78
});

module.exports = router;
