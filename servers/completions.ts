// completion/complete: values for prompt arguments and resource-template variables, read from the
// suite (snapshots on disk, vector collections, Ollama hosts) and filtered by what has been typed.
import type { CompleteRequest, CompleteResult } from '@modelcontextprotocol/sdk/types.js';
import type { Suite } from './composition.js';
import { findPrompt, prompts, type CompletionSource, type PromptDefinition } from './prompts.js';
import { collectionNames, hostNames, resourceTemplates, snapshotNames } from './resources.js';
import { invalidParams } from './strict-server.js';

/** The protocol's cap on values in one completion result. */
export const maxCompletions = 100;

type Source = CompletionSource;

const snapshots: Source = (suite) => snapshotNames(suite).then((names) => [...names].reverse());

/** `previous` offers the snapshots older than the one already chosen, newest first. */
const olderSnapshots: Source = async (suite, context) => {
  const names = await snapshots(suite, context);
  const chosen = context.snapshot?.replace(/\.tar\.gz$/, '');
  const at = chosen ? names.indexOf(chosen) : -1;
  return at >= 0 ? names.slice(at + 1) : names;
};

const promptSources: Record<string, Record<string, Source>> = {
  market_briefing: { snapshot: snapshots, previous: olderSnapshots },
  review_changes: { against: () => ['HEAD', 'staged'] },
};

const templateSources: Record<string, Record<string, Source>> = {
  'caelum://kb/snapshots/{name}': { name: snapshots },
  'caelum://kb/collections/{name}': { name: collectionNames },
  'caelum://pool/hosts/{name}': { name: hostNames },
};

function sourceFor(params: CompleteRequest['params'], served: readonly PromptDefinition[]): Source | undefined {
  const { ref, argument } = params;
  if (ref.type === 'ref/prompt') {
    const prompt = findPrompt(ref.name, served);
    if (!prompt.arguments.some((a) => a.name === argument.name))
      throw invalidParams(
        `argument.name: prompt ${prompt.name} has no argument ${JSON.stringify(argument.name)}; its arguments: ${prompt.arguments.map((a) => a.name).join(', ')}`,
      );
    const choices = prompt.choices?.[argument.name];
    if (choices) return () => choices;
    return prompt.completions?.[argument.name] ?? promptSources[prompt.name]?.[argument.name];
  }
  const template = resourceTemplates.find((t) => t.uriTemplate === ref.uri);
  if (!template)
    throw invalidParams(
      `ref.uri: no resource template ${JSON.stringify(ref.uri)}; templates: ${resourceTemplates.map((t) => t.uriTemplate).join(', ')}`,
    );
  const source = templateSources[template.uriTemplate]?.[argument.name];
  if (!source)
    throw invalidParams(`argument.name: ${template.uriTemplate} has no variable ${JSON.stringify(argument.name)}`);
  return source;
}

export async function complete(
  suite: Suite,
  params: CompleteRequest['params'],
  served: readonly PromptDefinition[] = prompts,
): Promise<CompleteResult> {
  const source = sourceFor(params, served);
  if (!source) return { completion: { values: [], total: 0, hasMore: false } };
  const typed = params.argument.value.toLowerCase();
  const matches = (await source(suite, params.context?.arguments ?? {})).filter((value) =>
    value.toLowerCase().startsWith(typed),
  );
  return {
    completion: {
      values: matches.slice(0, maxCompletions),
      total: matches.length,
      hasMore: matches.length > maxCompletions,
    },
  };
}
