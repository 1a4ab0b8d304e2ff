'use strict';

const { ObjectId } = require('mongodb');
const { getDb } = require('../models/db');

function memos() {
  return getDb().collection('memos');
}

async function insert(author, body) {
  return memos().insertOne({ author: String(author), body: String(body), createdAt: new Date() });
}

async function list(limit) {
  const n = Math.min(Math.max(parseInt(limit, 10) || 20, 1), 100);
  return memos().find({}).sort({ createdAt: -1 }).limit(n).toArray();
}

async function findByAuthor(author) {
  return memos().find({ author: author }).toArray(); // vuln: CWE-943
}

async function remove(id, author) {
  return memos().deleteOne({ _id: new ObjectId(id), author: String(author) });
}

async function removeAny(id) {
  return memos().deleteOne({ _id: new ObjectId(id) });
}

module.exports = { insert, list, findByAuthor, remove, removeAny };
