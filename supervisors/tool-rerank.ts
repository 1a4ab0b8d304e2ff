// Optional reranking of findTools' best candidates by a small local model through the pool: the
// model sees the request and the top few tools (name, title, first sentence) and names the one that
// fits best, which moves to the top. It is asked for only when the caller sets `rerank` and a local
// host can serve it, its LLM step lands in the execution block like any other, and any failure
// leaves the keyword order as it was. The ranking figures never depend on it.
import { z } from 'zod';
import type { AnyTool } from '../tools/define-tool.js';
import type { ToolContext } from '../tools/context.js';

const depth = 5;

const choice = z.object({ best: z.string().describe('the name of the listed tool that fits the request best') });

const system =
  'You match a request to a software tool. Read the request and the numbered tools, then answer only with ' +
  'JSON {"best": "<tool name>"} naming exactly one of the listed tools: the one that does what the request asks.';

function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return end > 0 ? text.slice(0, end + 1) : text;
}

export interface Reranked<H> {
  hits: H[];
  /** What happened, for the result's `rerank` field. */
  note: string;
}

export async function rerankHits<H extends { tool: AnyTool }>(
  context: ToolContext,
  query: string,
  hits: readonly H[],
): Promise<Reranked<H>> {
  const candidates = hits.slice(0, depth);
  if (candidates.length < 2) return { hits: [...hits], note: 'not reranked: fewer than two candidates' };
  const mode = context.pool.status().mode;
  if (mode !== 'local-only' && mode !== 'local-and-claude')
    return { hits: [...hits], note: `not reranked: no local model host is available (pool mode ${mode})` };
  const list = candidates
    .map((hit, i) => `${i + 1}. ${hit.tool.name}: ${hit.tool.title}. ${firstSentence(hit.tool.description)}`)
    .join('\n');
  try {
    const result = await context.pool.complete({
      system,
      prompt: `Request: ${query}\n\nTools:\n${list}`,
      schema: choice,
      tier: 'small',
      // The first local answer is taken: a rerank is not worth an escalation.
      threshold: 0,
      maxTokens: 80,
      signal: context.signal,
    });
    const named = result.value?.best.trim();
    const index = candidates.findIndex((hit) => hit.tool.name === named);
    if (index < 0)
      return {
        hits: [...hits],
        note: `not reranked: the model named no listed tool (${JSON.stringify(named ?? result.text.slice(0, 80))})`,
      };
    const by = `${result.answeredBy.model}${result.answeredBy.host ? ` on ${result.answeredBy.host}` : ''}`;
    return {
      hits: [hits[index]!, ...hits.filter((_, i) => i !== index)],
      note: `reranked the top ${candidates.length} by ${by}: it chose ${named} (was ${index + 1})`,
    };
  } catch (error) {
    return { hits: [...hits], note: `not reranked: ${(error as Error).message}` };
  }
}
