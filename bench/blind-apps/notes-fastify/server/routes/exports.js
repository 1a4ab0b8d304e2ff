'use strict';

const fs = require('fs');
const path = require('path');
const noteRepository = require('../repositories/noteRepository');
const exportService = require('../services/exportService');
const { requireUser } = require('../plugins/auth');
const config = require('../config');

module.exports = async function exportRoutes(app) {
  app.addHook('preHandler', requireUser);

  app.post('/api/exports/pdf/:id', async (request, reply) => {
    const note = await noteRepository.findOwned(request.params.id, request.user.id);
    if (!note) return reply.code(404).send({ error: 'Not found' });
    const file = await exportService.toPdf(note, request.query.paper || 'A4');
    return { file: path.relative(config.exportDir, file) };
  });

  app.post('/api/v2/exports/pdf/:id', async (request, reply) => {
    const note = await noteRepository.findOwned(request.params.id, request.user.id);
    if (!note) return reply.code(404).send({ error: 'Not found' });
    const file = await exportService.toPdfArgs(note, String(request.query.paper || 'A4'));
    return { file: path.relative(config.exportDir, file) };
  });

  app.post('/api/exports/zip', async (request) => {
    const notes = await noteRepository.listForOwner(request.user.id, { limit: 200 });
    const file = await exportService.toZip(notes);
    return { file: path.relative(config.exportDir, file) };
  });

  app.post('/api/exports/folder', async (request) => {
    const notes = await noteRepository.listForOwner(request.user.id, { limit: 200 });
    const dir = exportService.writeMarkdownTree(notes);
    return { folder: path.relative(config.exportDir, dir) };
  });

  app.get('/api/exports/download', async (request, reply) => {
    const file = path.join(config.exportDir, request.query.file);
    return reply.type('application/octet-stream').send(fs.createReadStream(file)); // vuln: CWE-22
  });

  app.get('/api/exports/files/*', async (request, reply) => {
    return reply.sendFile(request.params['*'], config.exportDir);
  });
};
