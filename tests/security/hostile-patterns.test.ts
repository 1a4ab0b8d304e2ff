// Source and template text written to make the pattern checks backtrack: each file is analysed in
// well under a second (each used to take from seconds to minutes), and the checks still find what
// they are for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ts from 'typescript';
import { analyzeScript, analyzeTemplate } from '../../tools/development/analysis/file-analysis.js';
import { handlerFacts } from '../../tools/development/security/guard-shapes.js';

const budgetMs = 1_000;

function timed<T>(what: string, run: () => T): T {
  const start = performance.now();
  const value = run();
  const elapsed = performance.now() - start;
  assert.ok(elapsed < budgetMs, `${what} took ${elapsed.toFixed(0)} ms`);
  return value;
}

test('a reset handler with a quote and a run of backslashes in a comment, and a long method name', () => {
  const code = [
    "app.post('/reset-password', async (req, res) => {",
    `  // don't \\${'\\'.repeat(60)}`,
    `  x.${'verifyToken'.repeat(4_000)};`,
    '  const user = await User.findOne({ resetToken: req.body.token });',
    "  res.send('ok');",
    '});',
  ].join('\n');
  timed('the reset handler', () => analyzeScript(ts, 'src/reset.js', code));
});

test('a long identifier in a missing-record check and in a secret fallback', () => {
  const code = [
    "app.post('/login', async (req, res) => {",
    `  if (${'row'.repeat(100_000)} === 1) return res.send('no');`,
    `  const k = process.env.${'KEY'.repeat(100_000)}[0] || 'fallback';`,
    '  const user = await User.findOne({ email: req.body.email });',
    "  if (!user) return res.status(401).send('unknown user');",
    '  await bcrypt.compare(req.body.password, user.hash);',
    '});',
  ].join('\n');
  timed('the login handler', () => analyzeScript(ts, 'src/login.js', code));
});

test('a long chain of response calls before send', () => {
  const chain = `res${'.set(a)'.repeat(40)}.x`;
  const code = `app.get('/a', (req, res) => { ${chain}.send(err.stack); res.status(code(err)).send(err.stack); });\n`;
  const analysis = timed('the chain', () => analyzeScript(ts, 'src/chain.js', code));
  assert.ok(
    analysis.patternHits.some((f) => f.rule === 'stack-trace-exposure'),
    'res.status(code(err)).send(err.stack) is still found',
  );
});

test('a role assignment followed by a long run without the request', () => {
  timed('spaces', () => handlerFacts(`role:${' '.repeat(200_000)}`));
  timed('repeated keys', () => handlerFacts('role:'.repeat(100_000)));
  assert.equal(handlerFacts('User.update({ role: req.body.role })').adminAction, true);
});

test('templates with tags that never close', () => {
  const hostile = [
    '<script ' + '<%'.repeat(50_000),
    '<script>'.repeat(50_000),
    '<script>' + '<%'.repeat(100_000) + '</script>',
    '<script>' + '{{'.repeat(100_000) + '<'.repeat(100_000) + '</script>',
    '<form '.repeat(50_000),
    '<a href=<%='.repeat(20_000),
    '<a href=<%=' + ' '.repeat(200_000),
    '<a href={{' + ' '.repeat(200_000),
    '<script>eval(1)</script>\n'.repeat(20_000),
    '<%-'.repeat(50_000),
    '{{{'.repeat(50_000),
    '{{&'.repeat(50_000),
    '{{ a '.repeat(50_000),
    '<%- ' + ' '.repeat(200_000),
  ];
  for (const [index, text] of hostile.entries())
    timed(`template ${index}`, () => analyzeTemplate('views/a.ejs', text, ts));
  timed('pug blank lines', () => analyzeTemplate('views/a.pug', '\n'.repeat(200_000) + '('.repeat(1000), ts));
  timed('pug open parentheses', () => analyzeTemplate('views/a.pug', '(\n'.repeat(100_000), ts));
  timed('pug unclosed !{', () => analyzeTemplate('views/a.pug', '!{'.repeat(100_000), ts));
  timed('velocity unclosed $!{', () => analyzeTemplate('views/a.vm', '$!{'.repeat(100_000), ts));
});

test('the template checks still find their flaws', () => {
  const ejs = [
    '<a class="<%= c %>" href="<%= user.website %>">me</a>',
    '<form action="http://login.evil.io/login"></form>',
    '<script>',
    '  document.getElementById("x").innerHTML = "<%- name %>";',
    '</script>',
  ].join('\n');
  const rules = analyzeTemplate('views/a.ejs', ejs, ts).patternHits.map((f) => `${f.rule}:${f.line}`);
  for (const expected of ['xss-url:1', 'cleartext-transport:2']) assert.ok(rules.includes(expected), rules.join(' '));
  assert.ok(
    rules.some((r) => r.startsWith('xss') && r.endsWith(':4')),
    `the inline script's sink is found at its template line: ${rules.join(' ')}`,
  );
});
