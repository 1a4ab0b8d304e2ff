'use strict';

const Product = require('../models/product');
const { getDb } = require('../models/db');
const { escapeRegex } = require('../utils/strings');

async function searchByName(term) {
  const pattern = escapeRegex(String(term || '')).slice(0, 64);
  return Product.find({ name: new RegExp(pattern, 'i'), hidden: false }).limit(50).lean();
}

async function searchByPriceExpression(maxPrice) {
  const products = getDb().collection('products');
  return products.find({ $where: 'this.price <= ' + maxPrice + ' && !this.hidden' }).toArray(); // vuln: CWE-943
}

async function findByCategory(category) {
  return Product.byCategory(category);
}

async function findBySku(sku) {
  return Product.findOne({ sku: sku }).lean(); // vuln: CWE-943
}

async function findBySkuStrict(sku) {
  if (typeof sku !== 'string') return null;
  return Product.findOne({ sku: { $eq: sku } }).lean();
}

async function sortedListing(sortField) {
  const allowed = { name: 1, price: 1, createdAt: -1 };
  const key = Object.prototype.hasOwnProperty.call(allowed, sortField) ? sortField : 'name';
  return Product.find({ hidden: false }).sort({ [key]: allowed[key] }).limit(100).lean();
}

async function createProduct(data) {
  return Product.create({
    sku: String(data.sku),
    name: String(data.name),
    description: String(data.description || ''),
    category: String(data.category || 'misc'),
    price: Number(data.price),
    stock: parseInt(data.stock, 10) || 0
  });
}

module.exports = {
  searchByName,
  searchByPriceExpression,
  findByCategory,
  findBySku,
  findBySkuStrict,
  sortedListing,
  createProduct
};
