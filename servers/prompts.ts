// MCP prompts: ready-made tasks that clients such as Claude Code offer as slash commands. Each one
// returns a user message that tells the agent which Caelum tools to call, with the arguments
// filled in from the prompt's own. A server may offer more prompts than these (ServerOptions
// .extraPrompts); every function here takes the list it serves from.
import type { GetPromptResult, Prompt, PromptMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Suite } from './composition.js';
import { invalidParams } from './strict-server.js';

type Arguments = Record<string, string>;

/** Completion values for one argument, given the arguments chosen so far. */
export type CompletionSource = (suite: Suite, context: Arguments) => Promise<readonly string[]> | readonly string[];

export interface PromptDefinition extends Prompt {
  arguments: { name: string; description: string; required?: boolean }[];
  /** Values an argument accepts, where it is a closed set (its completions, and checked on get). */
  choices?: Record<string, readonly string[]>;
  /** Completions for arguments that take any value but have likely ones. */
  completions?: Record<string, CompletionSource>;
  /** A string is one user text message; messages can also carry images and embedded resources. */
  render(args: Arguments): string | PromptMessage[];
}

const groupings = ['model', 'backend', 'day', 'tool', 'supervisor', 'host'] as const;
const call = (tool: string, args: Record<string, unknown>) => `${tool} with ${JSON.stringify(args)}`;
const globs = (text: string | undefined) =>
  (text ?? '')
    .split(',')
    .map((glob) => glob.trim())
    .filter(Boolean);

export const prompts: PromptDefinition[] = [
  {
    name: 'security_review',
    title: 'Security review of this repository',
    description:
      'Scans the repository for vulnerabilities (taint flows to sinks, crypto and config issues) and walks through each finding with its fix.',
    arguments: [
      { name: 'project', description: 'Project directory inside the allowed roots; default "." (the first root).' },
      { name: 'paths', description: 'Comma-separated globs to limit the scan, e.g. "src/**,lib/**".' },
    ],
    render(args) {
      const paths = globs(args.paths);
      const scan = {
        project: args.project || '.',
        task: 'security_scan',
        maxFindings: 50,
        ...(paths.length ? { paths } : {}),
      };
      return [
        `Review the security of the repository at ${scan.project}.`,
        `1. Call the Caelum tool ${call('analyzeAndImproveCode', scan)}. It analyses the code without running it.`,
        '2. Go through the findings, highest severity first. For each: file and line, CWE, the evidence (where the input enters and the sink it reaches), why it is exploitable, and the fix. Where a finding carries a patch, show it and offer to apply it.',
        '3. If totalFindings is larger than the findings returned, or files were skipped, say so, and call analyzeAndImproveCode again with `paths` narrowed to the directories that matter.',
        '4. End with a short risk summary: what to fix now, what can wait. Do not run the project to confirm a finding.',
      ].join('\n');
    },
  },
  {
    name: 'review_changes',
    title: 'Review my changes',
    description: 'Reviews the uncommitted, staged or branch changes for bugs and vulnerabilities on the changed lines.',
    arguments: [
      {
        name: 'against',
        description: 'Git ref to diff against, or "staged"; default HEAD (uncommitted work). E.g. "main".',
      },
      { name: 'project', description: 'Repository directory inside the allowed roots; default ".".' },
    ],
    render(args) {
      const review = { project: args.project || '.', against: args.against || 'HEAD' };
      return [
        `Review my changes in ${review.project} against ${review.against}.`,
        `1. Call the Caelum tool ${call('reviewChanges', review)}.`,
        '2. Report the findings on changed lines, blocking ones first (security, correctness), then advisory ones (complexity, style), each with file:line, what is wrong and the concrete fix.',
        '3. If there are no findings, say which files were reviewed (changedFiles) and note anything the notes say was not checked (for example, no LLM review without a pool backend).',
        '4. Do not commit or push anything.',
      ].join('\n');
    },
  },
  {
    name: 'market_briefing',
    title: 'Daily market briefing',
    description:
      'A briefing from the knowledge snapshots: regime changes, crisis-probability movers and alerts per country, compared with the previous snapshot.',
    arguments: [
      { name: 'snapshot', description: 'Snapshot to brief on, e.g. "kb_snapshot_20261122"; default the newest.' },
      { name: 'previous', description: 'Snapshot to compare with; default the one before `snapshot`.' },
      { name: 'focus', description: 'A country or theme to go deeper on, e.g. "Germany" or "oil supply".' },
    ],
    render(args) {
      const signals = {
        ...(args.snapshot ? { snapshot: args.snapshot } : {}),
        ...(args.previous ? { previous: args.previous } : {}),
      };
      const lines = [
        "Write today's market briefing from the Caelum knowledge snapshots.",
        `1. Call the Caelum tool ${call('generateMarketSignals', signals)}.`,
        '   If it answers that there is no snapshot yet, call getSnapshotStatus with {} and offer to start one with buildKnowledgeSnapshot with {"background": true}; stop there.',
        '2. Lead with the alerts. Then the regime changes and the largest moves in 12-month crisis probability, by country, with the numbers and the previous values.',
      ];
      if (args.focus)
        lines.push(
          `3. Go deeper on ${args.focus}: call ${call('searchKnowledge', { query: args.focus, k: 5, expandHops: 1 })}, then ${call('queryKnowledgeGraph', { question: `What drives the risk for ${args.focus}, and which countries does it depend on most?` })}.`,
        );
      lines.push(
        `${args.focus ? 4 : 3}. Keep it under 300 words, say which snapshots you compared, and do not give investment advice.`,
      );
      return lines.join('\n');
    },
  },
  {
    name: 'cost_savings',
    title: 'Explain my LLM cost savings',
    description:
      "Explains what Caelum's LLM work cost, what the same work would have cost on Claude alone, and where the saving came from.",
    arguments: [
      { name: 'since', description: 'Only calls from this ISO date on, e.g. "2026-11-01"; default all.' },
      { name: 'groupBy', description: `How to break the costs down: ${groupings.join(', ')}; default model.` },
    ],
    choices: { groupBy: groupings },
    render(args) {
      const report = { groupBy: args.groupBy || 'model', ...(args.since ? { since: args.since } : {}) };
      return [
        'Explain my LLM cost savings with Caelum.',
        `1. Call the Caelum tool ${call('getCostReport', report)}.`,
        '2. Call getPoolStatus with {} to see which Ollama hosts and models served the work and whether Claude is the fallback.',
        '3. Explain: the actual cost, the all-Claude baseline (the same tokens priced at the baseline Claude model), and the saving = baseline - actual, in dollars and percent; then the breakdown, largest saving first, naming the hosts or models that did the work.',
        '4. If the report shows no calls, say that no LLM work has been recorded yet, and from the pool status what is configured.',
      ].join('\n');
    },
  },
];

/** Caelum's prompts followed by a server's own; a name may be served only once. */
export function promptsWith(extra: readonly PromptDefinition[] = []): readonly PromptDefinition[] {
  if (!extra.length) return prompts;
  const all = [...prompts, ...extra];
  const names = new Set<string>();
  for (const { name } of all) {
    if (names.has(name)) throw new Error(`extraPrompts: a prompt named ${JSON.stringify(name)} is already served`);
    names.add(name);
  }
  return all;
}

export function listPrompts(served: readonly PromptDefinition[] = prompts): Prompt[] {
  return served.map(({ name, title, description, arguments: args }) => ({
    name,
    title,
    description,
    arguments: args,
  }));
}

/** The prompt named, or -32602 Invalid params (what the spec says for an unknown name). */
export function findPrompt(name: string, served: readonly PromptDefinition[] = prompts): PromptDefinition {
  const prompt = served.find((p) => p.name === name);
  if (!prompt)
    throw invalidParams(
      `name: no prompt named ${JSON.stringify(name)}; prompts: ${served.map((p) => p.name).join(', ')}`,
    );
  return prompt;
}

const isoDate = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/;

export function getPrompt(
  name: string,
  args: Arguments = {},
  served: readonly PromptDefinition[] = prompts,
): GetPromptResult {
  const prompt = findPrompt(name, served);
  const known = prompt.arguments.map((a) => a.name);
  for (const [key, value] of Object.entries(args)) {
    if (!known.includes(key))
      throw invalidParams(`arguments.${key}: prompt ${name} has no such argument; its arguments: ${known.join(', ')}`);
    const choices = prompt.choices?.[key];
    if (value && choices?.length && !choices.includes(value))
      throw invalidParams(`arguments.${key} must be one of ${choices.join(', ')}; got ${JSON.stringify(value)}`);
  }
  if (args.since && (!isoDate.test(args.since) || Number.isNaN(Date.parse(args.since))))
    throw invalidParams(`arguments.since must be an ISO date such as 2026-11-01; got ${JSON.stringify(args.since)}`);
  const missing = prompt.arguments.filter((a) => a.required && !args[a.name]).map((a) => a.name);
  if (missing.length)
    throw invalidParams(`arguments.${missing[0]} is required; prompt ${name} requires ${missing.join(', ')}`);
  const rendered = prompt.render(args);
  return {
    description: prompt.description,
    messages: typeof rendered === 'string' ? [{ role: 'user', content: { type: 'text', text: rendered } }] : rendered,
  };
}
