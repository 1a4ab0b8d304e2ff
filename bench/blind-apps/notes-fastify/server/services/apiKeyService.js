'use strict';

const crypto = require('crypto');
const { ApiKey, User } = require('../models');

function digest(key) {
  return crypto.createHash('sha256').update(key).digest('hex');
}

async function create(userId, label) {
  const key = 'nk_' + crypto.randomBytes(24).toString('base64url');
  await ApiKey.create({ userId, label: String(label || 'default').slice(0, 40), prefix: key.slice(0, 8), keyHash: digest(key) });
  return key;
}

async function resolve(key) {
  if (typeof key !== 'string' || !key.startsWith('nk_')) return null;
  const row = await ApiKey.findOne({ where: { keyHash: digest(key) }, include: [User] });
  if (!row) return null;
  row.lastUsedAt = new Date();
  await row.save();
  return row.User;
}

async function revoke(userId, id) {
  return ApiKey.destroy({ where: { id, userId } });
}

module.exports = { create, resolve, revoke };
