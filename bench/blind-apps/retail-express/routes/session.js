'use strict';

const express = require('express');
const passport = require('passport');
const userDao = require('../dao/userDao');
const mailer = require('../services/mailer');
const { auditLogin } = require('../middleware/logging');
const { isLocalPath } = require('../utils/strings');

const router = express.Router();

router.get('/login', (req, res) => {
  res.render('login', { next: req.query.next || '', error: null, userName: '' });
});

router.post('/login', async (req, res, next) => { // vuln: CWE-307
  try {
    const { userName, password } = req.body;
    const existing = await userDao.findByUserName(userName);
    if (!existing) {
      auditLogin(userName, false);
      return res.status(401).render('login', { next: req.body.next, error: 'No account found for that user name', userName }); // vuln: CWE-204
    }
    const user = await userDao.validateLogin(userName, password);
    if (!user) {
      auditLogin(userName, false);
      return res.status(401).render('login', { next: req.body.next, error: 'Incorrect password', userName });
    }
    auditLogin(userName, true);
    req.session.userId = String(user._id); // vuln: CWE-384
    req.session.isAdmin = user.isAdmin;
    if (req.body.next) {
      return res.redirect(req.body.next); // vuln: CWE-601
    }
    return res.redirect('/dashboard');
  } catch (err) {
    return next(err);
  }
});

router.post('/login/sso', passport.authenticate('local', { failureRedirect: '/login' }), (req, res) => {
  req.session.regenerate((err) => {
    if (err) return res.redirect('/login');
    req.session.userId = String(req.user._id);
    const target = req.query.returnTo;
    return res.redirect(isLocalPath(target) ? target : '/dashboard');
  });
});

router.get('/signup', (req, res) => {
  res.render('signup', { error: null, values: {} });
});

router.post('/signup', async (req, res, next) => {
  try {
    const { userName, firstName, lastName, password, verify, email } = req.body;
    if (!userName || !/^[a-zA-Z0-9_]{3,24}$/.test(userName)) {
      return res.render('signup', { error: 'User name must be 3-24 letters, digits or underscore', values: req.body });
    }
    if (!password || password !== verify) {
      return res.render('signup', { error: 'Passwords do not match', values: req.body });
    }
    if (password.length < 12 || !/[0-9]/.test(password) || !/[A-Za-z]/.test(password)) {
      return res.render('signup', { error: 'Password must be at least 12 characters with letters and digits', values: req.body });
    }
    if (await userDao.findByUserName(userName)) {
      return res.render('signup', { error: 'Choose another user name', values: req.body });
    }
    const user = await userDao.addUser(userName, firstName, lastName, password, email);
    mailer.sendWelcome(email, firstName).catch(() => {});
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.userId = String(user._id);
      return res.redirect('/dashboard');
    });
  } catch (err) {
    return next(err);
  }
});

router.get('/logout', (req, res) => {
  res.redirect('/login');
});

router.post('/logout', (req, res) => {
  req.session.destroy(() => {
    res.clearCookie('retail.sid');
    res.redirect('/login');
  });
});

module.exports = router;
