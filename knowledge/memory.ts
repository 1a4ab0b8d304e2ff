// Agent memory: entities with typed observations and named relations, the model of the reference
// memory server, stored in the graph instead of a JSON file that concurrent writers corrupt. One
// call is one write transaction (through the single writer), observations are deduplicated by
// content, and every entity and observation is also a searchable document.
import { createHash } from 'node:crypto';
import type { EmbedUsage } from './vector/embedder.js';
import type { Statement } from './graph/graph-store.js';
import type { KnowledgeStore } from './knowledge-store.js';
import { KnowledgeError } from './knowledge-error.js';

export interface EntityInput {
  name: string;
  entityType?: string;
  observations?: string[];
}

export interface RelationInput {
  from: string;
  to: string;
  relationType: string;
}

export interface RememberInput {
  entities?: EntityInput[];
  relations?: RelationInput[];
  /** Observations to add to entities (created with type "unspecified" when missing). */
  observations?: { entity: string; contents: string[] }[];
}

export interface ForgetInput {
  entities?: string[];
  observations?: { entity: string; contents: string[] }[];
  relations?: RelationInput[];
}

export interface ForgetResult {
  entities: number;
  observations: number;
  relations: number;
}

/** Options of a remember or forget applied from the shared memory log (knowledge/memory-log.ts). */
export interface ApplyOptions {
  /** The time recorded on what is created (the log row's, so every instance records the same). */
  now?: string;
  /** Graph writes committed in the same transaction (the log's applied mark). */
  statements?: Statement[];
}

export interface RememberResult {
  entities: number;
  observations: number;
  relations: number;
  indexed: number;
}

export interface RecalledEntity {
  name: string;
  entityType: string;
  observations: string[];
  relations: { direction: 'out' | 'in'; relationType: string; other: string }[];
  score?: number;
}

export const memoryNamespace = 'memory';

export function observationId(entity: string, content: string): string {
  return `obs:${createHash('sha256').update(`${entity}\u0000${content}`).digest('hex').slice(0, 24)}`;
}

/** Refuses a remember call that names nothing (checked before it goes into the shared log, too). */
export function assertSomethingToRemember(input: RememberInput): void {
  const named =
    (input.entities?.length ?? 0) +
    (input.relations?.length ?? 0) +
    (input.observations ?? []).reduce((n, o) => n + o.contents.length, 0);
  if (named === 0)
    throw new KnowledgeError('BAD_INPUT', 'nothing to remember: give entities, relations or observations');
}

export async function remember(
  store: KnowledgeStore,
  input: RememberInput,
  options: { signal?: AbortSignal; onUsage?: (usage: EmbedUsage) => void } & ApplyOptions = {},
): Promise<RememberResult> {
  const now = options.now ?? new Date().toISOString();
  const entities = new Map<string, string>();
  const typed = new Map<string, string>();
  for (const e of input.entities ?? []) {
    entities.set(e.name, e.entityType ?? entities.get(e.name) ?? 'unspecified');
    if (e.entityType) typed.set(e.name, e.entityType);
  }
  const observations: { id: string; entity: string; content: string }[] = [];
  const seen = new Set<string>();
  const addObservation = (entity: string, content: string) => {
    const id = observationId(entity, content);
    if (seen.has(id)) return;
    seen.add(id);
    observations.push({ id, entity, content });
  };
  for (const e of input.entities ?? []) for (const o of e.observations ?? []) addObservation(e.name, o);
  for (const o of input.observations ?? []) for (const c of o.contents) addObservation(o.entity, c);
  const relations = input.relations ?? [];
  // Endpoints named only in relations or observations are created with an unspecified type.
  const implicit = new Set(
    [...relations.flatMap((r) => [r.from, r.to]), ...observations.map((o) => o.entity)].filter((n) => !entities.has(n)),
  );
  if (entities.size + implicit.size === 0)
    throw new KnowledgeError('BAD_INPUT', 'nothing to remember: give entities, relations or observations');
  const statements = [
    // Kuzu 0.11.3 fails with bad_function_call on ON MATCH SET with a CASE over the matched node,
    // so the type update of explicitly typed entities is its own statement.
    // `now` travels in each row (not as a parameter), so the store can coalesce concurrent calls'
    // statements into one UNWIND each; MERGE keeps duplicates across them apart.
    {
      cypher:
        'UNWIND $rows AS r MERGE (e:Entity {name: r.name}) ON CREATE SET e.entityType = r.type, e.createdAt = r.now, e.updatedAt = r.now',
      params: {
        rows: [
          ...[...entities].map(([name, type]) => ({ name, type, now })),
          ...[...implicit].map((name) => ({ name, type: 'unspecified', now })),
        ],
      },
    },
    {
      cypher: 'UNWIND $rows AS r MATCH (e:Entity {name: r.name}) SET e.entityType = r.type, e.updatedAt = r.now',
      params: { rows: [...typed].map(([name, type]) => ({ name, type, now })) },
    },
    {
      cypher:
        'UNWIND $rows AS r MATCH (e:Entity {name: r.entity}) MERGE (o:Observation {id: r.id}) ON CREATE SET o.entity = r.entity, o.content = r.content, o.createdAt = r.now MERGE (e)-[:HAS_OBSERVATION]->(o)',
      params: { rows: observations.map((o) => ({ ...o, now })) },
    },
    {
      cypher:
        'UNWIND $rows AS r MATCH (a:Entity {name: r.from}), (b:Entity {name: r.to}) MERGE (a)-[x:RELATION {relationType: r.type}]->(b) ON CREATE SET x.createdAt = r.now',
      params: { rows: relations.map((r) => ({ from: r.from, to: r.to, type: r.relationType, now })) },
    },
  ];
  // Documents: one per observation, one per entity that was named with a type.
  const documents = [
    ...observations.map((o) => ({
      id: o.id,
      namespace: memoryNamespace,
      type: 'observation',
      text: `${o.entity}: ${o.content}`,
      ref: `Entity:${o.entity}`,
    })),
    ...[...entities].map(([name, type]) => ({
      id: `entity:${name}`,
      namespace: memoryNamespace,
      type: 'entity',
      text: `${name} (${type})`,
      ref: `Entity:${name}`,
    })),
    ...relations.map((r) => ({
      id: `rel:${createHash('sha256').update(`${r.from}\u0000${r.relationType}\u0000${r.to}`).digest('hex').slice(0, 24)}`,
      namespace: memoryNamespace,
      type: 'relation',
      text: `${r.from} ${r.relationType} ${r.to}`,
      ref: `Entity:${r.from}`,
    })),
  ];
  // Entities, observations, relations and their documents commit in one transaction.
  const indexed = await store.indexDocuments(documents, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onUsage ? { onUsage: options.onUsage } : {}),
    statements: [...statements.filter((st) => (st.params.rows as unknown[]).length > 0), ...(options.statements ?? [])],
  });
  return {
    entities: entities.size + implicit.size,
    observations: observations.length,
    relations: relations.length,
    indexed,
  };
}

/** Entities by name, with their observations and relations. */
export async function entitiesNamed(store: KnowledgeStore, names: readonly string[]): Promise<RecalledEntity[]> {
  if (names.length === 0) return [];
  const graph = await store.graph();
  // Two queries for any number of names: entities with their observations, and relations both ways.
  const [withObservations, relations] = await Promise.all([
    graph.read(
      'UNWIND $names AS n MATCH (e:Entity {name: n}) OPTIONAL MATCH (e)-[:HAS_OBSERVATION]->(o:Observation) RETURN e.name AS name, e.entityType AS type, collect({content: o.content, at: o.createdAt}) AS observations',
      { names: [...names] },
      { maxRows: names.length },
    ),
    graph.read(
      'UNWIND $names AS n MATCH (e:Entity {name: n})-[r:RELATION]->(x:Entity) RETURN e.name AS name, r.relationType AS type, x.name AS other, "out" AS direction UNION ALL UNWIND $names AS n MATCH (e:Entity {name: n})<-[r:RELATION]-(x:Entity) RETURN e.name AS name, r.relationType AS type, x.name AS other, "in" AS direction',
      { names: [...names] },
      { maxRows: 10_000 },
    ),
  ]);
  const base = { rows: withObservations.rows };
  const observations = {
    rows: withObservations.rows.flatMap((row) =>
      (row.observations as { content: string | null; at: string | null }[])
        .filter((o) => o.content !== null)
        .sort((a, b) => String(a.at).localeCompare(String(b.at)) || String(a.content).localeCompare(String(b.content)))
        .map((o) => ({ name: row.name, content: o.content })),
    ),
  };
  const byName = new Map<string, RecalledEntity>();
  for (const row of base.rows)
    byName.set(String(row.name), {
      name: String(row.name),
      entityType: String(row.type ?? 'unspecified'),
      observations: [],
      relations: [],
    });
  for (const row of observations.rows) byName.get(String(row.name))?.observations.push(String(row.content));
  for (const row of relations.rows)
    byName.get(String(row.name))?.relations.push({
      direction: row.direction === 'out' ? 'out' : 'in',
      relationType: String(row.type),
      other: String(row.other),
    });
  return names.map((n) => byName.get(n)).filter((e): e is RecalledEntity => e !== undefined);
}

export async function recall(
  store: KnowledgeStore,
  request: {
    query?: string;
    names?: string[];
    k?: number;
    entityType?: string;
    signal?: AbortSignal;
    onUsage?: (usage: EmbedUsage) => void;
  },
): Promise<{ entities: RecalledEntity[]; matches: { id: string; text: string; score: number }[] }> {
  const names = new Map<string, number>();
  for (const n of request.names ?? []) names.set(n, 1);
  let matches: { id: string; text: string; score: number }[] = [];
  if (request.query) {
    const found = await store.search({
      query: request.query,
      k: Math.max(1, request.k ?? 10) * 3,
      filter: { namespace: memoryNamespace },
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.onUsage ? { onUsage: request.onUsage } : {}),
    });
    matches = found.hits.map((h) => ({ id: h.id, text: h.text ?? '', score: Number(h.score.toFixed(4)) }));
    for (const hit of found.hits) {
      const entity = hit.ref?.startsWith('Entity:') ? hit.ref.slice('Entity:'.length) : undefined;
      if (entity && !names.has(entity)) names.set(entity, hit.score);
    }
  }
  let entities = await entitiesNamed(store, [...names.keys()]);
  if (request.entityType) entities = entities.filter((e) => e.entityType === request.entityType);
  entities = entities
    .slice(0, request.k ?? 10)
    .map((e) => ({ ...e, ...(request.query ? { score: Number((names.get(e.name) ?? 0).toFixed(4)) } : {}) }));
  return { entities, matches: matches.slice(0, request.k ?? 10) };
}

export async function forget(
  store: KnowledgeStore,
  request: ForgetInput,
  options: Pick<ApplyOptions, 'statements'> = {},
): Promise<ForgetResult> {
  const graph = await store.graph();
  const entityNames = request.entities ?? [];
  const observationIds = (request.observations ?? []).flatMap((o) => o.contents.map((c) => observationId(o.entity, c)));
  // Observations of deleted entities go with them.
  const owned = entityNames.length
    ? await graph.read(
        'UNWIND $names AS n MATCH (e:Entity {name: n})-[:HAS_OBSERVATION]->(o:Observation) RETURN o.id AS id',
        { names: entityNames },
        { maxRows: 1_000_000 },
      )
    : { rows: [] };
  const allObservations = [...new Set([...observationIds, ...owned.rows.map((r) => String(r.id))])];
  const before = await Promise.all([graph.count('Entity'), graph.count('Observation'), graph.count('RELATION')]);
  // An UNWIND over an empty list cannot be typed by Kuzu's binder, so empty parts are left out.
  const relationRows = (request.relations ?? []).map((r) => ({ from: r.from, to: r.to, type: r.relationType }));
  await graph.write([
    ...(relationRows.length
      ? [
          {
            cypher:
              'UNWIND $rows AS r MATCH (a:Entity {name: r.from})-[x:RELATION]->(b:Entity {name: r.to}) WHERE x.relationType = r.type DELETE x',
            params: { rows: relationRows },
          },
        ]
      : []),
    ...(allObservations.length
      ? [
          {
            cypher: 'UNWIND $ids AS id MATCH (o:Observation {id: id}) DETACH DELETE o',
            params: { ids: allObservations },
          },
        ]
      : []),
    ...(entityNames.length
      ? [{ cypher: 'UNWIND $names AS n MATCH (e:Entity {name: n}) DETACH DELETE e', params: { names: entityNames } }]
      : []),
    ...(options.statements ?? []),
  ]);
  const after = await Promise.all([graph.count('Entity'), graph.count('Observation'), graph.count('RELATION')]);
  const relationDocs = (request.relations ?? []).map(
    (r) =>
      `rel:${createHash('sha256').update(`${r.from}\u0000${r.relationType}\u0000${r.to}`).digest('hex').slice(0, 24)}`,
  );
  await store.removeDocuments([...allObservations, ...entityNames.map((n) => `entity:${n}`), ...relationDocs]);
  return { entities: before[0] - after[0], observations: before[1] - after[1], relations: before[2] - after[2] };
}
