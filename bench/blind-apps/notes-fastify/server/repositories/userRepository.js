'use strict';

const { User, ApiKey } = require('../models');

async function findByEmail(email) {
  return User.findOne({ where: { email: String(email).toLowerCase() } });
}

async function findById(id) {
  return User.findByPk(id, { attributes: ['id', 'email', 'displayName', 'role', 'plan', 'settings'] });
}

async function updateProfile(id, changes) {
  return User.update(changes, { where: { id } }); // vuln: CWE-915
}

async function updateDisplayName(id, displayName) {
  return User.update({ displayName: String(displayName).slice(0, 80) }, { where: { id }, fields: ['displayName'] });
}

async function keysForUser(userId) {
  return ApiKey.findAll({ where: { userId }, attributes: ['id', 'label', 'prefix', 'lastUsedAt', 'createdAt'] });
}

async function allKeys() {
  return ApiKey.findAll({ include: [{ model: User, attributes: ['email'] }] });
}

module.exports = { findByEmail, findById, updateProfile, updateDisplayName, keysForUser, allKeys };
