'use strict';

const mongoose = require('mongoose');

const productSchema = new mongoose.Schema({
  sku: { type: String, required: true, unique: true },
  name: { type: String, required: true },
  description: String,
  category: { type: String, index: true },
  price: { type: Number, min: 0 },
  stock: { type: Number, default: 0 },
  hidden: { type: Boolean, default: false }
}, { timestamps: true });

productSchema.statics.byCategory = function byCategory(category) {
  return this.find({ category: String(category), hidden: false }).sort({ name: 1 }).lean();
};

module.exports = mongoose.model('Product', productSchema);
