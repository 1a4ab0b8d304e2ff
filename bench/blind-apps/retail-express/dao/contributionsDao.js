'use strict';

const { getDb } = require('../models/db');

function contributions() {
  return getDb().collection('contributions');
}

async function getByUserId(userId) {
  const doc = await contributions().findOne({ userId: String(userId) });
  return doc || { userId, preTax: 0, afterTax: 0, roth: 0 };
}

async function update(userId, preTax, afterTax, roth) {
  await contributions().updateOne(
    { userId: String(userId) },
    { $set: { preTax, afterTax, roth, updatedAt: new Date() } },
    { upsert: true }
  );
  return { userId, preTax, afterTax, roth };
}

module.exports = { getByUserId, update };
