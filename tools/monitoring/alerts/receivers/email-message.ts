// The email for a notification: subject = the title, a text body listing the alerts and the next
// repeat, and the same as escaped HTML; plus nodemailer transport options from the smarthost.
import type { Notification, ReceiverConfig } from '../alert-types.js';
import { notificationBody, notificationTitle } from './notification-text.js';
import { truncateRunes } from './text-limits.js';

export interface EmailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface SmtpTransportOptions {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  ignoreTLS: boolean;
  auth?: { user: string; pass: string };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function buildEmailMessage(n: Notification, config: ReceiverConfig['email'][number]): EmailMessage {
  const text = notificationBody(n);
  const items = text
    .split('\n')
    .map((line) => escapeHtml(line))
    .join('<br>\n');
  return {
    from: config.from,
    to: config.to,
    // Subjects are one line; long ones are folded by the mailer but some servers cap them near 1,000.
    subject: truncateRunes(notificationTitle(n).replace(/[\r\n]+/g, ' '), 900).text,
    text,
    html: `<html><body><p style="font-family:monospace">\n${items}\n</p></body></html>`,
  };
}

/**
 * `host:port` as Alertmanager reads smarthost. Port 465 means TLS from the start; otherwise
 * require_tls (Alertmanager's default true) demands STARTTLS, and false sends without TLS.
 */
export function smtpTransportOptions(config: ReceiverConfig['email'][number]): SmtpTransportOptions {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(config.smarthost);
  if (!match) throw new Error(`smarthost "${config.smarthost}" is not host:port`);
  const port = Number(match[2]);
  const options: SmtpTransportOptions = {
    host: match[1]!,
    port,
    secure: port === 465,
    requireTLS: config.requireTls && port !== 465,
    ignoreTLS: !config.requireTls,
  };
  if (config.authUsername) options.auth = { user: config.authUsername, pass: config.authPassword ?? '' };
  return options;
}
