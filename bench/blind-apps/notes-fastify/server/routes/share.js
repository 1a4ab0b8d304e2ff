'use strict';

const crypto = require('crypto');
const { Share } = require('../models');
const noteRepository = require('../repositories/noteRepository');
const { requireUser } = require('../plugins/auth');
const { renderMarkdown, renderMarkdownSanitized } = require('../utils/markdown');
const config = require('../config');

module.exports = async function shareRoutes(app) {
  app.post('/api/notes/:id/share', { preHandler: requireUser }, async (request, reply) => {
    const note = await noteRepository.findOwned(request.params.id, request.user.id);
    if (!note) return reply.code(404).send({ error: 'Not found' });
    const days = Math.min(Math.max(parseInt(request.body && request.body.days, 10) || 7, 1), 90);
    const token = crypto.randomBytes(18).toString('base64url');
    await Share.create({ noteId: note.id, token, expiresAt: new Date(Date.now() + days * 86400000) });
    return { url: `${config.publicBaseUrl}/s/${token}` };
  });

  app.get('/s/:token', async (request, reply) => {
    const note = await noteRepository.findByShareToken(request.params.token);
    if (!note) return reply.code(404).view('not-found.hbs', {});
    return reply.view('shared-note.hbs', {
      title: note.title,
      html: renderMarkdown(note.body),
      link: note.link,
      updatedAt: note.updatedAt.toISOString()
    });
  });

  app.get('/s/:token/print', async (request, reply) => {
    const note = await noteRepository.findByShareToken(request.params.token);
    if (!note) return reply.code(404).view('not-found.hbs', {});
    return reply.view('print-note.hbs', { title: note.title, html: renderMarkdownSanitized(note.body) });
  });

  app.get('/embed', async (request, reply) => {
    return reply.view('embed.hbs', { theme: request.query.theme || 'light', caption: request.query.caption || '' });
  });
};
