'use strict';

const apiKeyService = require('../services/apiKeyService');
const userRepository = require('../repositories/userRepository');

const SESSION_COOKIE = 'notes_session';

async function loadUser(request) {
  const apiKey = request.headers['x-api-key'];
  if (apiKey) return apiKeyService.resolve(apiKey);
  const raw = request.cookies[SESSION_COOKIE];
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid) return null;
  return userRepository.findById(Number(unsigned.value));
}

async function requireUser(request, reply) {
  const user = await loadUser(request);
  if (!user) {
    return reply.code(401).send({ error: 'Sign in required' });
  }
  request.user = user;
}

async function requireAdmin(request, reply) {
  if (!request.user || request.user.role !== 'admin') {
    return reply.code(403).send({ error: 'Admins only' });
  }
}

function startSession(reply, userId) {
  reply.setCookie(SESSION_COOKIE, String(userId), {
    path: '/',
    signed: true,
    httpOnly: true,
    secure: true,
    sameSite: 'none',
    maxAge: 60 * 60 * 24 * 14
  });
}

function endSession(reply) {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

module.exports = { requireUser, requireAdmin, startSession, endSession, loadUser };
