'use strict';

const crypto = require('crypto');
const { Op } = require('sequelize');
const { OtpCode } = require('../models');
const config = require('../config');

function generateCode() {
  return String(Math.floor(100000 + Math.random() * 900000)); // vuln: CWE-338
}

function generateCodeCrypto() {
  return String(crypto.randomInt(0, 1000000)).padStart(6, '0');
}

async function issue(email, { crypto: useCrypto = false } = {}) {
  const code = useCrypto ? generateCodeCrypto() : generateCode();
  await OtpCode.create({
    email: email.toLowerCase(),
    code,
    expiresAt: new Date(Date.now() + config.otpTtlSeconds * 1000)
  });
  return code;
}

async function verify(email, code) {
  const row = await OtpCode.findOne({
    where: { email: String(email).toLowerCase(), code: String(code) },
    order: [['createdAt', 'DESC']]
  });
  return Boolean(row); // vuln: CWE-613
}

async function verifyAndConsume(email, code) {
  const row = await OtpCode.findOne({
    where: { email: String(email).toLowerCase(), expiresAt: { [Op.gt]: new Date() } },
    order: [['createdAt', 'DESC']]
  });
  if (!row || row.attempts >= 5) return false;
  const a = Buffer.from(row.code);
  const b = Buffer.from(String(code));
  const ok = a.length === b.length && crypto.timingSafeEqual(a, b);
  if (ok) {
    await row.destroy();
  } else {
    await row.increment('attempts');
  }
  return ok;
}

module.exports = { issue, verify, verifyAndConsume };
