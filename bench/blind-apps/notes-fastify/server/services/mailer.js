'use strict';

const nodemailer = require('nodemailer');
const config = require('../config');

const transport = nodemailer.createTransport({
  host: config.mail.host,
  port: config.mail.port,
  requireTLS: true,
  auth: config.mail.user ? { user: config.mail.user, pass: config.mail.pass } : undefined
});

async function sendOtp(email, code) {
  return transport.sendMail({
    from: 'Notes <login@notes.example.com>',
    to: email,
    subject: 'Your sign-in code',
    text: `Your sign-in code is ${code}. It expires in 5 minutes.`
  });
}

module.exports = { sendOtp };
