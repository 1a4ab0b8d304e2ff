// Agent memory tools: remember, recall and forget entities, observations and relations.
import { z } from 'zod';
import { forget, recall, remember } from '../../knowledge/memory.js';
import type { EmbedUsage } from '../../knowledge/vector/embedder.js';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { knowledge } from './common.js';

const name = z.string().trim().min(1).max(300);
const relation = z.object({
  from: name,
  to: name,
  relationType: z.string().trim().min(1).max(100).describe('e.g. works_on'),
});

export const embeddingUsage = z
  .object({
    source: z.string(),
    model: z.string(),
    inputTokens: z.number().int(),
    costUsd: z.number(),
    latencyMs: z.number(),
  })
  .describe('the embedding calls this request made');

export function usageCollector() {
  const usage = { source: '', model: '', inputTokens: 0, costUsd: 0, latencyMs: 0 };
  let used = false;
  return {
    onUsage: (u: EmbedUsage) => {
      used = true;
      usage.source = u.source;
      usage.model = u.model;
      usage.inputTokens += u.inputTokens;
      usage.costUsd += u.costUsd;
      usage.latencyMs += u.latencyMs;
    },
    result: () => (used ? { embedding: { ...usage, latencyMs: Number(usage.latencyMs.toFixed(3)) } } : {}),
  };
}

export const rememberFacts = defineTool({
  name: 'knowledge_base_remember_facts',
  domain: 'knowledge-base',
  tags: ['memory', 'remember', 'store', 'entity', 'observation', 'relation', 'facts'],
  requests: [
    'remember a fact',
    'store entities and relations in memory',
    'add an observation to memory',
    'keep a fact in memory',
    'save a note about someone for later',
  ],
  title: 'Remember facts',
  description:
    'Stores facts in agent memory: entities (with a type and observations), observations added to entities, and relations between entities. One call is one transaction; repeated observations are not duplicated; everything becomes searchable. Example: {"entities": [{"name": "Ada", "entityType": "person", "observations": ["maintains the GPU pool"]}], "relations": [{"from": "Ada", "to": "Caelum", "relationType": "works_on"}]}',
  kind: { effect: 'action', idempotent: true },
  input: z.object({
    entities: z
      .array(
        z.object({
          name,
          entityType: z.string().trim().min(1).max(100).optional().describe('e.g. person'),
          observations: z.array(z.string().trim().min(1).max(4_000)).max(200).optional(),
        }),
      )
      .max(500)
      .optional()
      .describe('Created or updated.'),
    observations: z
      .array(
        z.object({
          entity: name.describe('Entity name.'),
          contents: z.array(z.string().trim().min(1).max(4_000)).min(1).max(200),
        }),
      )
      .max(500)
      .optional()
      .describe('For entities (created if missing).'),
    relations: z.array(relation).max(1_000).optional().describe('Endpoints created if missing.'),
  }),
  output: z.object({
    entities: z.number().int(),
    observations: z.number().int(),
    relations: z.number().int(),
    indexed: z.number().int(),
    embedding: embeddingUsage.optional(),
  }),
  examples: [{ entities: [{ name: 'Ada', entityType: 'person', observations: ['maintains the GPU pool'] }] }],
  async handler(input, context) {
    const usage = usageCollector();
    // With a database the call goes into the shared log first, then into this instance's graph.
    const shared = context.environment.memoryLog;
    const result = await knowledge('entities', () =>
      shared
        ? shared.remember(input, { onUsage: usage.onUsage })
        : remember(context.knowledge, input, { signal: context.signal, onUsage: usage.onUsage }),
    );
    return { ...result, ...usage.result() };
  },
});

const recalled = z.object({
  name: z.string(),
  entityType: z.string(),
  observations: z.array(z.string()),
  relations: z.array(z.object({ direction: z.enum(['out', 'in']), relationType: z.string(), other: z.string() })),
  score: z.number().optional(),
});

export const recallFacts = defineTool({
  name: 'knowledge_base_recall_facts',
  domain: 'knowledge-base',
  tags: ['memory', 'recall', 'search', 'entity', 'observation', 'facts'],
  requests: [
    'recall facts from memory',
    'what do I know about an entity',
    'search agent memory',
    'what is known in memory about someone',
    'what do you remember about a person',
    'retrieve stored facts',
    'fetch a fact I saved before',
  ],
  title: 'Recall facts',
  description:
    'Recalls agent memory: entities by exact name, or by a question searched over observations, entities and relations; returns each entity with its observations and relations. Example: {"query": "who maintains the GPU pool?"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    query: z.string().trim().min(1).max(2_000).optional().describe('Question or keywords.'),
    names: z.array(name).max(100).optional().describe('Exact entity names.'),
    entityType: z.string().max(100).optional().describe('Only this type.'),
    k: z.number().int().min(1).max(100).default(10).describe('Most entities.'),
  }),
  output: z.object({
    entities: z.array(recalled),
    matches: z.array(z.object({ id: z.string(), text: z.string(), score: z.number() })),
    embedding: embeddingUsage.optional(),
    sharedLog: z
      .string()
      .optional()
      .describe(
        'Set when memory is shared through PostgreSQL and its log could not be read: the answer is this instance alone.',
      ),
  }),
  examples: [{ query: 'GPU pool maintainer' }, { names: ['Ada'] }],
  async handler(input, context) {
    if (!input.query && !input.names?.length)
      throw new InputError('query', 'give a query to search memory, or names of entities to fetch');
    const usage = usageCollector();
    // What other instances remembered is applied here first (read-after-write across instances).
    const problem = await context.environment.memoryLog?.catchUp();
    const result = await knowledge('query', () =>
      recall(context.knowledge, { ...input, signal: context.signal, onUsage: usage.onUsage }),
    );
    return { ...result, ...usage.result(), ...(problem ? { sharedLog: problem } : {}) };
  },
});

export const forgetFacts = defineTool({
  name: 'knowledge_base_forget_facts',
  domain: 'knowledge-base',
  tags: ['memory', 'forget', 'delete', 'entity', 'observation', 'relation'],
  requests: [
    'forget facts',
    'drop a person or thing from agent memory',
    'remove a relation or observation',
    'remove a stored fact',
    'delete an entity from memory',
    'erase an observation from agent memory',
  ],
  title: 'Forget facts',
  description:
    'Deletes from agent memory: whole entities (with their observations and relations), single observations, or relations. Destructive: needs confirm: true through runTool. Example: {"observations": [{"entity": "Ada", "contents": ["maintains the GPU pool"]}]}',
  kind: { effect: 'destructive', idempotent: true },
  input: z.object({
    entities: z.array(name).max(500).optional().describe('Entity names to delete with everything attached.'),
    observations: z
      .array(
        z.object({
          entity: name.describe('Entity name.'),
          contents: z.array(z.string().min(1).max(4_000)).min(1).max(200).describe('Exact observation texts.'),
        }),
      )
      .max(500)
      .optional()
      .describe('Observations to delete.'),
    relations: z.array(relation).max(1_000).optional().describe('Relations to delete.'),
  }),
  output: z.object({ entities: z.number().int(), observations: z.number().int(), relations: z.number().int() }),
  examples: [{ relations: [{ from: 'Ada', to: 'Caelum', relationType: 'works_on' }] }],
  handler: (input, context) =>
    knowledge('entities', () => context.environment.memoryLog?.forget(input) ?? forget(context.knowledge, input)),
});
