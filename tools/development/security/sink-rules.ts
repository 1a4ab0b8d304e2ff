// Which calls are dangerous sinks, and which of their arguments must not carry tainted data.
// Callees are resolved through the import map where possible (child_process.exec under any alias);
// otherwise by method name and a receiver that looks like the right kind of object, which keeps
// `map.get(key)` from being mistaken for a SQL call.
import type { SinkClassName } from './sink-classes.js';
import { hasRootOption, hasSqlOrmOptions } from './call-options.js';

export interface CallSite {
  /** The callee's last name: `query` in `db.query(...)`, `eval` in `eval(...)`. */
  name: string;
  /** The receiver's source text, `this.db` in `this.db.query(...)`; undefined for a plain call. */
  receiver?: string;
  /** The module the callee (or its receiver) was imported from, normalised. */
  module?: string;
  /** The member of that module: `exec` for `cp.exec` or an imported `exec`. */
  member?: string;
  isNew: boolean;
  argumentCount: number;
  /** Keys of the object-literal arguments (undefined for other arguments). */
  argumentKeys?: (string[] | undefined)[];
  /** The first argument's text when it is a string or regular expression literal. */
  firstArgument?: string;
  /** The receiver holds a MongoDB collection or model (`const col = db.collection('x')`). */
  collection?: boolean;
}

/** What a sink argument's value looks like, beyond its taint. */
export interface ValueShape {
  /** The literal text the value starts with, when it is built from a template or concatenation. */
  prefix?: string;
  /** Literal text inside the value (template heads and spans, concatenated strings). */
  literalText: string;
  isObjectLiteral: boolean;
  isFunction: boolean;
  isStringBuilt: boolean;
}

export interface SinkSpec {
  cls: SinkClassName;
  /** Index of the argument that must not be tainted. */
  argument: number;
  what: string;
  /** A shape that makes this use safe even with tainted parts. */
  safe?: (shape: ValueShape) => boolean;
}

const dbReceiver =
  /(^|\.)(db|database|sqlite\d?|conn|connection|client|pool|knex|sequelize|sql|pg|mysql|tx|trx|transaction|manager|datasource|dataSource|prisma|models?\.sequelize|queryRunner|em|entityManager|repo|repository)$/i;
const sqlKeywords = /\b(select|insert|update|delete|from|where|values|order\s+by|create\s+table|drop|union)\b/i;
const mongoReceiver = /(^[A-Z]\w*$)|(\.[A-Z]\w*$)|collection|model|^db\.|\.db\.|Collection$|Model$|^this\.\w+$|^\w+s$/;
const responseReceiver = /^(res|response|resp|reply|ctx|h|this\.res)$/;
export const fsMethods = new Set([
  'readFile',
  'readFileSync',
  'writeFile',
  'writeFileSync',
  'appendFile',
  'appendFileSync',
  'createReadStream',
  'createWriteStream',
  'unlink',
  'unlinkSync',
  'rm',
  'rmSync',
  'rmdir',
  'rmdirSync',
  'readdir',
  'readdirSync',
  'stat',
  'statSync',
  'lstat',
  'lstatSync',
  'open',
  'openSync',
  'access',
  'accessSync',
  'exists',
  'existsSync',
  'mkdir',
  'mkdirSync',
  'readlink',
  'readlinkSync',
  'chmod',
  'chmodSync',
  'copyFile',
  'copyFileSync',
  'rename',
  'renameSync',
  'truncate',
  'truncateSync',
  'outputFile',
  'outputFileSync',
  'readJson',
  'readJsonSync',
  'writeJson',
  'writeJsonSync',
  'remove',
  'removeSync',
  'copy',
  'copySync',
  'move',
  'moveSync',
  'ensureFile',
  'emptyDir',
]);
const httpClients = new Set([
  'axios',
  'got',
  'needle',
  'request',
  'superagent',
  'fetch',
  'undici',
  'bent',
  'phin',
  'node-fetch',
  'http',
  'https',
  'follow-redirects',
  'ky',
  'wreck',
  '@hapi/wreck',
]);
const httpVerbs = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'request', 'options', 'stream', 'fetch']);

const relativePath = (shape: ValueShape) => shape.prefix !== undefined && /^\/(?![/\\])/.test(shape.prefix);
const fixedHost = (shape: ValueShape) =>
  shape.prefix !== undefined && /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+[/?#]/i.test(shape.prefix);
const notString = (shape: ValueShape) => shape.isObjectLiteral || shape.isFunction;
/** A URL that starts with a fixed path, fragment or web scheme cannot become `javascript:`. */
export const fixedUrlStart = (shape: ValueShape) =>
  shape.prefix !== undefined && /^([/?#.]|https?:\/\/|mailto:)/i.test(shape.prefix);
// Fastify's request.log / fastify.log are pino: JSON lines, which escape CR/LF.
const logReceiver = /^(console|logger|log|this\.logger|this\.log|winston)$/;
/** Logging req.query as an object (console or a logger): an object is printed with its strings quoted and escaped. */
const wholeRequestPart = (shape: ValueShape) => {
  const origin = (shape as { taint?: { origin?: { key?: string; part: string; text: string } } }).taint?.origin;
  return (
    origin !== undefined &&
    origin.key === undefined &&
    /^(query|params|headers|body|cookies|signedCookies)$/.test(origin.part) &&
    origin.text.endsWith(origin.part)
  );
};
/** Header values cannot hold CR/LF (Node's parser rejects them), and a browser console is no log. */
const noLineBreaks = (shape: ValueShape) => {
  const part = (shape as { taint?: { origin?: { part: string } } }).taint?.origin?.part;
  return part === 'headers' || part === 'location' || part === 'url' || part === 'originalUrl';
};
const logMethods = new Set(['log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal', 'verbose', 'silly', 'notice']);

/** The sinks this call is, with the arguments that must not be tainted. */
export function sinksForCall(site: CallSite): SinkSpec[] {
  const { name, receiver, module, member } = site;
  const specs: SinkSpec[] = [];
  const add = (cls: SinkClassName, argument: number, what: string, safe?: (shape: ValueShape) => boolean) =>
    specs.push({ cls, argument, what, ...(safe ? { safe } : {}) });
  const fromModule = (m: string) => module === m;

  // OS commands.
  if (fromModule('child_process') || fromModule('shelljs') || fromModule('execa')) {
    const fn = member && member !== '*' ? member : name;
    if (['exec', 'execSync', 'execCommand', 'command', 'commandSync', '$'].includes(fn))
      add('command', 0, `${fn}() runs its argument through a shell`);
    if (['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork', 'execa', 'execaSync'].includes(fn))
      add('command', 0, `${fn}() runs the program its argument names`);
  } else if (
    (name === 'exec' || name === 'execSync') &&
    receiver &&
    /^(cp|childProcess|child_process|shell|shelljs|proc)$/.test(receiver)
  ) {
    add('command', 0, `${name}() runs its argument through a shell`);
  }

  // Code evaluation.
  if (!receiver && (name === 'eval' || name === 'Function')) add('code', 0, `${name}() evaluates its argument as code`);
  if (site.isNew && name === 'Function')
    for (let i = 0; i < Math.max(1, site.argumentCount); i++)
      add('code', i, 'new Function() compiles its arguments as code');
  if (!receiver && (name === 'setTimeout' || name === 'setInterval' || name === 'setImmediate'))
    add('code', 0, `${name}() with a string evaluates it as code`, (shape) => shape.isFunction);
  if (
    fromModule('vm') &&
    ['runInNewContext', 'runInThisContext', 'runInContext', 'compileFunction', 'Script'].includes(
      member === '*' ? name : (member ?? name),
    )
  )
    add('code', 0, `vm.${name}() runs its argument as code (vm is not a security boundary)`);
  // Input in the context object: the script works on it, and vm is not a security boundary.
  const vmRun = ['runInNewContext', 'runInContext'];
  if (fromModule('vm') && vmRun.includes(member === '*' ? name : (member ?? name)))
    add('code', 1, `vm.${name}() hands this input to the script as its context (vm is not a security boundary)`);
  if (!module && receiver && vmRun.includes(name) && /(^|\.)script$|Script\(/i.test(receiver))
    add('code', 0, `${name}() hands this input to the script as its context (vm is not a security boundary)`);
  if (
    (fromModule('mathjs') || receiver === 'mathjs' || receiver === 'math') &&
    (name === 'eval' || name === 'evaluate')
  )
    add('code', 0, 'mathjs evaluate() on input can reach code execution in old versions and denial of service in all');
  if (
    (fromModule('safe-eval') || fromModule('static-eval') || fromModule('notevil') || name === 'safeEval') &&
    !receiver
  )
    add('code', 0, `${name}() is a sandbox with known escapes`);
  if ((receiver === '_' || receiver === 'lodash' || fromModule('lodash')) && name === 'template')
    add('code', 0, '_.template() compiles its argument to a function');

  // SQL.
  const sqlMethod = [
    'query',
    'execute',
    'raw',
    'exec',
    'all',
    'get',
    'run',
    'each',
    'prepare',
    'whereRaw',
    'havingRaw',
    'orderByRaw',
    'joinRaw',
    'fromRaw',
    'literal',
    'unsafe',
    '$queryRawUnsafe',
    '$executeRawUnsafe',
    'queryRaw',
    'sql',
    'none',
    'one',
    'oneOrNone',
    'many',
    'manyOrNone',
    'any',
  ].includes(name);
  if (
    sqlMethod &&
    receiver &&
    !fromModule('child_process') &&
    !responseReceiver.test(receiver) &&
    !/^(req|request|app|router|this\.app|map|cache|params|headers|searchParams|url)$/i.test(receiver)
  ) {
    const looksDb = dbReceiver.test(receiver) || /Dao$|DAO$|Repository$|Model$/.test(receiver);
    add(
      'sql',
      0,
      `${receiver}.${name}() runs its first argument as SQL`,
      (shape) => notString(shape) || (!looksDb && !sqlKeywords.test(shape.literalText)),
    );
  }

  // NoSQL (MongoDB, mongoose): a $where string, or a query object taken from input.
  const mongoMethods = [
    'find',
    'findOne',
    'findOneAndUpdate',
    'findOneAndDelete',
    'findOneAndRemove',
    'findOneAndReplace',
    'updateOne',
    'updateMany',
    'update',
    'deleteOne',
    'deleteMany',
    'remove',
    'count',
    'countDocuments',
    'aggregate',
    'replaceOne',
    'exists',
    'distinct',
    'mapReduce',
  ];
  if (
    receiver &&
    mongoMethods.includes(name) &&
    (site.collection === true || mongoReceiver.test(receiver)) &&
    !/^(req|res|request|response|app|router|_|lodash|Array|Object|\[)/.test(receiver) &&
    !hasSqlOrmOptions(site.argumentKeys)
  ) {
    add('nosql', 0, `${receiver}.${name}() takes its query from this argument`, (shape) => shape.isFunction);
  }
  if (
    name === '$where' ||
    (name === 'where' &&
      receiver &&
      (site.collection === true || mongoReceiver.test(receiver)) &&
      site.argumentCount === 1)
  )
    add('nosql', 0, `${name}() evaluates a JavaScript predicate`, (shape) => shape.isObjectLiteral || shape.isFunction);

  // Filesystem paths.
  if (
    (fromModule('fs') && fsMethods.has(member === '*' || !member ? name : member)) ||
    (receiver && /(^|\.)(fs|fse|fsp|fsPromises|promises)$/.test(receiver) && fsMethods.has(name))
  ) {
    add('path', 0, `fs.${name}() opens the path it is given`);
    if (['rename', 'renameSync', 'copyFile', 'copyFileSync', 'copy', 'copySync', 'move', 'moveSync'].includes(name))
      add('path', 1, `fs.${name}() writes to the path it is given`);
  }
  if (
    receiver &&
    responseReceiver.test(receiver) &&
    (name === 'sendFile' || name === 'download' || name === 'sendfile') &&
    !hasRootOption(site.argumentKeys)
  )
    add('path', 0, `res.${name}() serves the file the path names`);
  if (!receiver && name === 'require' && site.argumentCount === 1)
    add('code', 0, 'require() of a computed path loads and runs that module');

  // Redirects and headers.
  if (receiver && responseReceiver.test(receiver) && name === 'redirect')
    add(
      'redirect',
      site.argumentCount > 1 ? site.argumentCount - 1 : 0,
      `${receiver}.redirect() sends the browser to this URL`,
      (shape) => relativePath(shape) || fixedHost(shape),
    );
  if (receiver && responseReceiver.test(receiver) && name === 'location')
    add('redirect', 0, 'res.location() sets the Location header', (shape) => relativePath(shape) || fixedHost(shape));

  // Outbound requests.
  const clientModule = module && httpClients.has(module);
  if (
    (clientModule &&
      (member === '*' || member === undefined || httpVerbs.has(member) || member === 'default') &&
      (!receiver || httpVerbs.has(name))) ||
    (!receiver && name === 'fetch') ||
    (receiver && /^(axios|got|needle|superagent|request|http|https|undici|ky)$/.test(receiver) && httpVerbs.has(name))
  ) {
    add(
      'ssrf',
      0,
      `${receiver ? `${receiver}.` : ''}${name}() requests the URL it is given`,
      (shape) => fixedHost(shape) || relativePath(shape) || shape.isObjectLiteral,
    );
  }

  // HTML output.
  if (receiver && /^(res|response|resp)$/.test(receiver) && (name === 'send' || name === 'write' || name === 'end'))
    add('xss', 0, `res.${name}() returns this as an HTML page`, (shape) => shape.isObjectLiteral || shape.isFunction);
  if (name === 'write' && receiver === 'document') add('xss', 0, 'document.write() parses this as HTML');
  if (name === 'writeln' && receiver === 'document') add('xss', 0, 'document.writeln() parses this as HTML');
  if (name === 'insertAdjacentHTML') add('xss', 1, 'insertAdjacentHTML() parses this as HTML');
  if (name === 'html' && receiver && /^\$|jQuery/.test(receiver)) add('xss', 0, 'jQuery .html() parses this as HTML');
  if (name === 'SafeString' && site.isNew) add('xss', 0, 'a Handlebars SafeString is inserted without escaping');

  // URLs a browser navigates to or loads: javascript: runs script (HTML escaping does not help).
  if (
    name === 'setAttribute' &&
    site.argumentCount === 2 &&
    /^(href|src|action|formaction|xlink:href)$/i.test(site.firstArgument ?? '')
  )
    add('url', 1, `setAttribute('${site.firstArgument}') loads or navigates to this URL`, fixedUrlStart);
  if (name === 'open' && (receiver === 'window' || receiver === 'self' || receiver === 'top'))
    add('url', 0, 'window.open() navigates to this URL', fixedUrlStart);
  if ((name === 'assign' || name === 'replace') && receiver && /^((window|document)\.)?location$/.test(receiver)) {
    add('url', 0, `location.${name}() navigates to this URL`, fixedUrlStart);
    add('redirect', 0, `location.${name}() navigates the browser to this URL`, relativePath);
  }

  // Log entries: CR/LF in input forges lines. Structured entries (an object) are encoded safely.
  if (receiver && logReceiver.test(receiver) && logMethods.has(name) && !fromModule('pino') && !fromModule('bunyan'))
    for (let i = 0; i < Math.min(site.argumentCount, 4); i++)
      add(
        'log',
        i,
        `${receiver}.${name}() writes this into a plain-text log`,
        (shape) => notString(shape) || wholeRequestPart(shape) || noLineBreaks(shape),
      );

  // Deserialization.
  if (
    (fromModule('node-serialize') || receiver === 'serialize') &&
    ['unserialize', 'deserialize', 'deepDeserialize'].includes(name)
  )
    add('deserialization', 0, `${name}() revives functions, so input can run code`);
  if (fromModule('js-yaml') && name === 'load')
    add('deserialization', 0, 'js-yaml load() before version 4 constructs JavaScript types from input');

  // Regular expressions built from input.
  if (name === 'RegExp' && !receiver)
    add('regex', 0, 'a RegExp built from input can backtrack catastrophically (and match unintended text)');

  // XML.
  if (fromModule('libxmljs') || receiver === 'libxmljs' || receiver === 'libxml') {
    if (name === 'parseXml' || name === 'parseXmlString' || name === 'parseXmlAsync')
      add('xxe', 0, `${name}() parses this XML`);
  }

  // Mass assignment and prototype pollution (checked on whole-object input only, by the engine).
  if (
    [
      'create',
      'insert',
      'insertOne',
      'insertMany',
      'build',
      'bulkCreate',
      'upsert',
      'findByIdAndUpdate',
      'findOneAndUpdate',
      'updateOne',
      'updateMany',
      'update',
      'set',
      'save',
    ].includes(name) &&
    receiver &&
    !/^(req|res|request|response|app|router|map|cache|headers|searchParams|_|lodash|Object|Reflect)$/i.test(receiver)
  ) {
    for (let i = 0; i < Math.min(site.argumentCount, 3); i++)
      add('mass', i, `${receiver}.${name}() stores every field of this object`);
  }
  if (
    site.isNew &&
    /^[A-Z]/.test(name) &&
    ![
      'Error',
      'URL',
      'Date',
      'RegExp',
      'Function',
      'Map',
      'Set',
      'Promise',
      'Buffer',
      'Array',
      'Object',
      'String',
      'Number',
      'Boolean',
      'URLSearchParams',
      'Headers',
      'Request',
      'Response',
      'TypeError',
      'RangeError',
    ].includes(name)
  ) {
    add('mass', 0, `new ${name}() copies every field of this object into the model`);
  }
  if (name === 'assign' && receiver === 'Object')
    for (let i = 1; i < Math.min(site.argumentCount, 4); i++)
      add('mass', i, 'Object.assign() copies every field of this object');
  if (
    ['merge', 'mergeWith', 'defaultsDeep', 'extend', 'deepExtend', 'deepmerge', 'setWith'].includes(name) &&
    (receiver === '_' || receiver === 'lodash' || receiver === '$' || receiver === 'jQuery' || !receiver)
  ) {
    for (let i = 1; i < Math.min(site.argumentCount, 4); i++)
      add('prototype', i, `${name}() deep-merges this object, including __proto__ keys`);
  }
  return specs;
}
