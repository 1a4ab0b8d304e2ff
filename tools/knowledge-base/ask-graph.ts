// Natural language to Cypher: the question and a compact schema go through the pool's confidence
// cascade; the Cypher that comes back must pass the guard and EXPLAIN, and is retried once with
// the error. The agent sees the Cypher that ran. Without any LLM backend the tool says so and asks
// for Cypher instead of guessing.
import { z } from 'zod';
import { runAgentCypher } from '../../knowledge/graph/agent-query.js';
import { guardCypher } from '../../knowledge/graph/cypher-guard.js';
import { KnowledgeError } from '../../knowledge/knowledge-error.js';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import type { ToolContext } from '../context.js';
import { agentQueryOptions, knowledge, schemaText } from './common.js';
import { queryResultSchema, queryTimeoutField } from './graph-tools.js';

const system = [
  'You translate questions into one read-only Cypher query for the Kuzu graph database.',
  'Rules: one statement; MATCH/OPTIONAL MATCH/WITH/UNWIND/RETURN/ORDER BY/LIMIT only; never CREATE, MERGE, SET, DELETE, COPY, LOAD, CALL (except show_tables/table_info);',
  'use only the tables and properties of the schema; name every returned column with AS; add LIMIT 100 unless the question asks for everything;',
  'Kuzu syntax: list_transform(list, x -> expr) instead of list comprehensions; variable-length paths as -[:REL*1..3]->; shortest paths as -[:REL* SHORTEST 1..6]->.',
  'Answer with JSON only: {"cypher": "...", "explanation": "..."}.',
].join('\n');

const answer = z.object({ cypher: z.string().min(1), explanation: z.string().optional() });

export interface Translation {
  cypher: string;
  explanation: string;
  attempts: { cypher: string; error?: string }[];
  answeredBy: { backend: string; model: string; host?: string };
  confidence: number;
}

function stripFences(text: string): string {
  return text
    .replace(/^```(?:cypher|json)?\s*/i, '')
    .replace(/```\s*$/, '')
    .trim()
    .replace(/;\s*$/, '');
}

export async function translateQuestion(question: string, context: ToolContext): Promise<Translation> {
  const graph = await context.knowledge.graph();
  const schema = await schemaText(graph);
  const attempts: Translation['attempts'] = [];
  let feedback = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    let result;
    try {
      result = await context.pool.complete({
        system,
        prompt: `Schema:\n${schema}\n\nQuestion: ${question}${feedback}`,
        schema: answer,
        tier: 'small',
        maxTokens: 600,
        signal: context.signal,
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'NO_HEALTHY_HOST' || code === 'NOT_CONFIGURED') {
        throw new InputError(
          'question',
          `no LLM backend could translate the question (${(error as Error).message}). Send Cypher instead: {"cypher": "MATCH ... RETURN ..."}; the schema is in the resource caelum://kb/schema`,
        );
      }
      throw error;
    }
    const cypher = stripFences(result.value?.cypher ?? result.text);
    try {
      await guardCypher(graph, cypher);
      attempts.push({ cypher });
      return {
        cypher,
        explanation: result.value?.explanation ?? '',
        attempts,
        answeredBy: result.answeredBy,
        confidence: result.confidence,
      };
    } catch (error) {
      const message = error instanceof KnowledgeError ? error.message : String(error);
      attempts.push({ cypher, error: message });
      feedback = `\n\nYour previous Cypher was:\n${cypher}\nIt failed: ${message}\nFix it and answer again.`;
    }
  }
  throw new InputError(
    'question',
    `could not turn the question into valid read-only Cypher after 2 attempts: ${attempts.map((a) => `${a.cypher} → ${a.error}`).join(' | ')}. Rephrase it, or send Cypher`,
  );
}

export const askGraph = defineTool({
  name: 'knowledge_base_ask_graph',
  domain: 'knowledge-base',
  tags: ['natural language', 'question', 'nl2cypher', 'text-to-cypher', 'llm', 'graph', 'query'],
  requests: [
    'ask the graph a question in English',
    'text to Cypher',
    'question about countries answered by an LLM over the graph',
    'answer a question from the knowledge graph',
    'natural language question over the graph',
    'ask which countries depend on another',
  ],
  title: 'Ask the graph in plain language',
  description:
    'Answers a question about the knowledge graph: an LLM (local first, through the pool cascade) writes read-only Cypher from the schema, the guard and EXPLAIN validate it (one retry with the error), then it runs. Returns the rows and the Cypher that ran. Example: {"question": "Which five countries depend most on China for trade?"}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    question: z.string().trim().min(3).max(2_000).describe('The question, in plain language.'),
    maxRows: z.number().int().min(1).max(10_000).default(100).describe('Row cap; default 100.'),
    timeoutMs: queryTimeoutField,
  }),
  output: queryResultSchema.extend({
    question: z.string(),
    explanation: z.string(),
    attempts: z
      .array(z.object({ cypher: z.string(), error: z.string().optional() }))
      .describe('every Cypher the model wrote, with why it was refused'),
    translatedBy: z.object({
      backend: z.string(),
      model: z.string(),
      host: z.string().optional(),
      confidence: z.number(),
    }),
  }),
  examples: [{ question: 'Which countries does the USA depend on most for trade?' }],
  async handler(input, context) {
    const translation = await translateQuestion(input.question, context);
    const result = await knowledge('question', async () =>
      runAgentCypher(
        await context.knowledge.graph(),
        translation.cypher,
        agentQueryOptions(context.knowledge, { maxRows: input.maxRows, timeoutMs: input.timeoutMs }),
      ),
    );
    return {
      ...result,
      question: input.question,
      explanation: translation.explanation,
      attempts: translation.attempts,
      translatedBy: { ...translation.answeredBy, confidence: translation.confidence },
    };
  },
  summarize: (o) =>
    `Cypher: ${o.cypher}\n${o.rows.length} of ${o.totalRows} rows${o.truncated ? ` (truncated by ${o.truncatedBy})` : ''}\n${JSON.stringify(o.rows.slice(0, 20))}`,
});
