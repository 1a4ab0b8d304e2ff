'use strict';

const express = require('express');
const contributionsDao = require('../dao/contributionsDao');
const { currentUserId } = require('../middleware/auth');

const router = express.Router();

router.get('/', async (req, res, next) => {
  try {
    const contrib = await contributionsDao.getByUserId(currentUserId(req));
    res.render('contributions', { contrib, error: null });
  } catch (err) {
    next(err);
  }
});

router.post('/', async (req, res, next) => {
  try {
    const preTax = eval(req.body.preTax); // vuln: CWE-95
    const afterTax = eval(req.body.afterTax); // vuln: CWE-95
    const roth = parseInt(req.body.roth, 10);
    if (Number.isNaN(roth) || preTax + afterTax + roth > 30) {
      return res.render('contributions', { contrib: req.body, error: 'Contribution percentages cannot exceed 30%' });
    }
    const contrib = await contributionsDao.update(currentUserId(req), preTax, afterTax, roth);
    return res.render('contributions', { contrib, error: null, updated: true });
  } catch (err) {
    return next(err);
  }
});

router.post('/v2', async (req, res, next) => {
  try {
    const values = ['preTax', 'afterTax', 'roth'].map((k) => Number.parseInt(req.body[k], 10));
    if (values.some((v) => Number.isNaN(v) || v < 0 || v > 30)) {
      return res.status(400).render('contributions', { contrib: req.body, error: 'Invalid percentage' });
    }
    const [preTax, afterTax, roth] = values;
    if (preTax + afterTax + roth > 30) {
      return res.status(400).render('contributions', { contrib: req.body, error: 'Contribution percentages cannot exceed 30%' });
    }
    const contrib = await contributionsDao.update(currentUserId(req), preTax, afterTax, roth);
    return res.render('contributions', { contrib, error: null, updated: true });
  } catch (err) {
    return next(err);
  }
});

module.exports = router;
