'use strict';

const express = require('express');
const productDao = require('../dao/productDao');

const router = express.Router();

router.get('/', async (req, res, next) => {
  try {
    const q = String(req.query.q || '');
    const products = q ? await productDao.searchByName(q) : await productDao.sortedListing(req.query.sort);
    res.render('search', { q, products });
  } catch (err) {
    next(err);
  }
});

router.get('/under', async (req, res, next) => {
  try {
    const products = await productDao.searchByPriceExpression(req.query.max);
    res.render('search', { q: 'under ' + req.query.max, products });
  } catch (err) {
    next(err);
  }
});

router.get('/sku', async (req, res, next) => {
  try {
    const product = await productDao.findBySku(req.query.sku);
    if (!product) return res.status(404).json({ error: 'not found' });
    return res.json(product);
  } catch (err) {
    return next(err);
  }
});

router.get('/sku/:sku', async (req, res, next) => {
  try {
    const product = await productDao.findBySkuStrict(req.params.sku);
    if (!product) return res.status(404).json({ error: 'not found' });
    return res.json(product);
  } catch (err) {
    return next(err);
  }
});

router.get('/category/:name', async (req, res, next) => {
  try {
    res.json(await productDao.findByCategory(req.params.name));
  } catch (err) {
    next(err);
  }
});

module.exports = router;
