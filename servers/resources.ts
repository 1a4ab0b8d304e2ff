// MCP resources: four fixed documents (catalogue, costs, graph schema, what the graph holds), one resource per knowledge
// snapshot on disk, and templates for snapshots, vector collections and Ollama hosts, whose
// variables complete through completion/complete.
import type { ReadResourceResult, Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import { snapshotsDirectory } from '../knowledge/snapshot/build-state.js';
import { listSnapshots, readSnapshotManifest, snapshotIndex } from '../knowledge/snapshot/snapshot-archive.js';
import { graphSource } from '../knowledge/snapshot/publish.js';
import { schemaText } from '../tools/knowledge-base/common.js';
import { sourceLine, sourceView } from '../tools/knowledge-base/sample-tools.js';
import { toolInputSchema } from '../tools/json-schema.js';
import { summarizeCosts } from '../tools/monitoring/summarize-costs.js';
import type { Suite } from './composition.js';
import { ProtocolError, invalidParams } from './strict-server.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';

const fixedResources: Resource[] = [
  {
    uri: 'caelum://catalog',
    name: 'catalog',
    title: 'Internal tool catalogue',
    description: 'Every internal tool with its domain, tags, effect and input schema.',
    mimeType: 'application/json',
  },
  {
    uri: 'caelum://costs',
    name: 'costs',
    title: 'LLM cost report',
    description:
      'Cost ledger totals by model: calls and their outcomes (accepted locally, escalated, failed), tokens, cost, all-Claude baseline, the saving booked with and without local compute cost, and how local time is priced.',
    mimeType: 'application/json',
  },
  {
    uri: 'caelum://kb/schema',
    name: 'kb-schema',
    title: 'Knowledge graph schema',
    description:
      'Node and relationship tables of the knowledge graph, with keys and types, for writing Cypher (under 1,500 tokens; cached per schema version).',
    mimeType: 'text/plain',
  },
  {
    uri: 'caelum://kb/source',
    name: 'kb-source',
    title: 'What the knowledge graph holds',
    description:
      'Where the financial graph came from: the bundled sample knowledge base (labelled sample, with the recordings its values come from and their dates) or the snapshot last published.',
    mimeType: 'application/json',
  },
];

const snapshotPrefix = 'caelum://kb/snapshots/';
const collectionPrefix = 'caelum://kb/collections/';
const hostPrefix = 'caelum://pool/hosts/';

export const resourceTemplates: ResourceTemplate[] = [
  {
    uriTemplate: `${snapshotPrefix}{name}`,
    name: 'kb-snapshot',
    title: 'Knowledge snapshot manifest',
    description:
      'The manifest of a knowledge snapshot: creation time, window, counts, sources with fetch times, file hashes, phase timings.',
    mimeType: 'application/json',
  },
  {
    uriTemplate: `${collectionPrefix}{name}`,
    name: 'kb-collection',
    title: 'Vector collection',
    description: 'A vector collection: embedder, dimension, distance space, entry count, size on disk.',
    mimeType: 'application/json',
  },
  {
    uriTemplate: `${hostPrefix}{name}`,
    name: 'pool-host',
    title: 'Ollama host status',
    description: 'One Ollama host of the pool: health, models, resident models with VRAM, load, breaker, latency.',
    mimeType: 'application/json',
  },
];

/** Snapshot names without `.tar.gz`, oldest first. */
export async function snapshotNames(suite: Suite): Promise<string[]> {
  const all = await listSnapshots(snapshotsDirectory(suite.config.dataDir));
  return all.map((s) => s.name.replace(/\.tar\.gz$/, ''));
}

export async function collectionNames(suite: Suite): Promise<string[]> {
  return (await suite.knowledge.collections()).map((c) => c.name);
}

/** Configured host names, plus any the pool reports (they are the same set today). */
export function hostNames(suite: Suite): string[] {
  const names = new Set(suite.config.ollamaHosts.map((h) => h.name));
  for (const host of suite.pool.status().hosts) names.add(host.name);
  return [...names];
}

/** Listed snapshots: the newest 50; older ones stay readable through the template. */
const listedSnapshots = 50;

export async function listResources(suite: Suite): Promise<Resource[]> {
  const snapshots = (await snapshotNames(suite)).slice(-listedSnapshots).reverse();
  return [
    ...fixedResources,
    ...snapshots.map((name) => ({
      uri: `${snapshotPrefix}${name}`,
      name,
      title: `Snapshot ${name}`,
      description: `Manifest of knowledge snapshot ${name}.`,
      mimeType: 'application/json',
    })),
  ];
}

const json = (uri: string, body: unknown): ReadResourceResult => ({
  contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }],
});

function nameIn(uri: string, prefix: string): string {
  const name = decodeURIComponent(uri.slice(prefix.length));
  if (!name || name.includes('/')) throw invalidParams(`uri: ${uri} has no name after ${prefix}`);
  return name;
}

function unknown(uri: string, what: string, available: readonly string[]): ProtocolError {
  const listed = available.length ? available.slice(-10).join(', ') : 'none';
  return invalidParams(`uri: no ${what} named in ${uri}; available: ${listed}`);
}

export async function readResource(suite: Suite, uri: string, signal: AbortSignal): Promise<ReadResourceResult> {
  if (uri === 'caelum://catalog') return json(uri, catalogueDocument(suite));
  if (uri === 'caelum://costs')
    return json(uri, await summarizeCosts.handler({ groupBy: 'model' }, suite.dispatcher.context({ signal })));
  if (uri === 'caelum://kb/schema') {
    try {
      const text = await schemaText(await suite.knowledge.graph());
      return { contents: [{ uri, mimeType: 'text/plain', text }] };
    } catch (error) {
      throw new ProtocolError(
        ErrorCode.InternalError,
        `the knowledge graph is not available: ${(error as Error).message}`,
      );
    }
  }
  if (uri === 'caelum://kb/source') {
    try {
      const source = await graphSource(await suite.knowledge.graph());
      return json(uri, {
        source: source ? sourceView(source) : null,
        ...(source?.kind === 'sample' ? { note: sourceLine(sourceView(source)) } : {}),
      });
    } catch (error) {
      throw new ProtocolError(
        ErrorCode.InternalError,
        `the knowledge graph is not available: ${(error as Error).message}`,
      );
    }
  }
  if (uri.startsWith(snapshotPrefix)) {
    const name = nameIn(uri, snapshotPrefix);
    const all = await listSnapshots(snapshotsDirectory(suite.config.dataDir));
    const found = all[snapshotIndex(all, name)];
    if (!found)
      throw unknown(
        uri,
        'snapshot',
        all.map((s) => s.name.replace(/\.tar\.gz$/, '')),
      );
    return json(uri, await readSnapshotManifest(found.file));
  }
  if (uri.startsWith(collectionPrefix)) {
    const name = nameIn(uri, collectionPrefix);
    const all = await suite.knowledge.collections();
    const found = all.find((c) => c.name === name);
    if (!found)
      throw unknown(
        uri,
        'collection',
        all.map((c) => c.name),
      );
    return json(uri, found);
  }
  if (uri.startsWith(hostPrefix)) {
    const name = nameIn(uri, hostPrefix);
    const found = suite.pool.status().hosts.find((h) => h.name === name);
    if (!found) throw unknown(uri, 'Ollama host', hostNames(suite));
    return json(uri, found);
  }
  throw invalidParams(
    `uri: unknown resource ${uri}; resources/list and resources/templates/list name the available ones`,
  );
}

export function catalogueDocument(suite: Suite): Record<string, unknown> {
  return {
    highLevel: suite.dispatcher
      .tools()
      .map((tool) => ({ name: tool.name, owner: tool.owner, title: tool.title, effect: tool.kind.effect })),
    internal: suite.registry.all().map((tool) => ({
      name: tool.name,
      domain: tool.domain,
      tags: tool.tags,
      title: tool.title,
      effect: tool.kind.effect,
      openWorld: tool.kind.openWorld === true,
      description: tool.description,
      inputSchema: toolInputSchema(tool),
    })),
  };
}
