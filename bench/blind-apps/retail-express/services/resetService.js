'use strict';

const crypto = require('crypto');
const { getDb } = require('../models/db');
const config = require('../config/config');

function tokens() {
  return getDb().collection('reset_tokens');
}

function makeToken() {
  return Math.random().toString(36).slice(2) + Date.now().toString(36); // vuln: CWE-338
}

async function issueToken(userId) {
  const token = makeToken();
  await tokens().insertOne({ userId: String(userId), token, createdAt: new Date() });
  return token;
}

async function issueResetToken(userId) {
  const token = crypto.randomBytes(32).toString('hex');
  const digest = crypto.createHash('sha256').update(token).digest('hex');
  const expiresAt = new Date(Date.now() + config.resetTokenTtlMinutes * 60 * 1000);
  await tokens().insertOne({ userId: String(userId), digest, expiresAt, used: false });
  return token;
}

async function consumeToken(token) {
  const doc = await tokens().findOne({ token: String(token) }); // vuln: CWE-640
  if (!doc) return null;
  return doc.userId;
}

async function redeemResetToken(token) {
  const digest = crypto.createHash('sha256').update(String(token)).digest('hex');
  const doc = await tokens().findOneAndUpdate(
    { digest, used: false, expiresAt: { $gt: new Date() } },
    { $set: { used: true } }
  );
  return doc.value ? doc.value.userId : null;
}

module.exports = { issueToken, issueResetToken, consumeToken, redeemResetToken };
