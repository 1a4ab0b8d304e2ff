// The AI review pass through the real pool and the official ollama client, against a loopback
// Ollama peer that answers with a scripted review: findings inside the function shown are kept,
// lines outside it and repeats of static findings are dropped, and with no backend the report
// says the pass was skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { testSuite } from '../helpers.js';

const files = {
  'package.json': JSON.stringify({ name: 'orders', dependencies: { express: '^4.18.0' } }),
  'src/orders.js': [
    "const express = require('express');",
    "const db = require('./db');",
    'const router = express.Router();',
    "router.get('/orders', async (req, res) => {",
    '  const rows = await db.query("SELECT * FROM orders WHERE user = \'" + req.query.user + "\'");',
    '  let total = 0;',
    '  for (const row of rows) {',
    '    total += row.amount;',
    '  }',
    '  res.json({ rows, average: total / rows.length });',
    '});',
    'module.exports = router;',
    '',
  ].join('\n'),
  'src/db.js': 'module.exports = { query: async () => [] };\n',
};

const models = [
  { name: 'qwen3-coder:30b', sizeBytes: 18_000_000_000, parameterSize: '30.5B', family: 'qwen3moe' },
  { name: 'gpt-oss:120b', sizeBytes: 65_000_000_000, parameterSize: '120B', family: 'gptoss' },
];

function review(prompt: string): string {
  const kept = /\s+10\s+ {2}res\.json/.test(prompt);
  return JSON.stringify({
    confidence: 0.9,
    findings: kept
      ? [
          {
            line: 10,
            severity: 'medium',
            category: 'bug',
            title: 'Division by zero when the user has no orders',
            explanation: 'rows.length is 0 for a user without orders, so average is NaN and is serialised as null.',
            fix: 'Return average 0 (or omit it) when rows is empty.',
          },
          {
            line: 5,
            severity: 'critical',
            category: 'security',
            cwe: 'CWE-89',
            title: 'SQL injection',
            explanation: 'the query concatenates req.query.user',
          },
          { line: 400, severity: 'high', category: 'bug', title: 'Made-up line', explanation: 'not in the code shown' },
        ]
      : [],
  });
}

test('the AI pass adds validated, in-range, non-duplicate findings with the model and tokens in the execution block', async (t) => {
  const peer = new OllamaPeer({ models, resident: ['qwen3-coder:30b'], reply: (prompt) => review(prompt) });
  await peer.start();
  t.after(() => peer.stop());
  const suite = await testSuite(t, { files, env: { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}` } });
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('analyzeAndImproveCode', { task: 'comprehensive', aiReview: 3 });
  assert.equal(result.isError, false, result.text);
  const report = result.structuredContent as {
    findings: { rule: string; line: number; category: string; cwe?: string; message: string; file: string }[];
    aiReview: { status: string; reviewed: number; models: string[]; duplicatesOfStatic: number };
    execution: { llm?: { model: string; inputTokens: number }[] };
  };
  assert.equal(report.aiReview.status, 'done', JSON.stringify(report.aiReview));
  assert.ok(report.aiReview.reviewed >= 1);
  assert.deepEqual(report.aiReview.models, ['qwen3-coder:30b']);
  assert.equal(report.aiReview.duplicatesOfStatic, 1, 'the SQL injection is already a static finding');
  const ai = report.findings.filter((f) => f.category === 'ai-review');
  assert.deepEqual(
    ai.map((f) => `${f.file}:${f.line}:${f.rule}`),
    ['src/orders.js:10:ai-bug'],
  );
  assert.match(ai[0]!.message, /Division by zero.*qwen3-coder:30b/);
  assert.ok(
    report.findings.some((f) => f.rule === 'sql-injection' && f.line === 5),
    'the static finding stays',
  );
  const chats = peer.requests.filter(
    (r) => (r.path === '/api/chat' || r.path === '/api/generate') && JSON.stringify(r.body).includes('orders.js'),
  );
  assert.ok(chats.length >= 1 && chats.length <= 3);
  assert.match(JSON.stringify(chats[0]!.body), /orders\.js/);
  const steps = (report.execution.llm ?? []) as { model: string; inputTokens: number }[];
  assert.ok(
    steps.some((s) => s.model === 'qwen3-coder:30b' && s.inputTokens > 0),
    JSON.stringify(report.execution),
  );
});

test('with no LLM backend the static report is complete and says the AI pass was skipped', async (t) => {
  const suite = await testSuite(t, { files });
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('analyzeAndImproveCode', { task: 'comprehensive' });
  assert.equal(result.isError, false, result.text);
  const report = result.structuredContent as {
    aiReview: { status: string; reason: string };
    findings: { rule: string }[];
  };
  assert.equal(report.aiReview.status, 'skipped');
  assert.match(report.aiReview.reason, /no LLM backend/);
  assert.ok(report.findings.some((f) => f.rule === 'sql-injection'));
  const direct = await suite.dispatcher.call('runTool', { name: 'development_review_with_ai', arguments: {} });
  assert.equal(direct.isError, false, direct.text);
  assert.match(direct.text, /skipped/);
});

test('an answer that does not fit the review schema is not turned into findings', async (t) => {
  const peer = new OllamaPeer({
    models,
    resident: ['qwen3-coder:30b'],
    reply: () => 'Looks fine to me, nothing to add!',
  });
  await peer.start();
  t.after(() => peer.stop());
  const suite = await testSuite(t, { files, env: { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}` } });
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('runTool', {
    name: 'development_review_with_ai',
    arguments: { maxFunctions: 1 },
  });
  assert.equal(result.isError, false, result.text);
  const review = (
    result.structuredContent as { result: { status: string; findings: unknown[]; reviewed: { error?: string }[] } }
  ).result;
  assert.deepEqual(review.findings, []);
  assert.equal(review.status, 'skipped');
  // The reason is the step's own, never empty: here the reply is prose, not the JSON asked for.
  assert.equal(review.reviewed[0]?.error, 'the answer is not JSON (no JSON object in the reply)');
  assert.match(result.text, /failed \(the answer is not JSON/);
});

// A one-file Express app: three helpers and one anonymous route callback with a command injection.
const tinyApp = {
  'package.json': JSON.stringify({ name: 'tiny', dependencies: { express: '^4.18.0' } }),
  'app.js': [
    "const express = require('express');",
    "const { exec } = require('child_process');",
    'const app = express();',
    'function formatBytes(n) {',
    '  return n > 1024 ? (n / 1024).toFixed(1) + " KiB" : n + " B";',
    '}',
    'function sum(values) {',
    '  let total = 0;',
    '  for (const v of values) total += v;',
    '  return total;',
    '}',
    "app.get('/ping', (req, res) => {",
    "  exec('ping -c 1 ' + req.query.host, (err, stdout) => {",
    '    res.send(stdout);',
    '  });',
    '});',
    'function isName(s) {',
    '  return /^[a-z]+$/.test(s);',
    '}',
    'app.listen(3000);',
    '',
  ].join('\n'),
};

test('with only general models on the host, the review targets the Express handler and answers with the largest one', async (t) => {
  const general = [
    { name: 'llama3.1:8b', sizeBytes: 4_920_753_328, parameterSize: '8.0B', family: 'llama' },
    { name: 'qwen3:4b', sizeBytes: 2_497_293_918, parameterSize: '4.0B', family: 'qwen3' },
  ];
  const peer = new OllamaPeer({
    models: general,
    reply: (prompt) =>
      JSON.stringify({
        confidence: 0.9,
        findings: /\s14\s+ {3}res\.send\(stdout\)/.test(prompt)
          ? [
              {
                line: 13,
                severity: 'critical',
                category: 'security',
                cwe: 'CWE-78',
                title: 'Command injection',
                explanation: 'req.query.host is passed to a shell',
              },
              {
                line: 14,
                severity: 'medium',
                category: 'bug',
                title: 'The ping error is ignored',
                explanation: 'when ping fails, err is dropped and the client gets an empty 200 answer',
              },
            ]
          : [],
      }),
  });
  await peer.start();
  t.after(() => peer.stop());
  const suite = await testSuite(t, { files: tinyApp, env: { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}` } });
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('analyzeAndImproveCode', { task: 'comprehensive', aiReview: 1 });
  assert.equal(result.isError, false, result.text);
  const report = result.structuredContent as {
    findings: { rule: string; line: number; category: string; message: string }[];
    aiReview: { status: string; reason: string; reviewed: number; models: string[]; duplicatesOfStatic: number };
    execution: {
      llm: { model: string; host?: string; substitution?: { tier: string; wanted: string; reason: string } }[];
    };
  };
  assert.equal(report.aiReview.status, 'done', report.aiReview.reason);
  assert.deepEqual([report.aiReview.reviewed, report.aiReview.models], [1, ['llama3.1:8b']]);
  assert.match(
    report.aiReview.reason,
    /llama3\.1:8b answered in place of qwen3-coder:30b \(no host has qwen3-coder:30b;/,
  );
  const chats = peer.requests.filter((r) => r.path === '/api/chat');
  assert.equal(chats.length, 1);
  assert.match(
    JSON.stringify(chats[0]!.body),
    /Function: app\.get callback \(lines 12-16\)/,
    'the handler was the target',
  );
  assert.equal((chats[0]!.body as { model: string }).model, 'llama3.1:8b');
  assert.ok(
    report.findings.some((f) => f.rule === 'command-injection' && f.line === 13),
    'the static finding stays',
  );
  assert.equal(report.aiReview.duplicatesOfStatic, 1, 'the AI command injection repeats the static one');
  const ai = report.findings.filter((f) => f.category === 'ai-review');
  assert.deepEqual(
    ai.map((f) => `${f.line}:${f.rule}`),
    ['14:ai-bug'],
  );
  assert.deepEqual(report.execution.llm, [
    {
      ...report.execution.llm[0],
      model: 'llama3.1:8b',
      host: 'gpu1',
      substitution: {
        tier: 'code',
        wanted: 'qwen3-coder:30b',
        reason: 'no host has qwen3-coder:30b; no coder model on a healthy host; the largest general model',
      },
    },
  ]);
});
