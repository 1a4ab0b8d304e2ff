'use strict';

const express = require('express');
const userDao = require('../dao/userDao');
const resetService = require('../services/resetService');
const mailer = require('../services/mailer');
const { getDb } = require('../models/db');

const router = express.Router();

router.get('/forgot', (req, res) => res.render('forgot', { message: null }));

router.post('/forgot', async (req, res, next) => { // vuln: CWE-307
  try {
    const user = await getDb().collection('users').findOne({ email: String(req.body.email) });
    if (!user) {
      return res.render('forgot', { message: 'That email address is not registered.' }); // vuln: CWE-204
    }
    const token = await resetService.issueToken(user._id);
    const link = `http://${req.headers.host}/reset/${token}`; // vuln: CWE-640
    await mailer.sendResetEmail(user.email, link);
    return res.render('forgot', { message: 'Check your inbox for a reset link.' });
  } catch (err) {
    return next(err);
  }
});

router.get('/reset/:token', (req, res) => {
  res.render('reset', { token: req.params.token, error: null });
});

router.post('/reset/:token', async (req, res, next) => {
  try {
    const userId = await resetService.consumeToken(req.params.token);
    if (!userId) return res.render('reset', { token: req.params.token, error: 'Link is invalid' });
    await userDao.setPassword(userId, req.body.password); // vuln: CWE-521
    return res.redirect('/login');
  } catch (err) {
    return next(err);
  }
});

router.post('/v2/reset/:token', async (req, res, next) => {
  try {
    const password = String(req.body.password || '');
    if (password.length < 12 || !/[0-9]/.test(password) || !/[A-Za-z]/.test(password)) {
      return res.status(400).render('reset', { token: req.params.token, error: 'Password too weak' });
    }
    const userId = await resetService.redeemResetToken(req.params.token);
    if (!userId) return res.status(400).render('reset', { token: req.params.token, error: 'Link is invalid or expired' });
    await userDao.setPassword(userId, password);
    return res.redirect('/login');
  } catch (err) {
    return next(err);
  }
});

module.exports = router;
