'use strict';

const { QueryTypes } = require('sequelize');
const { sequelize, Note, Share } = require('../models');

async function listForOwner(ownerId, { archived = false, limit = 50 } = {}) {
  return Note.findAll({
    where: { ownerId, archived: Boolean(archived) },
    order: [['updatedAt', 'DESC']],
    limit: Math.min(Number(limit) || 50, 200)
  });
}

async function findOwned(id, ownerId) {
  return Note.findOne({ where: { id, ownerId } });
}

async function findById(id) {
  return Note.findByPk(id);
}

async function searchOwned(ownerId, text) {
  return sequelize.query(
    'SELECT id, title, "updatedAt" FROM "Notes" WHERE "ownerId" = :ownerId AND (title ILIKE :pattern OR body ILIKE :pattern) ORDER BY "updatedAt" DESC LIMIT 50',
    { replacements: { ownerId, pattern: `%${text}%` }, type: QueryTypes.SELECT }
  );
}

async function searchByTag(ownerId, tag, sort) {
  const sql = `SELECT id, title, "updatedAt" FROM "Notes" WHERE "ownerId" = ${Number(ownerId)} AND body LIKE '%#${tag}%' ORDER BY ${sort || '"updatedAt"'} DESC`;
  return sequelize.query(sql, { type: QueryTypes.SELECT }); // vuln: CWE-89
}

async function countByOwner(ownerId) {
  return Note.count({ where: { ownerId } });
}

async function create(ownerId, { title, body, link }) {
  return Note.create({ ownerId, title, body, link });
}

async function findByShareToken(token) {
  const share = await Share.findOne({ where: { token: String(token) }, include: [Note] });
  if (!share) return null;
  if (share.expiresAt && share.expiresAt < new Date()) return null;
  return share.Note;
}

async function statsByOwner(ownerColumn) {
  return sequelize.query(
    `SELECT ${ownerColumn}, COUNT(*) AS notes FROM "Notes" GROUP BY ${ownerColumn}`, // vuln: CWE-89
    { type: QueryTypes.SELECT }
  );
}

module.exports = { listForOwner, findOwned, findById, searchOwned, searchByTag, countByOwner, create, findByShareToken, statsByOwner };
