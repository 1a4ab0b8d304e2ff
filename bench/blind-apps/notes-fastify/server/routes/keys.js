'use strict';

const apiKeyService = require('../services/apiKeyService');
const userRepository = require('../repositories/userRepository');
const { requireUser, requireAdmin } = require('../plugins/auth');

module.exports = async function keyRoutes(app) {
  app.get('/api/keys', { preHandler: requireUser }, async (request) => {
    return userRepository.keysForUser(request.user.id);
  });

  app.post('/api/keys', { preHandler: requireUser }, async (request, reply) => {
    const key = await apiKeyService.create(request.user.id, request.body && request.body.label);
    return reply.code(201).send({ key, note: 'Store this key now; it will not be shown again.' });
  });

  app.delete('/api/keys/:id', { preHandler: requireUser }, async (request, reply) => {
    await apiKeyService.revoke(request.user.id, request.params.id);
    return reply.code(204).send();
  });

  app.get('/api/admin/keys', { preHandler: [requireUser, requireAdmin] }, async () => {
    const rows = await userRepository.allKeys();
    return rows.map((k) => ({ id: k.id, label: k.label, prefix: k.prefix, owner: k.User && k.User.email }));
  });
};
