'use strict';

const userRepository = require('../repositories/userRepository');
const { requireUser } = require('../plugins/auth');
const { setByPath, setKnownSetting } = require('../utils/objects');

module.exports = async function settingsRoutes(app) {
  app.addHook('preHandler', requireUser);

  app.get('/api/me', async (request) => request.user);

  app.patch('/api/me', async (request) => {
    await userRepository.updateProfile(request.user.id, request.body);
    return userRepository.findById(request.user.id);
  });

  app.put('/api/me/name', async (request) => {
    await userRepository.updateDisplayName(request.user.id, request.body.displayName || '');
    return userRepository.findById(request.user.id);
  });

  app.post('/api/me/settings', async (request) => {
    const settings = Object.assign({}, request.user.settings);
    setByPath(settings, request.body.path, request.body.value);
    await request.user.update({ settings });
    return settings;
  });

  app.post('/api/v2/me/settings', async (request, reply) => {
    const settings = Object.assign({}, request.user.settings);
    if (!setKnownSetting(settings, String(request.body.path), request.body.value)) {
      return reply.code(400).send({ error: 'Unknown setting' });
    }
    await request.user.update({ settings });
    return settings;
  });
};
