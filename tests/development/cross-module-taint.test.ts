// Taint across modules: for each common export/import form, a two-file project (a DAO holding a
// SQL sink, a route passing request input to it) must give the SQL injection at the sink with a
// trace from the route; the same project with the route sanitising the input must give nothing.
// Also: helper return values, collections held in variables, second-order eval, vm context input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import ts from 'typescript';
import { analyzeProject } from '../../tools/development/analysis/project-analysis.js';
import { securityFindings } from '../../tools/development/analysis/findings.js';
import type { Finding } from '../../tools/development/security/finding.js';
import { tempDir, writeTree } from '../helpers.js';

type Context = { after(fn: () => Promise<void> | void): void };

async function findingsOf(t: Context, files: Record<string, string>): Promise<Finding[]> {
  const root = path.join(await tempDir(t), 'app');
  await writeTree(root, files);
  const project = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '..', 'data'),
    signal: new AbortController().signal,
    cache: false,
  });
  return securityFindings(project, { dependencyMajors: new Map() });
}

const sqlLine = "  return conn.query('SELECT * FROM users WHERE name = \\'' + name + '\\'');";
const head = "const conn = require('./conn');\n";
const esmHead = "import conn from './conn.js';\n";
const conn = { 'conn.js': "module.exports = require('mysql').createConnection({});\n" };

interface Form {
  name: string;
  dao: Record<string, string>;
  /** The route, with INPUT where the request value goes. */
  route: string;
  routeFile?: string;
}

const forms: Form[] = [
  {
    name: 'module.exports = { f }',
    dao: { 'dao.js': `${head}function findUser(name) {\n${sqlLine}\n}\nmodule.exports = { findUser };\n` },
    route: "const dao = require('./dao');\nmodule.exports = (req, res) => dao.findUser(INPUT);\n",
  },
  {
    name: 'module.exports = { alias: f }',
    dao: { 'dao.js': `${head}function lookup(name) {\n${sqlLine}\n}\nmodule.exports = { findUser: lookup };\n` },
    route: "const dao = require('./dao');\nmodule.exports = (req, res) => dao.findUser(INPUT);\n",
  },
  {
    name: 'module.exports.f = arrow',
    dao: { 'dao.js': `${head}module.exports.findUser = (name) => {\n${sqlLine}\n};\n` },
    route: "const users = require('./dao');\nmodule.exports = (req, res) => users.findUser(INPUT);\n",
  },
  {
    name: 'exports.f = function',
    dao: { 'dao.js': `${head}exports.findUser = function (name) {\n${sqlLine}\n};\n` },
    route: "const dao = require('./dao.js');\nmodule.exports = (req, res) => dao.findUser(INPUT);\n",
  },
  {
    name: 'module.exports = function f',
    dao: { 'dao.js': `${head}module.exports = function findUser(name) {\n${sqlLine}\n};\n` },
    route: "const lookup = require('./dao');\nmodule.exports = (req, res) => lookup(INPUT);\n",
  },
  {
    name: 'module.exports = anonymous function',
    dao: { 'dao.js': `${head}module.exports = function (name) {\n${sqlLine}\n};\n` },
    route: "const lookup = require('./dao');\nmodule.exports = (req, res) => lookup(INPUT);\n",
  },
  {
    name: 'module.exports = class, then new',
    dao: {
      'dao.js': `${head}module.exports = class UserDao {\n  find(name) {\n  ${sqlLine}\n  }\n};\n`,
    },
    route:
      "const UserDao = require('./dao');\nconst dao = new UserDao();\nmodule.exports = (req, res) => dao.find(INPUT);\n",
  },
  {
    name: 'module.exports = new Service()',
    dao: {
      'dao.js': `${head}class UserService {\n  lookup(name) {\n  ${sqlLine}\n  }\n}\nmodule.exports = new UserService();\n`,
    },
    route: "const users = require('./dao');\nmodule.exports = (req, res) => users.lookup(INPUT);\n",
  },
  {
    name: 'a factory module: require(./dao)(conn)',
    dao: {
      'dao.js': `module.exports = (conn) => ({\n  findUser(name) {\n  ${sqlLine}\n  },\n});\n`,
    },
    route: "const dao = require('./dao')(require('./conn'));\nmodule.exports = (req, res) => dao.findUser(INPUT);\n",
  },
  {
    name: 'destructured require with alias',
    dao: { 'dao.js': `${head}module.exports.findUser = (name) => {\n${sqlLine}\n};\n` },
    route: "const { findUser: lookup } = require('./dao');\nmodule.exports = (req, res) => lookup(INPUT);\n",
  },
  {
    name: "require('./x').f(...)",
    dao: { 'dao.js': `${head}exports.findUser = (name) => {\n${sqlLine}\n};\n` },
    route: "module.exports = (req, res) => require('./dao').findUser(INPUT);\n",
  },
  {
    name: 'ESM export function + named import with alias',
    dao: { 'dao.mjs': `${esmHead}export function findUser(name) {\n${sqlLine}\n}\n` },
    route: "import { findUser as lookup } from './dao.mjs';\nexport default (req, res) => lookup(INPUT);\n",
    routeFile: 'route.mjs',
  },
  {
    name: 'ESM export const arrow + import * as ns',
    dao: { 'dao.mjs': `${esmHead}export const findUser = (name) => {\n${sqlLine}\n};\n` },
    route: "import * as dao from './dao.mjs';\nexport default (req, res) => dao.findUser(INPUT);\n",
    routeFile: 'route.mjs',
  },
  {
    name: 'ESM export default function + default import',
    dao: { 'dao.mjs': `${esmHead}export default function (name) {\n${sqlLine}\n}\n` },
    route: "import lookup from './dao.mjs';\nexport default (req, res) => lookup(INPUT);\n",
    routeFile: 'route.mjs',
  },
  {
    name: 'ESM export { a as b }',
    dao: { 'dao.mjs': `${esmHead}function lookup(name) {\n${sqlLine}\n}\nexport { lookup as findUser };\n` },
    route: "import { findUser } from './dao.mjs';\nexport default (req, res) => findUser(INPUT);\n",
    routeFile: 'route.mjs',
  },
  {
    name: 'ESM export default { f } + default import',
    dao: { 'dao.mjs': `${esmHead}function findUser(name) {\n${sqlLine}\n}\nexport default { findUser };\n` },
    route: "import dao from './dao.mjs';\nexport default (req, res) => dao.findUser(INPUT);\n",
    routeFile: 'route.mjs',
  },
  {
    name: "a folder's index re-exporting the DAO (CommonJS)",
    dao: {
      'dao/users.js': `const conn = require('../conn');\nexports.findUser = (name) => {\n${sqlLine}\n};\n`,
      'dao/index.js': "module.exports = require('./users');\n",
    },
    route: "const dao = require('./dao');\nmodule.exports = (req, res) => dao.findUser(INPUT);\n",
  },
  {
    name: 'ESM export * from a barrel',
    dao: {
      'dao/users.mjs': `import conn from '../conn.js';\nexport function findUser(name) {\n${sqlLine}\n}\n`,
      'dao/index.mjs': "export * from './users.mjs';\n",
    },
    route: "import { findUser } from './dao/index.mjs';\nexport default (req, res) => findUser(INPUT);\n",
    routeFile: 'route.mjs',
  },
  {
    name: 'TypeScript export function + import without extension',
    dao: {
      'dao.ts': `${esmHead}export async function findUser(name: string) {\n${sqlLine}\n}\n`,
    },
    route: "import { findUser } from './dao';\nexport default (req: any, res: any) => findUser(INPUT);\n",
    routeFile: 'route.ts',
  },
];

for (const form of forms) {
  test(`cross-module SQL injection through ${form.name}`, async (t) => {
    const routeFile = form.routeFile ?? 'route.js';
    const daoFile = Object.keys(form.dao)[0]!;
    const sinkLine = form.dao[daoFile]!.split('\n').findIndex((line) => line.includes('conn.query')) + 1;
    const flawed = await findingsOf(t, {
      ...conn,
      ...form.dao,
      [routeFile]: form.route.replace('INPUT', 'req.query.name'),
    });
    const sql = flawed.filter((f) => f.cwe === 'CWE-89');
    assert.deepEqual(
      sql.map((f) => `${f.file}:${f.line}`),
      [`${daoFile}:${sinkLine}`],
      JSON.stringify(flawed, null, 1),
    );
    assert.equal(sql[0]!.trace?.[0]?.file, routeFile);
    assert.match(sql[0]!.trace?.[0]?.note ?? '', /req\.query/);
    const safe = await findingsOf(t, {
      ...conn,
      ...form.dao,
      [routeFile]: form.route.replace('INPUT', 'parseInt(req.query.name, 10)'),
    });
    assert.deepEqual(
      safe.filter((f) => f.cwe === 'CWE-89'),
      [],
    );
  });
}

test('a capitalised model module of the project is still linked (and its results are stored data)', async (t) => {
  const findings = await findingsOf(t, {
    ...conn,
    'models/User.js': `${head.replace('./conn', '../conn')}exports.findAll = (name) => {\n${sqlLine}\n};\n`,
    'route.js':
      "const User = require('./models/User');\nmodule.exports = async (req, res) => {\n  const rows = await User.findAll(req.query.name);\n  eval(rows[0].code);\n};\n",
  });
  assert.deepEqual(findings.map((f) => `${f.file}:${f.line}:${f.cwe}`).sort(), [
    'models/User.js:3:CWE-89',
    'route.js:4:CWE-95',
  ]);
});

test('a call on a package is not linked to a project function of the same name', async (t) => {
  const findings = await findingsOf(t, {
    ...conn,
    'dao.js': `${head}exports.findUser = (name) => {\n${sqlLine}\n};\n`,
    'route.js':
      "require('./dao');\nconst cache = require('lru-store');\nmodule.exports = (req, res) => cache.findUser(req.query.name);\n",
  });
  assert.deepEqual(
    findings.filter((f) => f.cwe === 'CWE-89'),
    [],
  );
});

test("a helper module's return value carries the input, unless the helper sanitises it", async (t) => {
  const route = (helper: string) =>
    [
      "const utils = require('./utils');",
      'module.exports = (db) => (req, res) => {',
      `  const q = utils.${helper}(req.query.q);`,
      "  return db.collection('items').find({ $where: 'this.name == \\'' + q + '\\'' });",
      '};',
      '',
    ].join('\n');
  const utils = [
    'exports.trunc = (s) => s.slice(0, 40);',
    'exports.json = (s) => JSON.stringify(String(s));',
    "exports.label = (s) => 'item';",
    'exports.digits = (s) => parseInt(s, 10);',
    '',
  ].join('\n');
  const flawed = await findingsOf(t, { 'utils.js': utils, 'route.js': route('trunc') });
  assert.deepEqual(
    flawed.filter((f) => f.cwe === 'CWE-943').map((f) => `${f.file}:${f.line}`),
    ['route.js:4'],
  );
  for (const helper of ['label', 'digits', 'json']) {
    const safe = await findingsOf(t, { 'utils.js': utils, 'route.js': route(helper) });
    assert.deepEqual(
      safe.filter((f) => f.cwe === 'CWE-943'),
      [],
      helper,
    );
  }
});

test('a plain helper from a module outside the project passes its argument through, as in one file', async (t) => {
  const findings = await findingsOf(t, {
    'route.js': [
      "const { shorten } = require('./vendor/text.json.js');",
      'module.exports = (conn) => (req, res) => {',
      "  conn.query('SELECT * FROM t WHERE a = ' + shorten(req.query.a));",
      '};',
      '',
    ].join('\n'),
  });
  assert.deepEqual(
    findings.map((f) => `${f.file}:${f.line}:${f.cwe}`),
    ['route.js:3:CWE-89'],
  );
});

test('$where is JavaScript: String() or slice() does not make input safe there; JSON.stringify does', async (t) => {
  const findings = await findingsOf(t, {
    'route.js': [
      'module.exports = (db) => (req, res) => {',
      "  const items = db.collection('items');",
      "  items.find({ $where: 'this.name == \\'' + String(req.query.name) + '\\'' });",
      "  items.find({ $where: 'this.name == ' + JSON.stringify(String(req.query.name)) });",
      '  items.find({ name: String(req.query.name) });',
      '};',
      '',
    ].join('\n'),
  });
  assert.deepEqual(
    findings.map((f) => `${f.line}:${f.cwe}`),
    ['3:CWE-943'],
  );
});

test('a collection held in a variable or a class field is a query sink', async (t) => {
  const findings = await findingsOf(t, {
    'route.js': [
      'module.exports = (db) => {',
      "  const col = db.collection('items');",
      '  return (req, res) => col.find({ $where: `this.owner == "${req.query.owner}"` });',
      '};',
      'class Store {',
      '  constructor(db) {',
      "    this.col = db.collection('items');",
      '  }',
      '  handler() {',
      '    return (req, res) => this.col.find({ $where: `this.owner == "${req.body.owner}"` });',
      '  }',
      '}',
      'module.exports.Store = Store;',
      '',
    ].join('\n'),
  });
  assert.deepEqual(
    findings
      .filter((f) => f.cwe === 'CWE-943')
      .map((f) => f.line)
      .sort(),
    [10, 3],
  );
});

test('a value read from the database reaching eval is second-order code injection; not other sinks', async (t) => {
  const findings = await findingsOf(t, {
    'rules.js': [
      'module.exports = (db, conn) => async (req, res) => {',
      "  const rule = await db.collection('rules').findOne({ name: 'discount' });",
      '  const total = eval(rule.expression);',
      "  conn.query('SELECT * FROM t WHERE x = ' + rule.expression);",
      "  conn.query('SELECT code FROM scripts', (err, rows) => {",
      '    new Function(rows[0].code)();',
      '  });',
      "  db.collection('rules').findOne({ name: 'tax' }).then((tax) => setTimeout(tax.schedule, 10));",
      '  res.json({ total, parsed: JSON.parse(rule.expression) });',
      '};',
      '',
    ].join('\n'),
  });
  const code = findings.filter((f) => f.cwe === 'CWE-95');
  assert.deepEqual(code.map((f) => f.line).sort(), [3, 6, 8]);
  for (const finding of code) assert.match(finding.message, /value read from the database/);
  assert.deepEqual(
    findings.filter((f) => f.cwe === 'CWE-89'),
    [],
  );
});

test('a database value passed to an eval helper in another module is second-order code injection', async (t) => {
  const findings = await findingsOf(t, {
    'runner.js':
      'exports.runScript = (source) => eval(source);\nexports.parseScript = (source) => JSON.parse(source);\n',
    'jobs.js': [
      "const { runScript, parseScript } = require('./runner');",
      'module.exports = async (db) => {',
      "  const job = await db.collection('jobs').findOne({ due: true });",
      '  runScript(job.script);',
      '  parseScript(job.script);',
      '};',
      '',
    ].join('\n'),
  });
  assert.deepEqual(
    findings.map((f) => `${f.file}:${f.line}:${f.cwe}`),
    ['runner.js:1:CWE-95'],
  );
  assert.match(findings[0]!.message, /value read from the database/);
  assert.equal(findings[0]!.trace?.[0]?.file, 'jobs.js');
});

test('request input in a vm context object is code injection', async (t) => {
  const findings = await findingsOf(t, {
    'calc.js': [
      "const vm = require('vm');",
      'module.exports = (req, res) => {',
      "  const out = vm.runInNewContext('price * qty', { price: 3, qty: req.query.qty });",
      '  const context = vm.createContext({ user: req.body.user });',
      "  new vm.Script('greet(user)').runInContext(context);",
      "  vm.runInNewContext('price * qty', { price: 3, qty: parseInt(req.query.qty, 10) });",
      '  res.json({ out });',
      '};',
      '',
    ].join('\n'),
  });
  assert.deepEqual(
    findings
      .filter((f) => f.cwe === 'CWE-95')
      .map((f) => f.line)
      .sort(),
    [3, 5],
  );
});
