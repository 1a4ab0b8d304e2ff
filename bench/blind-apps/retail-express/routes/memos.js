'use strict';

const express = require('express');
const marked = require('marked');
const memosDao = require('../dao/memosDao');
const { currentUserId } = require('../middleware/auth');

const router = express.Router();

router.get('/', async (req, res, next) => {
  try {
    const memos = req.query.author
      ? await memosDao.findByAuthor(req.query.author)
      : await memosDao.list(req.query.limit);
    const rendered = memos.map((m) => ({ id: String(m._id), author: m.author, html: marked(m.body), text: m.body }));
    res.render('memos', { memos: rendered });
  } catch (err) {
    next(err);
  }
});

router.post('/', async (req, res, next) => {
  try {
    const body = String(req.body.memo || '').trim();
    if (!body) return res.redirect('/memos');
    await memosDao.insert(currentUserId(req), body);
    return res.redirect('/memos');
  } catch (err) {
    return next(err);
  }
});

router.post('/:id/delete', async (req, res, next) => {
  try {
    await memosDao.removeAny(req.params.id); // vuln: CWE-639
    res.redirect('/memos');
  } catch (err) {
    next(err);
  }
});

router.post('/:id/retract', async (req, res, next) => {
  try {
    await memosDao.remove(req.params.id, currentUserId(req));
    res.redirect('/memos');
  } catch (err) {
    next(err);
  }
});

module.exports = router;
