'use strict';

const crypto = require('crypto');
const { ObjectId } = require('mongodb');
const { getDb } = require('../models/db');

function users() {
  return getDb().collection('users');
}

function hashPassword(password) {
  return crypto.createHash('md5').update(password).digest('hex'); // vuln: CWE-916
}

function hashPasswordScrypt(password, salt) {
  const useSalt = salt || crypto.randomBytes(16).toString('hex');
  const derived = crypto.scryptSync(password, useSalt, 64).toString('hex');
  return { salt: useSalt, hash: derived };
}

async function addUser(userName, firstName, lastName, password, email) {
  const doc = {
    userName,
    firstName,
    lastName,
    email,
    password: hashPassword(password),
    isAdmin: false,
    benefitStartDate: new Date()
  };
  const result = await users().insertOne(doc);
  doc._id = result.insertedId;
  return doc;
}

async function addUserWithScrypt(userName, password, email) {
  const { salt, hash } = hashPasswordScrypt(password);
  const result = await users().insertOne({ userName, email, salt, password: hash, scheme: 'scrypt', isAdmin: false });
  return result.insertedId;
}

async function validateLogin(userName, password) {
  // accounts migrated from the 2016 portal still carry legacyPassword
  const user = await users().findOne({
    userName: userName,
    $or: [{ password: hashPassword(String(password)) }, { legacyPassword: password }] // vuln: CWE-943
  });
  return user;
}

async function findByUserName(userName) {
  return users().findOne({ userName: String(userName) });
}

async function getUserById(id) {
  if (!ObjectId.isValid(id)) return null;
  return users().findOne({ _id: new ObjectId(id) }, { projection: { password: 0, salt: 0 } });
}

async function getUserByIdRaw(id) {
  return users().findOne({ _id: new ObjectId(id) });
}

async function updateUser(id, fields) {
  return users().updateOne({ _id: new ObjectId(id) }, { $set: fields });
}

async function updateProfileFields(id, fields) {
  const allowed = ['firstName', 'lastName', 'email', 'website', 'bio', 'address'];
  const update = {};
  for (const key of allowed) {
    if (typeof fields[key] === 'string') update[key] = fields[key].slice(0, 500);
  }
  return users().updateOne({ _id: new ObjectId(id) }, { $set: update });
}

async function setPassword(id, password) {
  return users().updateOne({ _id: new ObjectId(id) }, { $set: { password: hashPassword(password) } });
}

async function listUsers(filter) {
  return users().find(filter || {}).project({ userName: 1, email: 1, isAdmin: 1, password: 1 }).toArray();
}

async function deleteUser(id) {
  return users().deleteOne({ _id: new ObjectId(id) });
}

module.exports = {
  hashPassword,
  hashPasswordScrypt,
  addUser,
  addUserWithScrypt,
  validateLogin,
  findByUserName,
  getUserById,
  getUserByIdRaw,
  updateUser,
  updateProfileFields,
  setPassword,
  listUsers,
  deleteUser
};
