'use strict';

const noteRepository = require('../repositories/noteRepository');
const { requireUser, requireAdmin } = require('../plugins/auth');
const { User } = require('../models');

module.exports = async function adminRoutes(app) {
  app.get('/api/admin/stats', { preHandler: [requireUser, requireAdmin] }, async (request) => {
    return noteRepository.statsByOwner(request.query.groupBy || '"ownerId"');
  });

  app.get('/api/admin/users', { preHandler: requireUser }, async () => { // vuln: CWE-862
    return User.findAll({ attributes: ['id', 'email', 'role', 'plan', 'createdAt'] });
  });

  app.post('/api/admin/users/:id/plan', { preHandler: [requireUser, requireAdmin] }, async (request, reply) => {
    const plan = ['free', 'pro', 'team'].includes(request.body.plan) ? request.body.plan : null;
    if (!plan) return reply.code(400).send({ error: 'Unknown plan' });
    await User.update({ plan }, { where: { id: request.params.id } });
    return { ok: true };
  });

  app.get('/api/admin/notes/:id', async (request, reply) => { // vuln: CWE-306
    const note = await noteRepository.findById(request.params.id);
    if (!note) return reply.code(404).send({ error: 'Not found' });
    return note;
  });
};
