// Small facts the taint engine needs for flows between modules and through storage:
// - what a function returns of its parameters (and which sink classes it cleared on the way), for
//   `utils.trunc(req.query.q)` in one file when `trunc` lives in another;
// - which calls hand back a MongoDB collection or model, so `const col = db.collection('x')` makes
//   `col.find(...)` a query sink;
// - which calls read from a database: their results are a second-order source for code-execution
//   sinks only (a value stored earlier by someone else reaching eval), never for SQL, paths or HTML,
//   where it would be noise.
import type { CallSite } from './sink-rules.js';
import type { FunctionSummary } from './taint-engine.js';
import { allSinkBits, sinkClasses } from './sink-classes.js';
import { emptyValue, type Taint, type Value } from './taint-value.js';

/** Note a returned value in the summary: which parameters it carries, and what was cleared. */
export function recordReturn(summary: FunctionSummary, taint: Taint | undefined): void {
  if (!taint || !taint.params) return;
  summary.returnsParams |= taint.params;
  summary.returnCleared = summary.returnCleared === undefined ? taint.cleared : summary.returnCleared & taint.cleared;
}

/** `db.collection('x')`, `client.db().collection('x')`, `mongoose.model('User')`, `conn.model(...)`. */
export function isCollectionHandle(site: CallSite): boolean {
  if (!site.receiver) return false;
  if (site.name === 'collection' || site.name === 'getCollection') return true;
  return site.name === 'model' && /(^|\.)(mongoose|conn|connection|db|database)$/i.test(site.receiver);
}

const modelReads = new Set([
  'findOne',
  'findById',
  'findByPk',
  'findAll',
  'find',
  'findOneAndUpdate',
  'findByIdAndUpdate',
  'findOneAndDelete',
  'aggregate',
  'distinct',
]);
const sqlReads = new Set(['query', 'execute', 'all', 'get', 'one', 'oneOrNone', 'many', 'manyOrNone', 'any', 'first']);
const modelReceiver = /(^[A-Z]\w*$)|(\.[A-Z]\w*$)|[cC]ollection$|Model$|(^|\.)(model|repo|repository)$/;
const sqlReceiver = /(^|\.)(db|database|conn|connection|pool|client|knex|sqlite\d?|pg|mysql|sql)$/i;

/** Does this call read records from a database (a mongo collection or model, a SQL client)? */
export function databaseRead(site: CallSite): boolean {
  if (!site.receiver || site.isNew) return false;
  if (modelReads.has(site.name)) return site.collection === true || modelReceiver.test(site.receiver);
  if (sqlReads.has(site.name)) return sqlReceiver.test(site.receiver);
  return false;
}

/** `conn.query(sql, (err, rows) => ...)`, `col.findOne(q, (err, doc) => ...)`: the callback's rows. */
export function databaseCallback(site: CallSite): boolean {
  return databaseRead(site) && site.argumentCount >= 2;
}

/**
 * The sink bit that decides whether a value is still dangerous in a $where clause. $where is
 * JavaScript: String() or .slice() rule out `{"$ne": null}` operators (they clear the nosql bit)
 * but not code, so a value stays live there unless it is also cleared for code (parseInt,
 * JSON.stringify). Values read from the database stay a source for eval-like sinks only.
 */
export function whereMask(taint: Taint): number {
  const nosql = sinkClasses.nosql.bit;
  if ((taint.cleared & nosql) === 0) return nosql;
  if (taint.origin?.part === 'database' && !taint.params) return nosql;
  return sinkClasses.code.bit;
}

/** Is an argument with these cleared bits still live for a sink of this class (or $where)? */
export function liveBits(cleared: number, bit: number, where: boolean, fromDatabase: boolean): boolean {
  if ((cleared & bit) === 0) return true;
  return where && !fromDatabase && (cleared & sinkClasses.code.bit) === 0;
}

/** A value read from the database: a source for code-execution sinks only. */
export function databaseValue(line: number, text: string): Value {
  return {
    ...emptyValue(),
    taint: {
      origin: { line, text, part: 'database', whole: false },
      params: 0,
      cleared: allSinkBits & ~sinkClasses.code.bit,
      wholeParams: 0,
    },
  };
}
