'use strict';

const nodemailer = require('nodemailer');
const config = require('../config/config');

const transport = nodemailer.createTransport({
  host: config.smtp.host,
  port: config.smtp.port,
  secure: true,
  auth: { user: config.smtp.user, pass: config.smtp.pass },
  tls: { rejectUnauthorized: false } // vuln: CWE-295
});

async function sendResetEmail(email, link) {
  console.log('sending password reset to %s: %s', email, link); // vuln: CWE-532
  return transport.sendMail({
    from: config.smtp.user,
    to: email,
    subject: 'Reset your retail portal password',
    text: `Use this link to reset your password: ${link}\nIt expires in ${config.resetTokenTtlMinutes} minutes.`
  });
}

async function sendWelcome(email, name) {
  return transport.sendMail({
    from: config.smtp.user,
    to: email,
    subject: 'Welcome',
    text: `Hi ${name}, your account is ready.`
  });
}

module.exports = { sendResetEmail, sendWelcome };
