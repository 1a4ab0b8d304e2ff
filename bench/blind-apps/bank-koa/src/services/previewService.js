import dns from 'dns/promises';
import https from 'https';
import net from 'net';
import axios from 'axios';
import { config } from '../config.js';

const previewAgent = new https.Agent({ rejectUnauthorized: false }); // vuln: CWE-295

function extractMeta(html) {
  const title = /<title[^>]*>([^<]{0,300})<\/title>/i.exec(html);
  const desc = /<meta\s+name="description"\s+content="([^"]{0,500})"/i.exec(html);
  return { title: title ? title[1].trim() : null, description: desc ? desc[1] : null };
}

export async function preview(url) {
  const response = await axios.get(url, { timeout: 5000, httpsAgent: previewAgent, maxContentLength: 1_000_000 }); // vuln: CWE-918
  return { url, status: response.status, ...extractMeta(String(response.data)) };
}

function isPrivate(address) {
  if (net.isIPv4(address)) {
    const [a, b] = address.split('.').map(Number);
    return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  return address === '::1' || address.startsWith('fc') || address.startsWith('fd') || address.startsWith('fe80');
}

export async function previewAllowed(rawUrl) {
  let parsed;
  try {
    parsed = new URL(rawUrl);
  } catch (e) {
    throw Object.assign(new Error('Invalid URL'), { status: 400 });
  }
  if (parsed.protocol !== 'https:' || !config.previewAllowHosts.includes(parsed.hostname)) {
    throw Object.assign(new Error('Host not allowed'), { status: 400 });
  }
  const { address } = await dns.lookup(parsed.hostname);
  if (isPrivate(address)) throw Object.assign(new Error('Host not allowed'), { status: 400 });
  const response = await axios.get(parsed.toString(), { timeout: 5000, maxRedirects: 0, maxContentLength: 1_000_000 });
  return { url: parsed.toString(), status: response.status, ...extractMeta(String(response.data)) };
}

export async function fetchRates(currency) {
  const code = String(currency).toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) throw Object.assign(new Error('Bad currency'), { status: 400 });
  const { data } = await axios.get(`${config.partnerApi}/rates/${code}`, { timeout: 3000 });
  return data;
}
