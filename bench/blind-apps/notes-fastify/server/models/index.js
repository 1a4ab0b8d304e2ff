'use strict';

const { Sequelize, DataTypes } = require('sequelize');
const config = require('../config');

const sequelize = new Sequelize(config.databaseUrl, { logging: false });

const User = sequelize.define('User', {
  email: { type: DataTypes.STRING, allowNull: false, unique: true },
  displayName: DataTypes.STRING,
  role: { type: DataTypes.STRING, defaultValue: 'member' },
  plan: { type: DataTypes.STRING, defaultValue: 'free' },
  settings: { type: DataTypes.JSONB, defaultValue: {} }
});

const Note = sequelize.define('Note', {
  title: { type: DataTypes.STRING, allowNull: false },
  body: { type: DataTypes.TEXT, defaultValue: '' },
  link: DataTypes.STRING,
  archived: { type: DataTypes.BOOLEAN, defaultValue: false }
});

const Share = sequelize.define('Share', {
  token: { type: DataTypes.STRING, unique: true },
  expiresAt: DataTypes.DATE
});

const OtpCode = sequelize.define('OtpCode', {
  email: DataTypes.STRING,
  code: DataTypes.STRING,
  expiresAt: DataTypes.DATE,
  attempts: { type: DataTypes.INTEGER, defaultValue: 0 }
});

const ApiKey = sequelize.define('ApiKey', {
  label: DataTypes.STRING,
  prefix: DataTypes.STRING,
  keyHash: DataTypes.STRING,
  lastUsedAt: DataTypes.DATE
});

User.hasMany(Note, { foreignKey: 'ownerId' });
Note.belongsTo(User, { foreignKey: 'ownerId' });
Note.hasMany(Share, { foreignKey: 'noteId' });
Share.belongsTo(Note, { foreignKey: 'noteId' });
User.hasMany(ApiKey, { foreignKey: 'userId' });
ApiKey.belongsTo(User, { foreignKey: 'userId' });

module.exports = { sequelize, User, Note, Share, OtpCode, ApiKey };
