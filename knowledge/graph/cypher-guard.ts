// The guard in front of agent Cypher. Kuzu's read-only modes are not a sandbox: a read-only
// transaction still runs COPY TO, EXPORT DATABASE and LOAD FROM, and a COMMIT inside the text ends
// it. So a query must pass three independent checks before it runs:
// 1. lexical: one statement, no write, DDL, transaction, file or extension keyword, and CALL only
//    of allow-listed procedures (keywords inside strings, comments and `quoted` names don't count);
// 2. plan: EXPLAIN's physical operators and table functions must all be on a read-only allow-list;
// 3. execution: prepare() (one statement) inside BEGIN TRANSACTION READ ONLY, with a timeout.
// Between 1 and 2, cypher-budget.ts refuses shapes that no runtime budget can stop.
import { KnowledgeError } from '../knowledge-error.js';
import { budgetProblem } from './cypher-budget.js';
import type { GraphStore } from './graph-store.js';

export const maxCypherLength = 10_000;

const deniedKeywords = new Map<string, string>([
  ['CREATE', 'writes'],
  ['MERGE', 'writes'],
  ['SET', 'writes'],
  ['DELETE', 'writes'],
  ['DETACH', 'writes'],
  ['REMOVE', 'writes'],
  ['DROP', 'DDL'],
  ['ALTER', 'DDL'],
  ['RENAME', 'DDL'],
  ['COMMENT', 'DDL'],
  ['COPY', 'file access'],
  ['EXPORT', 'file access'],
  ['IMPORT', 'file access'],
  ['LOAD', 'file access'],
  ['INSTALL', 'extensions'],
  ['UNINSTALL', 'extensions'],
  ['ATTACH', 'other databases'],
  ['USE', 'other databases'],
  ['BEGIN', 'transaction control'],
  ['COMMIT', 'transaction control'],
  ['ROLLBACK', 'transaction control'],
  ['TRANSACTION', 'transaction control'],
  ['CHECKPOINT', 'transaction control'],
  ['EXPLAIN', 'plan statements'],
  ['PROFILE', 'plan statements'],
  ['MACRO', 'DDL'],
  ['SEQUENCE', 'DDL'],
  ['TYPE', 'DDL'],
]);

/** Procedures an agent may CALL: catalogue introspection and read-only search. */
export const allowedProcedures = new Set([
  'SHOW_TABLES',
  'TABLE_INFO',
  'SHOW_CONNECTION',
  'DB_VERSION',
  'SHOW_FUNCTIONS',
  'CURRENT_SETTING',
  'SHOW_INDEXES',
  'QUERY_FTS_INDEX',
]);

/** Physical operators of read-only plans (collected from EXPLAIN over a corpus of reads). */
export const allowedOperators = new Set([
  'RESULT_COLLECTOR',
  'PROJECTION',
  'SCAN_NODE_TABLE',
  'SCAN_REL_TABLE',
  'TABLE_FUNCTION_CALL',
  'FILTER',
  'FLATTEN',
  'LIMIT',
  'SKIP',
  'HASH_JOIN_BUILD',
  'HASH_JOIN_PROBE',
  'INTERSECT_BUILD',
  'INTERSECT',
  'CROSS_PRODUCT',
  'AGGREGATE',
  'AGGREGATE_FINALIZE',
  'AGGREGATE_SCAN',
  'HASH_AGGREGATE',
  'HASH_AGGREGATE_FINALIZE',
  'HASH_AGGREGATE_SCAN',
  'SIMPLE_AGGREGATE',
  'SIMPLE_AGGREGATE_FINALIZE',
  'SIMPLE_AGGREGATE_SCAN',
  'ORDER_BY',
  'ORDER_BY_MERGE',
  'ORDER_BY_SCAN',
  'TOP_K',
  'TOP_K_SCAN',
  'UNWIND',
  'UNION_ALL_SCAN',
  'RECURSIVE_EXTEND',
  'PATH_PROPERTY_PROBE',
  'SEMI_MASKER',
  'MULTIPLICITY_REDUCER',
  'EMPTY_RESULT',
  'INDEX_LOOKUP',
  'PRIMARY_KEY_SCAN_NODE_TABLE',
  'DUMMY_SCAN',
  'DUMMY_SINK',
  'COUNT_REL_TABLE',
  'OFFSET_SCAN_NODE_TABLE',
  'PARTITIONER',
  'EXTEND',
  'DISTINCT',
  'MARK_JOIN',
]);

/** Table functions that may appear in a plan. READ_FTABLE scans intermediate results. */
export const allowedPlanFunctions = new Set(['READ_FTABLE', ...allowedProcedures]);

interface Token {
  word: string;
  /** The significant character before the word: "." and ":" make it a property or label name. */
  before: string;
  after: string;
}

/** Words outside strings, comments and backtick names, with their neighbouring characters. */
export function tokens(cypher: string): { words: Token[]; statements: number } {
  const words: Token[] = [];
  let statements = 1;
  let trailingSemicolon = false;
  let lastSignificant = '';
  let i = 0;
  const n = cypher.length;
  while (i < n) {
    const c = cypher[i]!;
    if (c === "'" || c === '"' || c === '`') {
      const quote = c;
      i++;
      while (i < n && cypher[i] !== quote) i += cypher[i] === '\\' ? 2 : 1;
      i++;
      lastSignificant = quote === '`' ? 'name' : 'string';
      trailingSemicolon = false;
      continue;
    }
    if (c === '/' && cypher[i + 1] === '/') {
      while (i < n && cypher[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && cypher[i + 1] === '*') {
      const end = cypher.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(cypher[j]!)) j++;
      let k = j;
      while (k < n && /\s/.test(cypher[k]!)) k++;
      words.push({ word: cypher.slice(i, j).toUpperCase(), before: lastSignificant, after: cypher[k] ?? '' });
      lastSignificant = 'word';
      trailingSemicolon = false;
      i = j;
      continue;
    }
    if (c === ';') {
      statements++;
      trailingSemicolon = true;
    } else if (!/\s/.test(c)) {
      trailingSemicolon = false;
    }
    if (!/\s/.test(c)) lastSignificant = c;
    i++;
  }
  return { words, statements: trailingSemicolon ? statements - 1 : statements };
}

/** The reason a query fails the lexical check, or undefined when it passes. */
export function lexicalProblem(cypher: string): string | undefined {
  if (cypher.trim().length === 0) return 'the query is empty';
  if (cypher.length > maxCypherLength)
    return `the query is ${cypher.length} characters; the limit is ${maxCypherLength}`;
  if (cypher.includes('\0')) return 'the query contains a NUL character';
  const { words, statements } = tokens(cypher);
  if (statements > 1) return 'only one statement is allowed (found ";" between statements)';
  for (let i = 0; i < words.length; i++) {
    const token = words[i]!;
    if (
      token.before === '.' ||
      token.before === ':' ||
      token.before === '$' ||
      (token.after === ':' && token.before === '{')
    )
      continue; // names, labels, parameters, map keys
    if (token.before === ',' && token.after === ':') continue; // later map keys
    const category = deniedKeywords.get(token.word);
    if (category) return `${token.word} is not allowed: agent queries are read-only (${category} rejected)`;
    if (token.word === 'CALL') {
      const procedure = words[i + 1]?.word;
      if (!procedure || !allowedProcedures.has(procedure)) {
        return `CALL ${procedure ?? ''} is not allowed; callable procedures: ${[...allowedProcedures].map((p) => p.toLowerCase()).join(', ')}`.trim();
      }
    }
  }
  return undefined;
}

/** Throws QUERY_REJECTED unless every operator and table function of the plan is allow-listed. */
export async function guardPlan(store: Pick<GraphStore, 'explain'>, cypher: string): Promise<void> {
  const plan = await store.explain(cypher);
  const operator = plan.operators.find((op) => !allowedOperators.has(op));
  if (operator)
    throw new KnowledgeError(
      'QUERY_REJECTED',
      `the plan contains ${operator}, which is not a read-only operator; agent queries may only read`,
    );
  const fn = plan.functions.find((f) => !allowedPlanFunctions.has(f));
  if (fn)
    throw new KnowledgeError(
      'QUERY_REJECTED',
      `the plan calls ${fn}, which is not allowed; callable procedures: ${[...allowedProcedures].map((p) => p.toLowerCase()).join(', ')}`,
    );
}

/** Throws QUERY_REJECTED unless the query passes the lexical, the budget and the plan check. */
export async function guardCypher(
  store: Pick<GraphStore, 'explain'>,
  cypher: string,
  params: Record<string, unknown> = {},
): Promise<void> {
  const problem = lexicalProblem(cypher) ?? budgetProblem(cypher, params);
  if (problem) throw new KnowledgeError('QUERY_REJECTED', problem);
  await guardPlan(store, cypher);
}
