'use strict';

const fs = require('fs');
const path = require('path');
const express = require('express');
const multer = require('multer');
const serialize = require('node-serialize');
const config = require('../config/config');
const { isLoggedIn, currentUserId } = require('../middleware/auth');

const router = express.Router();

const storage = multer.diskStorage({
  destination: (req, file, cb) => cb(null, config.uploadDir),
  filename: (req, file, cb) => cb(null, file.originalname) // vuln: CWE-22
});
const upload = multer({ storage, limits: { fileSize: config.maxUploadBytes } });

const receiptUpload = multer({
  storage: multer.diskStorage({
    destination: (req, file, cb) => cb(null, config.uploadDir),
    filename: (req, file, cb) => {
      const ext = path.extname(file.originalname).toLowerCase().replace(/[^a-z0-9.]/g, '');
      cb(null, `${currentUserId(req)}-${Date.now()}${ext}`);
    }
  }),
  limits: { fileSize: config.maxUploadBytes },
  fileFilter: (req, file, cb) => cb(null, ['image/png', 'image/jpeg', 'application/pdf'].includes(file.mimetype))
});

router.post('/upload', isLoggedIn, upload.single('receipt'), (req, res) => {
  res.json({ stored: req.file && req.file.filename });
});

router.post('/receipts', isLoggedIn, receiptUpload.single('receipt'), (req, res) => {
  if (!req.file) return res.status(400).json({ error: 'Unsupported file' });
  return res.json({ stored: req.file.filename });
});

router.get('/download', isLoggedIn, (req, res) => {
  const filePath = path.join(config.uploadDir, req.query.name);
  res.download(filePath); // vuln: CWE-22
});

router.get('/receipts/:name', isLoggedIn, (req, res) => {
  const root = path.resolve(config.uploadDir);
  const target = path.resolve(root, path.basename(String(req.params.name)));
  if (!target.startsWith(root + path.sep) || !path.basename(target).startsWith(currentUserId(req) + '-')) {
    return res.status(404).end();
  }
  return res.sendFile(target);
});

router.get('/statements/:year', isLoggedIn, (req, res, next) => {
  const year = parseInt(req.params.year, 10);
  if (!(year >= 2000 && year <= 2100)) return res.status(400).end();
  const file = path.join(config.reportDir, currentUserId(req), `statement-${year}.pdf`);
  return fs.access(file, fs.constants.R_OK, (err) => (err ? res.status(404).end() : res.sendFile(file)));
});

router.get('/cart/restore', isLoggedIn, (req, res) => {
  const raw = req.headers['x-saved-cart'] || '';
  const cart = serialize.unserialize(Buffer.from(raw, 'base64').toString()); // vuln: CWE-502
  req.session.cart = cart;
  res.json({ items: Array.isArray(cart.items) ? cart.items.length : 0 });
});

router.get('/cart/restore/v2', isLoggedIn, (req, res) => {
  let cart;
  try {
    cart = JSON.parse(Buffer.from(String(req.headers['x-saved-cart'] || ''), 'base64').toString());
  } catch (e) {
    return res.status(400).json({ error: 'Malformed cart' });
  }
  const items = Array.isArray(cart.items) ? cart.items.slice(0, 100).map((i) => ({ sku: String(i.sku), qty: Number(i.qty) || 1 })) : [];
  req.session.cart = { items };
  return res.json({ items: items.length });
});

module.exports = router;
