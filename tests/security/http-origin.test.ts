// The HTTP endpoint's Origin check compares scheme, host and port, with the scheme's default port
// applied: a page at http://127.0.0.1 (port 80) is another origin than a server on port 8765.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { originAllowed, serveHttp } from '../../servers/http.js';
import { testSuite } from '../helpers.js';

test('originAllowed: same scheme, loopback host and port only; default ports applied', () => {
  assert.equal(originAllowed('http://127.0.0.1', 8765, []), false, 'no port means 80');
  assert.equal(originAllowed('http://localhost', 8765, []), false);
  assert.equal(originAllowed('http://127.0.0.1:8765', 8765, []), true);
  assert.equal(originAllowed('http://[::1]:8765', 8765, []), true);
  assert.equal(originAllowed('https://127.0.0.1:8765', 8765, []), false, 'the listener speaks http');
  assert.equal(originAllowed('https://localhost', 443, []), false);
  assert.equal(originAllowed('http://127.0.0.1', 80, []), true, 'port 80 is the default of http');
  assert.equal(originAllowed('http://127.0.0.1:80', 80, []), true);
  assert.equal(originAllowed('http://evil.example:8765', 8765, []), false);
  assert.equal(originAllowed('null', 8765, []), false);
  assert.equal(originAllowed('https://app.example', 8765, ['https://app.example']), true, 'configured origins');
});

function post(port: number, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/mcp',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', origin },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      }),
    );
  });
}

test('a request whose Origin lacks the port, or has another scheme, is refused with 403', async (t) => {
  const suite = await testSuite(t);
  const served = await serveHttp(suite, { host: '127.0.0.1', port: 0 });
  t.after(() => served.close());
  assert.notEqual(served.port, 80);
  assert.equal(await post(served.port, 'http://127.0.0.1'), 403);
  assert.equal(await post(served.port, 'http://localhost'), 403);
  assert.equal(await post(served.port, `https://127.0.0.1:${served.port}`), 403);
  assert.equal(await post(served.port, `http://127.0.0.1:${served.port}`), 200);
  assert.equal(await post(served.port, `http://localhost:${served.port}`), 200);
});
