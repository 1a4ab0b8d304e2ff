'use strict';

const { MongoClient } = require('mongodb');
const mongoose = require('mongoose');
const config = require('../config/config');

let client = null;
let database = null;

async function connect() {
  if (database) return database;
  client = new MongoClient(config.mongoUrl, { useUnifiedTopology: true });
  await client.connect();
  database = client.db();
  await mongoose.connect(config.mongoUrl, { useNewUrlParser: true, useUnifiedTopology: true });
  return database;
}

function getDb() {
  if (!database) {
    throw new Error('Database not initialised; call connect() first');
  }
  return database;
}

module.exports = { connect, getDb };
