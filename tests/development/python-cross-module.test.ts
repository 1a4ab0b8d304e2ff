// Python taint across modules: request input read in a view reaches a sink in another module
// through every import form (from-import, aliased, module alias, `from . import`, plain dotted
// import, re-export through __init__.py), through methods of imported classes and through helper
// return values. The finding sits at the sink line; its trace starts at the request line in the
// view. Sanitised twins (int(), os.path.basename, shlex.quote, parameterised SQL, typed FastAPI
// parameters) are not reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import ts from 'typescript';
import { analyzeProject } from '../../tools/development/analysis/project-analysis.js';
import { securityFindings } from '../../tools/development/analysis/findings.js';
import type { Finding } from '../../tools/development/security/finding.js';
import { tempDir, writeTree } from '../helpers.js';

const lines = (...text: string[]) => `${text.join('\n')}\n`;

const files: Record<string, string> = {
  'app/__init__.py': lines('from .dao import by_reexport', '__all__ = ["by_reexport"]'),
  'app/dao.py': lines(
    'import os', // 1
    'import shlex', // 2
    'import sqlite3', // 3
    '', // 4
    'def cursor():', // 5
    '    return sqlite3.connect("x.db").cursor()', // 6
    '', // 7
    'def by_relative(sql):', // 8
    '    cursor().execute(sql)', // 9
    '', // 10
    'def by_alias(sql):', // 11
    '    cursor().execute(sql)', // 12
    '', // 13
    'def by_module(sql):', // 14
    '    cursor().execute(sql)', // 15
    '', // 16
    'def by_package(sql):', // 17
    '    cursor().execute(sql)', // 18
    '', // 19
    'def by_dotted(sql):', // 20
    '    cursor().execute(sql)', // 21
    '', // 22
    'def by_reexport(sql):', // 23
    '    cursor().execute(sql)', // 24
    '', // 25
    'def by_id(user_id):', // 26
    '    cursor().execute("SELECT * FROM users WHERE id = ?", (user_id,))', // 27
    '', // 28
    'def read(name):', // 29
    '    with open(os.path.join("/srv", name)) as handle:', // 30
    '        return handle.read()', // 31
    '', // 32
    'def read_base(name):', // 33
    '    with open(os.path.join("/srv", os.path.basename(name))) as handle:', // 34
    '        return handle.read()', // 35
    '', // 36
    'def ping(host):', // 37
    '    os.system("ping -c 1 " + shlex.quote(host))', // 38
    '', // 39
    'class UserDao:', // 40
    '    def __init__(self):', // 41
    '        self.cur = cursor()', // 42
    '', // 43
    '    def find(self, where):', // 44
    '        return self._run("SELECT * FROM users WHERE " + where)', // 45
    '', // 46
    '    def _run(self, sql):', // 47
    '        self.cur.execute(sql)', // 48
    '        return self.cur.fetchall()', // 49
    '', // 50
    '    def count(self, sql):', // 51
    '        self.cur.execute(sql)', // 52
    '', // 53
    '    def remove(self, where):', // 54
    '        self.cur.execute("DELETE FROM users WHERE " + where)', // 55
  ),
  'app/helpers.py': lines(
    'def trim(value):', // 1
    '    return value.strip()[:40]', // 2
    '', // 3
    'def as_number(value):', // 4
    '    return int(value)', // 5
  ),
  'app/views.py': lines(
    'from flask import request', // 1
    'import app.dao', // 2
    'import app.dao as dao', // 3
    'from app import by_reexport', // 4
    'from app.dao import by_alias as lookup', // 5
    'from . import dao as pkg_dao', // 6
    'from . import helpers', // 7
    'from .dao import UserDao, by_relative', // 8
    '', // 9
    'def relative():', // 10
    '    by_relative("SELECT 1 WHERE a = " + request.args["a"])', // 11
    '', // 12
    'def aliased():', // 13
    '    lookup("SELECT 1 WHERE b = " + request.form["b"])', // 14
    '', // 15
    'def module_alias():', // 16
    '    value = request.values.get("c")', // 17
    '    dao.by_module(f"SELECT 1 WHERE c = {value}")', // 18
    '', // 19
    'def package_import():', // 20
    '    pkg_dao.by_package("SELECT 1 WHERE d = %s" % request.cookies["d"])', // 21
    '', // 22
    'def dotted():', // 23
    '    app.dao.by_dotted("SELECT 1 WHERE e = " + request.headers["e"])', // 24
    '', // 25
    'def reexport():', // 26
    '    by_reexport("SELECT 1 WHERE f = " + request.json["f"])', // 27
    '', // 28
    'def methods():', // 29
    '    UserDao().find(request.args["where"])', // 30
    '    users = UserDao()', // 31
    '    users.count("SELECT count(*) FROM t WHERE n = %d" % int(request.args["n"]))', // 32
    '    users.remove(request.args["gone"])', // 33
    'def through_helper():', // 34
    '    name = helpers.trim(request.args["name"])', // 35
    '    dao.read(name)', // 36
    '    dao.read(helpers.as_number(request.args["page"]))', // 37
    '    dao.read_base(request.args["file"])', // 38
    '    dao.ping(request.args["host"])', // 39
    '    dao.by_id(request.args["id"])', // 40
  ),
  'app/django_views.py': lines(
    'from .dao import read', // 1
    '', // 2
    'def download(request):', // 3
    '    return read(request.GET["path"])', // 4
  ),
  'app/api.py': lines(
    'from fastapi import FastAPI', // 1
    'from app import dao', // 2
    'api = FastAPI()', // 3
    '', // 4
    '@api.get("/read/{name}")', // 5
    'def read_file(name: str):', // 6
    '    return dao.read(name)', // 7
    '', // 8
    '@api.get("/by-id/{user_id}")', // 9
    'def read_id(user_id: int):', // 10
    '    return dao.by_dotted("SELECT * FROM t WHERE id = %d" % user_id)', // 11
  ),
};

async function findings(t: { after(fn: () => Promise<void> | void): void }): Promise<Finding[]> {
  const root = path.join(await tempDir(t), 'project');
  await writeTree(root, files);
  const project = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '..', 'data'),
    signal: new AbortController().signal,
    cache: false,
  });
  return securityFindings(project, { dependencyMajors: new Map() });
}

const route = (f: Finding) => (f.trace ?? []).map((s) => `${s.file}:${s.line}`).join(' > ');

test('each import form links a view to the sink in the DAO, with a trace from the request line', async (t) => {
  const all = await findings(t);
  const at = (file: string, line: number) => all.filter((f) => f.file === file && f.line === line);
  const expect = (line: number, trace: string) => {
    const found = at('app/dao.py', line);
    assert.equal(found.length, 1, `app/dao.py:${line}: ${JSON.stringify(found)}`);
    assert.equal(found[0]!.cwe, 'CWE-89');
    assert.equal(found[0]!.confidence, 'high');
    assert.equal(route(found[0]!), trace);
    assert.match(found[0]!.trace![0]!.note, /source: request\./);
  };
  expect(9, 'app/views.py:11 > app/views.py:11 > app/dao.py:9'); // from .dao import f
  expect(12, 'app/views.py:14 > app/views.py:14 > app/dao.py:12'); // from app.dao import f as g
  expect(15, 'app/views.py:17 > app/views.py:18 > app/dao.py:15'); // import app.dao as dao
  expect(18, 'app/views.py:21 > app/views.py:21 > app/dao.py:18'); // from . import dao as pkg_dao
  expect(21, 'app/views.py:24 > app/views.py:24 > app/dao.py:21'); // import app.dao; app.dao.f()
  expect(24, 'app/views.py:27 > app/views.py:27 > app/dao.py:24'); // from app import f (re-export)
  assert.match(at('app/dao.py', 15)[0]!.message, /request\.values.*app\/views\.py:17.*dao\.by_module\(\)/);
});

test('methods of imported classes: Cls().m() and obj = Cls(); obj.m(), through self calls', async (t) => {
  const all = await findings(t);
  const run = all.filter((f) => f.file === 'app/dao.py' && f.line === 48);
  assert.equal(run.length, 1);
  assert.equal(route(run[0]!), 'app/views.py:30 > app/views.py:30 > app/dao.py:45 > app/dao.py:48');
  const remove = all.filter((f) => f.file === 'app/dao.py' && f.line === 55);
  assert.equal(remove.length, 1);
  assert.equal(remove[0]!.confidence, 'high');
  assert.equal(route(remove[0]!), 'app/views.py:33 > app/views.py:33 > app/dao.py:55');
  assert.deepEqual(
    all.filter((f) => f.file === 'app/dao.py' && f.line === 52),
    [],
    'int() at the call site cleans the value passed to users.count()',
  );
});

test('return values of helper modules carry input; sanitising helpers and sanitisers stop it', async (t) => {
  const all = await findings(t);
  const read = all.filter((f) => f.file === 'app/dao.py' && f.line === 30);
  assert.equal(read.length, 1, JSON.stringify(read));
  assert.equal(read[0]!.cwe, 'CWE-22');
  // Several sources reach the same sink: one finding stays per line and CWE.
  const traces = new Set(
    (await findings(t)).filter((f) => f.line === 30 && f.file === 'app/dao.py').map((f) => f.trace?.[0]?.file),
  );
  assert.equal(traces.size, 1);
  const sources = all.filter((f) => f.trace?.[0]?.file === 'app/views.py' && f.trace[0].line === 37);
  assert.deepEqual(sources, [], 'helpers.as_number() returns int(value): no flow from line 37');
  assert.deepEqual(
    all.filter((f) => f.file === 'app/dao.py' && f.line === 34),
    [],
    'os.path.basename cleans',
  );
  assert.deepEqual(
    all.filter((f) => f.file === 'app/dao.py' && f.line === 27),
    [],
    'parameterised query',
  );
  const ping = all.filter((f) => f.file === 'app/dao.py' && f.line === 38);
  assert.ok(
    ping.every((f) => !f.trace && f.confidence !== 'high'),
    `shlex.quote: no traced flow into os.system (${JSON.stringify(ping)})`,
  );
});

test('the helper return flow is traced through the helper call', async (t) => {
  const root = path.join(await tempDir(t), 'project');
  const only = Object.fromEntries(Object.entries(files).filter(([name]) => !/django_views|api\.py/.test(name)));
  await writeTree(root, only);
  const project = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '..', 'data'),
    signal: new AbortController().signal,
    cache: false,
  });
  const read = securityFindings(project, { dependencyMajors: new Map() }).filter(
    (f) => f.file === 'app/dao.py' && f.line === 30,
  );
  assert.equal(read.length, 1);
  assert.equal(route(read[0]!), 'app/views.py:35 > app/views.py:35 > app/views.py:36 > app/dao.py:30');
  assert.deepEqual(
    read[0]!.trace!.map((s) => s.note.split(':')[0]),
    ['source', 'returned by helpers.trim()', 'passed to dao.read()', 'sink'],
  );
});

test('Django request.GET and FastAPI route parameters are sources; an int-typed parameter is not', async (t) => {
  const root = path.join(await tempDir(t), 'project');
  await writeTree(root, {
    ...files,
    'app/views.py': lines('def unused():', '    return 1'),
  });
  const project = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '..', 'data'),
    signal: new AbortController().signal,
    cache: false,
  });
  const all = securityFindings(project, { dependencyMajors: new Map() });
  const read = all.filter((f) => f.file === 'app/dao.py' && f.line === 30);
  assert.equal(read.length, 1);
  assert.ok(
    ['app/django_views.py:4', 'app/api.py:6'].includes(`${read[0]!.trace![0]!.file}:${read[0]!.trace![0]!.line}`),
    route(read[0]!),
  );
  assert.deepEqual(
    all.filter((f) => f.file === 'app/dao.py' && f.line === 21),
    [],
    'user_id: int is validated by FastAPI',
  );
  // Without the Django view, the FastAPI parameter alone is the source.
  await writeTree(root, { 'app/django_views.py': lines('def nothing():', '    return 0') });
  const again = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '..', 'data'),
    signal: new AbortController().signal,
    cache: false,
  });
  const fastapi = securityFindings(again, { dependencyMajors: new Map() }).filter(
    (f) => f.file === 'app/dao.py' && f.line === 30,
  );
  assert.equal(route(fastapi[0]!), 'app/api.py:6 > app/api.py:7 > app/dao.py:30');
  assert.match(fastapi[0]!.message, /name \(a parameter of the read_file route\)/);
});

test('a getter in another module that returns request input is a source where its result is used', async (t) => {
  const root = path.join(await tempDir(t), 'project');
  await writeTree(root, {
    'web/params.py': lines(
      'from flask import request', // 1
      '', // 2
      'def wanted_url():', // 3
      '    return request.args.get("url", "")', // 4
      '', // 5
      'def wanted_port():', // 6
      '    return int(request.args.get("port", "80"))', // 7
    ),
    'web/views.py': lines(
      'import requests', // 1
      'from web.params import wanted_port, wanted_url', // 2
      '', // 3
      'def proxy():', // 4
      '    url = wanted_url()', // 5
      '    return requests.get(url, timeout=5).text', // 6
      '', // 7
      'def port():', // 8
      '    return requests.get("https://x.example/%d" % wanted_port(), timeout=5).text', // 9
    ),
  });
  const project = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '..', 'data'),
    signal: new AbortController().signal,
    cache: false,
  });
  const all = securityFindings(project, { dependencyMajors: new Map() });
  assert.deepEqual(
    all.map((f) => `${f.file}:${f.line}:${f.cwe}`),
    ['web/views.py:6:CWE-918'],
  );
  assert.equal(route(all[0]!), 'web/params.py:4 > web/views.py:5 > web/views.py:6');
});
