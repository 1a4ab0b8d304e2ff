// A submit whose answer is lost (a timeout after the request went out, or a proxy's 502/504) may have
// been accepted by Ray: the error names the submission id and says to check its status first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobSpec } from '../../tools/ml-training/jobs/executor.js';
import { RayExecutor } from '../../tools/ml-training/jobs/ray-executor.js';

async function server(
  t: { after(fn: () => Promise<void>): void },
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<string> {
  const peer = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => (peer.closeAllConnections(), peer.close(() => resolve()))));
  return `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
}

const spec: JobSpec = {
  jobId: 'job-lost-answer',
  name: 'lost',
  command: ['python3', 'train.py'],
  cwd: '/tmp',
  env: {},
  outputDir: '/tmp/out',
  resources: {},
  metadata: {},
};

test('a submit that times out names the submission id and says to check its status before resubmitting', async (t) => {
  const url = await server(t, () => {}); // reads the body, never answers
  const subject = new RayExecutor({ address: url, timeoutMs: 300 }, { retries: 0 });
  await assert.rejects(subject.submit(spec), (error: Error) => {
    assert.match(error.message, /did not answer POST \/api\/jobs\/ within 300 ms/);
    assert.match(
      error.message,
      /Ray may have accepted submission job-lost-answer .*check its status \(ml_training_get_job \{"jobId": "job-lost-answer"\}, or `ray job status job-lost-answer`\) before submitting again/,
    );
    return true;
  });
});

test('a proxy 504 on submit says the same; a refused connection does not (nothing was sent)', async (t) => {
  const url = await server(t, (_req, res) => res.writeHead(504).end('Gateway Timeout'));
  const subject = new RayExecutor({ address: url, timeoutMs: 2000 }, { retries: 0 });
  await assert.rejects(subject.submit(spec), /HTTP 504\. Ray may have accepted submission job-lost-answer/);
  const closed = new RayExecutor({ address: 'http://127.0.0.1:1', timeoutMs: 2000 }, { retries: 0 });
  await assert.rejects(closed.submit(spec), (error: Error) => {
    assert.match(error.message, /cannot reach the Ray head node/);
    assert.doesNotMatch(error.message, /may have accepted/);
    return true;
  });
});
