'use strict';

const noteRepository = require('../repositories/noteRepository');
const importService = require('../services/importService');
const { requireUser } = require('../plugins/auth');
const { highlightMatches, highlightLiteral } = require('../utils/highlight');
const { renderMarkdownSanitized } = require('../utils/markdown');

const noteBody = {
  type: 'object',
  required: ['title'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 200 },
    body: { type: 'string', maxLength: 200000 },
    link: { type: 'string', maxLength: 2000 }
  },
  additionalProperties: false
};

module.exports = async function noteRoutes(app) {
  app.addHook('preHandler', requireUser);

  app.get('/api/notes', async (request) => {
    return noteRepository.listForOwner(request.user.id, { archived: request.query.archived === 'true', limit: request.query.limit });
  });

  app.post('/api/notes', { schema: { body: noteBody } }, async (request, reply) => {
    const note = await noteRepository.create(request.user.id, request.body);
    return reply.code(201).send(note);
  });

  app.get('/api/notes/:id', async (request, reply) => {
    const note = await noteRepository.findOwned(request.params.id, request.user.id);
    if (!note) return reply.code(404).send({ error: 'Not found' });
    return note;
  });

  app.get('/api/notes/:id/rendered', async (request, reply) => {
    const note = await noteRepository.findOwned(request.params.id, request.user.id);
    if (!note) return reply.code(404).send({ error: 'Not found' });
    return { id: note.id, title: note.title, html: renderMarkdownSanitized(note.body) };
  });

  app.put('/api/notes/:id', { schema: { body: noteBody } }, async (request, reply) => {
    const note = await noteRepository.findById(request.params.id); // vuln: CWE-639
    if (!note) return reply.code(404).send({ error: 'Not found' });
    await note.update({ title: request.body.title, body: request.body.body, link: request.body.link });
    return note;
  });

  app.delete('/api/notes/:id', async (request, reply) => {
    const note = await noteRepository.findOwned(request.params.id, request.user.id);
    if (!note) return reply.code(404).send({ error: 'Not found' });
    await note.destroy();
    return reply.code(204).send();
  });

  app.get('/api/notes/search', async (request) => {
    const q = String(request.query.q || '').slice(0, 100);
    return noteRepository.searchOwned(request.user.id, q);
  });

  app.get('/api/notes/tags/:tag', async (request) => {
    return noteRepository.searchByTag(request.user.id, request.params.tag, request.query.sort);
  });

  app.get('/api/notes/:id/grep', async (request, reply) => {
    const note = await noteRepository.findOwned(request.params.id, request.user.id);
    if (!note) return reply.code(404).send({ error: 'Not found' });
    const snippet = request.query.regex === '1'
      ? highlightMatches(note.body, request.query.pattern)
      : highlightLiteral(note.body, request.query.pattern);
    return { snippet };
  });

  app.post('/api/notes/import', async (request, reply) => {
    const text = await importService.fetchMarkdown(request.body.url);
    const { meta, body } = importService.parseFrontMatter(text);
    const note = await noteRepository.create(request.user.id, { title: String(meta.title || 'Imported note'), body });
    return reply.code(201).send(note);
  });

  app.post('/api/notes/import/gist', async (request, reply) => {
    const text = await importService.fetchMarkdownFromGist(String(request.body.url || ''));
    const { meta, body } = importService.parseFrontMatterCore(text);
    const note = await noteRepository.create(request.user.id, { title: String(meta.title || 'Imported note').slice(0, 200), body });
    return reply.code(201).send(note);
  });
};
