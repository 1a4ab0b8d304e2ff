// The AI review pass through the real pool and the official ollama client, against a loopback
// Ollama peer that answers with a scripted review: findings inside the function shown are kept,
// lines outside it and repeats of static findings are dropped, and with no backend the report
// says the pass was skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { connectClient, testSuite, textOf } from '../helpers.js';

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

// A flaw no static rule can see: the coupon is taken off the whole cart, then again off the
// matching item (line 10). The same project has an SQL injection the static analysis reports.
const shopFiles = {
  'package.json': JSON.stringify({ name: 'shop', dependencies: { express: '^4.18.0' } }),
  'src/cart.js': [
    "const express = require('express');", // 1
    "const db = require('./db');", // 2
    'const router = express.Router();', // 3
    '', // 4
    'function checkout(cart, coupon) {', // 5
    '  let total = 0;', // 6
    '  for (const item of cart.items) total += item.price * item.qty;', // 7
    '  if (coupon) total -= (total * coupon.percent) / 100;', // 8
    '  for (const item of cart.items) {', // 9
    '    if (coupon && coupon.sku === item.sku) total -= (item.price * item.qty * coupon.percent) / 100;', // 10
    '  }', // 11
    '  return total;', // 12
    '}', // 13
    '', // 14
    "router.post('/checkout', async (req, res) => {", // 15
    '  const cart = await db.query("SELECT * FROM carts WHERE id = \'" + req.body.cart + "\'");', // 16
    '  res.json({ total: checkout(cart, req.body.coupon) });', // 17
    '});', // 18
    'module.exports = router;', // 19
    '',
  ].join('\n'),
  'src/db.js': 'module.exports = { query: async () => ({ items: [] }) };\n',
};

function shopReview(prompt: string, garbleHandler = false): string {
  if (/Function: checkout /.test(prompt))
    return JSON.stringify({
      confidence: 0.92,
      findings: [
        {
          line: 10,
          severity: 'high',
          category: 'security',
          cwe: 'CWE-840',
          title: 'Coupon discount applied twice',
          explanation:
            'line 8 already took the coupon off the whole cart; line 10 takes it off the matching item again',
          fix: 'Apply the coupon once: either to the cart total or to the matching items.',
        },
        {
          line: 12,
          severity: 'medium',
          category: 'bug',
          title: 'The total can go negative',
          explanation: 'with a coupon of 60% the two discounts exceed the subtotal',
        },
        { line: 2, severity: 'high', category: 'bug', title: 'Made-up line', explanation: 'not in the code shown' },
      ],
    });
  if (/Function: router\.post callback/.test(prompt))
    return garbleHandler
      ? '{"findings": [{"line": "sixteen", "severity": "urgent"}]'
      : JSON.stringify({
          confidence: 0.9,
          findings: [
            {
              line: 16,
              severity: 'critical',
              category: 'security',
              cwe: 'CWE-89',
              title: 'SQL injection',
              explanation: 'req.body.cart is concatenated into the query',
            },
          ],
        });
  return JSON.stringify({ confidence: 0.9, findings: [] });
}

interface ShopReport {
  findings: {
    id: string;
    rule: string;
    line: number;
    file: string;
    category: string;
    cwe?: string;
    confidence: string;
    message: string;
    ai?: { model: string; confidence: number; role: string };
  }[];
  aiReview: {
    status: string;
    reason: string;
    duplicatesOfStatic?: number;
    models?: string[];
    rejected?: { file: string; line: number; reason: string }[];
  };
  notes: string[];
}

async function shopClient(t: { after(fn: () => Promise<void> | void): void }, garbleHandler = false) {
  const peer = new OllamaPeer({
    models,
    resident: ['qwen3-coder:30b'],
    reply: (prompt) => shopReview(prompt, garbleHandler),
  });
  await peer.start();
  t.after(() => peer.stop());
  const suite = await testSuite(t, { files: shopFiles, env: { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}` } });
  t.after(() => suite.close());
  const client = await connectClient(t, suite);
  const call = async (args: Record<string, unknown>) => {
    const result = await client.callTool({ name: 'analyzeAndImproveCode', arguments: args });
    assert.notEqual(result.isError, true, textOf(result));
    return { report: result.structuredContent as unknown as ShopReport, text: textOf(result) };
  };
  return { call, peer };
}

test('over MCP, the AI review adds a business-logic flaw static analysis misses, merges a repeat of a static finding and reports a made-up line', async (t) => {
  const { call } = await shopClient(t);
  const { report: staticOnly } = await call({ task: 'comprehensive', aiReview: 0 });
  assert.deepEqual(
    staticOnly.findings.filter((f) => f.file === 'src/cart.js' && f.line === 10),
    [],
    'no static rule sees the double discount',
  );
  assert.ok(staticOnly.findings.some((f) => f.rule === 'sql-injection' && f.line === 16));

  const { report, text } = await call({ task: 'comprehensive', aiReview: 8 });
  assert.equal(report.aiReview.status, 'done', report.aiReview.reason);
  const discount = report.findings.filter((f) => f.file === 'src/cart.js' && f.line === 10);
  assert.equal(discount.length, 1, JSON.stringify(discount));
  assert.deepEqual(
    {
      category: discount[0]!.category,
      rule: discount[0]!.rule,
      cwe: discount[0]!.cwe,
      confidence: discount[0]!.confidence,
      ai: discount[0]!.ai,
    },
    {
      category: 'ai-review',
      rule: 'ai-security',
      cwe: 'CWE-840',
      confidence: 'high',
      ai: { model: 'qwen3-coder:30b', confidence: 0.92, role: 'found' },
    },
  );
  assert.match(discount[0]!.message, /Coupon discount applied twice.*qwen3-coder:30b/);
  // The repeat of the static SQL injection is merged into it, not added.
  const sql = report.findings.filter((f) => f.file === 'src/cart.js' && f.line === 16);
  assert.equal(sql.length, 1, JSON.stringify(sql));
  assert.equal(sql[0]!.rule, 'sql-injection');
  assert.deepEqual(sql[0]!.ai, { model: 'qwen3-coder:30b', confidence: 0.9, role: 'confirmed' });
  assert.equal(report.aiReview.duplicatesOfStatic, 1);
  // The finding at a line outside the function shown is rejected, and the report says so.
  assert.deepEqual(
    report.aiReview.rejected?.map((r) => `${r.file}:${r.line}`),
    ['src/cart.js:2'],
  );
  assert.match(report.aiReview.rejected![0]!.reason, /Made-up line.*outside the code shown \(checkout, lines 5-13\)/);
  assert.match(text, /1 rejected: src\/cart\.js:2/);
  assert.ok(report.findings.some((f) => f.line === 12 && f.rule === 'ai-bug'));

  // security_scan keeps the AI security finding and says that the AI bug finding was left out.
  const { report: scan } = await call({ task: 'security_scan', aiReview: 8 });
  assert.ok(scan.findings.some((f) => f.line === 10 && f.rule === 'ai-security'));
  assert.ok(!scan.findings.some((f) => f.rule === 'ai-bug'));
  assert.ok(
    scan.notes.some((n) => /^1 AI review finding\(s\) that are not security issues/.test(n)),
    JSON.stringify(scan.notes),
  );
});

test('over MCP, a garbled review is rejected and reported while the valid one is kept', async (t) => {
  const { call } = await shopClient(t, true);
  const { report } = await call({ task: 'comprehensive', aiReview: 8 });
  assert.equal(report.aiReview.status, 'partial', report.aiReview.reason);
  const garbled = report.aiReview.rejected?.find((r) => r.line === 15);
  assert.ok(garbled, JSON.stringify(report.aiReview));
  assert.match(garbled.reason, /review of router\.post callback was rejected: \S/);
  assert.ok(report.findings.some((f) => f.line === 10 && f.rule === 'ai-security'));
  const sql = report.findings.filter((f) => f.line === 16);
  assert.equal(sql.length, 1);
  assert.equal(sql[0]!.ai, undefined, 'nothing confirmed it');
});
