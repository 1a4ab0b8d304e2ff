// The sources, sinks and guards added for issue 16 (zip slip, javascript: URLs, log injection,
// inline template scripts, data exposure), on snippets where the vulnerable-app fixture does not
// pin the behaviour: which checks count as guards, and what stays quiet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ts from 'typescript';
import { TaintEngine } from '../../tools/development/security/taint-engine.js';
import { checkExposure } from '../../tools/development/security/exposure-rules.js';
import { checkInlineScripts } from '../../tools/development/security/inline-scripts.js';
import { parseScript } from '../../tools/development/cyclomatic.js';

const taint = (code: string) =>
  new TaintEngine(ts, parseScript(ts, 'snippet.js', code)).run().hits.map((h) => `${h.line}:${h.cls}`);
const exposure = (code: string) =>
  checkExposure(ts, parseScript(ts, 'snippet.js', code), { isTestFile: false }).map((h) => `${h.line}:${h.cwe}`);

test('a containment check guards a path only when it compares with a computed base', () => {
  const handler = (check: string) => `app.get('/f', (req, res) => {
    const p = path.resolve(root, req.query.name);
    ${check}
    fs.readFile(p, () => {});
  });`;
  assert.deepEqual(taint(handler('if (!p.startsWith(root + path.sep)) return res.status(400).end();')), []);
  // A literal prefix is no containment check: "/srv/../etc" starts with "/srv".
  assert.deepEqual(taint(handler("if (!p.startsWith('/srv')) return;")), ['4:path']);
  // A check that does not leave on failure guards nothing after it.
  assert.deepEqual(taint(handler('if (!p.startsWith(root)) console.warn("outside");')), ['4:path']);
});

test('a protocol allow-list guards a URL inside the branch that passed it, not after', () => {
  const hits = taint(`const u = new URL(location.hash.slice(1));
    if (u.protocol === 'https:') link.href = u.href;
    link.href = u.href;`);
  assert.deepEqual(hits, ['3:url']);
});

test('archive entries are sources for unzipper and tar-stream, not for yauzl, which validates names', () => {
  assert.deepEqual(
    taint(`stream.pipe(unzipper.Parse()).on('entry', (e) => fs.createWriteStream(path.join(dir, e.path)));`),
    ['1:path'],
  );
  assert.deepEqual(taint(`zipfile.on('entry', (e) => fs.createWriteStream(path.join(dir, e.fileName)));`), []);
  // A directory listing's entries are not archive entries.
  assert.deepEqual(taint(`fs.readdirSync(dir).forEach((e) => fs.statSync(path.join(dir, e)));`), []);
});

test('log injection needs a string from the request; objects and stripped values are safe', () => {
  const handler = (line: string) => `app.get('/s', (req, res) => { ${line} });`;
  assert.deepEqual(taint(handler("console.log('q=' + req.query.q);")), ['1:log']);
  assert.deepEqual(taint(handler('console.log(req.query);')), []);
  assert.deepEqual(taint(handler('logger.info({ q: req.query.q });')), []);
  assert.deepEqual(taint(handler("console.log('q=' + req.query.q.replace(/[\\r\\n]/g, ''));")), []);
  assert.deepEqual(taint(handler("console.log('agent ' + req.headers['user-agent']);")), []);
});

test('escaped template output in an inline script is text for innerHTML but code for eval and URLs', () => {
  const page = `<p>hi</p>
<script>
  var name = "<%= name %>";
  document.body.innerHTML = name;
  eval(name);
  location.href = name;
</script>`;
  const hits = checkInlineScripts(ts, '.ejs', page).map((h) => `${h.line}:${h.rule}`);
  assert.deepEqual(hits.sort(), ['5:code-injection', '6:open-redirect', '6:xss-url']);
  assert.deepEqual(checkInlineScripts(ts, '.ejs', '<script type="text/template"><%- x %>.innerHTML</script>'), []);
});

test('data exposure stays quiet on projections, removed fields, tokens and local URLs', () => {
  assert.deepEqual(
    exposure(`async function h(req, res) {
      const user = await User.findById(req.user.id);
      if (!(await bcrypt.compare(req.body.password, user.password))) return res.status(401).end();
      delete user.password;
      res.json(user);
    }`),
    [],
  );
  assert.deepEqual(exposure(`res.json({ token: jwt.sign({ sub: id }, key), user: { id } });`), []);
  assert.deepEqual(exposure(`fetch('http://localhost:3000/x'); axios.get('http://api:8080/y');`), []);
  assert.deepEqual(exposure(`console.log('password changed for', user.id);`), []);
  assert.deepEqual(exposure(`console.log('password changed', user.password);`), ['1:CWE-532']);
});
