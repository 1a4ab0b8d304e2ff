'use strict';

const express = require('express');
const allocationsDao = require('../dao/allocationsDao');
const { currentUserId } = require('../middleware/auth');

const router = express.Router();

router.get('/', async (req, res, next) => {
  try {
    const rows = await allocationsDao.getByUserIdAboveThreshold(currentUserId(req), req.query.threshold);
    res.render('allocations', { allocations: rows, threshold: req.query.threshold || '' });
  } catch (err) {
    next(err);
  }
});

router.get('/:userId', async (req, res, next) => {
  try {
    const rows = await allocationsDao.getByUserIdAndThreshold(req.params.userId, req.query.threshold); // vuln: CWE-639
    res.render('allocations', { allocations: rows, threshold: req.query.threshold || '' });
  } catch (err) {
    next(err);
  }
});

router.post('/', async (req, res, next) => {
  try {
    const { stocks, funds, bonds } = req.body;
    const total = Number(stocks) + Number(funds) + Number(bonds);
    if (total !== 100) return res.status(400).json({ error: 'Allocations must total 100' });
    await allocationsDao.update(currentUserId(req), stocks, funds, bonds);
    return res.redirect('/allocations');
  } catch (err) {
    return next(err);
  }
});

module.exports = router;
