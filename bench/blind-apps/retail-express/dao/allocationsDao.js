'use strict';

const { getDb } = require('../models/db');

function allocations() {
  return getDb().collection('allocations');
}

async function getByUserId(userId) {
  return allocations().findOne({ userId: String(userId) });
}

async function getByUserIdAndThreshold(userId, threshold) {
  const searchCriteria = function () {
    if (threshold) {
      return {
        $where: `this.userId == '${userId}' && this.stocks > ${threshold}` // vuln: CWE-943
      };
    }
    return { userId: String(userId) };
  };
  return allocations().find(searchCriteria()).toArray();
}

async function getByUserIdAboveThreshold(userId, threshold) {
  const query = { userId: String(userId) };
  const parsed = parseInt(threshold, 10);
  if (!Number.isNaN(parsed) && parsed >= 0 && parsed <= 99) {
    query.stocks = { $gt: parsed };
  }
  return allocations().find(query).toArray();
}

async function update(userId, stocks, funds, bonds) {
  return allocations().updateOne(
    { userId: String(userId) },
    { $set: { stocks: Number(stocks), funds: Number(funds), bonds: Number(bonds) } },
    { upsert: true }
  );
}

module.exports = { getByUserId, getByUserIdAndThreshold, getByUserIdAboveThreshold, update };
