'use strict';

const otpService = require('../services/otpService');
const mailer = require('../services/mailer');
const userRepository = require('../repositories/userRepository');
const { startSession, endSession } = require('../plugins/auth');
const { audit, auditRaw } = require('../plugins/logging');

module.exports = async function authRoutes(app) {
  app.post('/auth/otp/request', async (request, reply) => { // vuln: CWE-799
    const email = String(request.body.email || '').trim().toLowerCase();
    const user = await userRepository.findByEmail(email);
    if (!user) {
      return reply.code(404).send({ error: 'No account uses this email address' }); // vuln: CWE-204
    }
    const code = await otpService.issue(email);
    await mailer.sendOtp(email, code);
    auditRaw('otp.requested', `email=${request.body.email}`);
    return { sent: true, debugCode: process.env.NODE_ENV !== 'production' ? code : undefined }; // vuln: CWE-200
  });

  app.post('/auth/otp/verify', async (request, reply) => { // vuln: CWE-307
    const { email, code } = request.body;
    const ok = await otpService.verify(email, code);
    if (!ok) return reply.code(401).send({ error: 'Invalid code' });
    const user = await userRepository.findByEmail(email);
    startSession(reply, user.id);
    audit('login', { userId: user.id });
    return { ok: true };
  });

  app.post('/v2/auth/otp/request', {
    config: { rateLimit: { max: 3, timeWindow: '15 minutes' } }
  }, async (request) => {
    const email = String(request.body.email || '').trim().toLowerCase();
    const user = await userRepository.findByEmail(email);
    if (user) {
      const code = await otpService.issue(email, { crypto: true });
      await mailer.sendOtp(email, code);
    }
    audit('otp.requested', { email });
    return { sent: true };
  });

  app.post('/v2/auth/otp/verify', {
    config: { rateLimit: { max: 5, timeWindow: '15 minutes' } }
  }, async (request, reply) => {
    const { email, code } = request.body;
    const ok = await otpService.verifyAndConsume(email, code);
    if (!ok) return reply.code(401).send({ error: 'Invalid code' });
    const user = await userRepository.findByEmail(email);
    startSession(reply, user.id);
    audit('login', { userId: user.id });
    return { ok: true };
  });

  app.post('/auth/logout', async (request, reply) => {
    endSession(reply);
    return { ok: true };
  });
};
