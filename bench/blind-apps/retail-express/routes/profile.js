'use strict';

const express = require('express');
const userDao = require('../dao/userDao');
const { currentUserId } = require('../middleware/auth');
const { deepMerge, mergeOwnKeys } = require('../utils/merge');
const { getDb } = require('../models/db');

const router = express.Router();

const WEBSITE_PATTERN = /^(https?:\/\/)?([a-z0-9]+([-.][a-z0-9]+)*)+\.[a-z]{2,}(\/.*)?$/i;

router.get('/', async (req, res, next) => {
  try {
    const user = await userDao.getUserById(currentUserId(req));
    res.render('profile', { user, saved: req.query.saved === '1' });
  } catch (err) {
    next(err);
  }
});

router.post('/', async (req, res, next) => {
  try {
    if (req.body.website && !WEBSITE_PATTERN.test(req.body.website)) { // vuln: CWE-1333
      return res.status(400).render('error', { message: 'Website is not a valid URL', detail: null });
    }
    await userDao.updateUser(currentUserId(req), req.body); // vuln: CWE-915
    return res.redirect('/profile?saved=1');
  } catch (err) {
    return next(err);
  }
});

router.post('/basic', async (req, res, next) => {
  try {
    await userDao.updateProfileFields(currentUserId(req), req.body);
    res.redirect('/profile?saved=1');
  } catch (err) {
    next(err);
  }
});

router.post('/preferences', async (req, res, next) => {
  try {
    const prefs = getDb().collection('preferences');
    const existing = (await prefs.findOne({ userId: currentUserId(req) })) || { userId: currentUserId(req), settings: {} };
    const merged = deepMerge(existing.settings || {}, req.body);
    await prefs.updateOne({ userId: currentUserId(req) }, { $set: { settings: merged } }, { upsert: true });
    res.json({ ok: true, settings: merged });
  } catch (err) {
    next(err);
  }
});

router.post('/notifications', async (req, res, next) => {
  try {
    const prefs = getDb().collection('preferences');
    const merged = mergeOwnKeys(Object.create(null), req.body);
    await prefs.updateOne({ userId: currentUserId(req) }, { $set: { notifications: merged } }, { upsert: true });
    res.json({ ok: true });
  } catch (err) {
    next(err);
  }
});

router.get('/export', async (req, res, next) => {
  try {
    const user = await userDao.getUserByIdRaw(currentUserId(req));
    res.json(user); // vuln: CWE-200
  } catch (err) {
    next(err);
  }
});

module.exports = router;
