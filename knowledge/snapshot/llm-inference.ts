// The LLM phases, through whatever `complete` the caller passes (Caelum passes the pool's confidence
// cascade). Stat inference asks for 5 stats per call; edge inference asks, per trade corridor, for the
// weight of each stat pair in both directions. Answers are validated by zod, matched to what was asked
// by name (never by position), stripped of unknown names and duplicates, and carry `llm:<model>` and
// their confidence. A failed call is recorded and the phase goes on.
import { z } from 'zod';
import { countryByIso3 } from './catalogue/countries.js';
import { corridorStatPairs, type Corridor } from './catalogue/corridors.js';
import { llmStatistics, statisticByName, type StatisticDefinition } from './catalogue/statistics.js';
import type { Observation } from './observation.js';

export interface LlmAnswer<T> {
  value: T | undefined;
  model: string;
  confidence: number;
  lowConfidence: boolean;
  costUsd?: number;
}

export type CompleteJson = <T>(request: {
  system: string;
  prompt: string;
  schema: z.ZodType<T>;
  maxTokens: number;
  signal?: AbortSignal;
}) => Promise<LlmAnswer<T>>;

export interface InferredStat {
  country: string;
  stat: string;
  value: number;
  unit: string;
  /** The model's own confidence in the value, 0–1. */
  confidence: number;
  reasoning: string;
  provenance: string;
}

export interface InferredEdge {
  key: string;
  sourceCountry: string;
  sourceStat: string;
  targetCountry: string;
  targetStat: string;
  weight: number;
  mechanism: string;
  lagMonths: number;
  confidence: number;
  provenance: string;
}

export interface InferenceReport<T> {
  items: T[];
  calls: number;
  failures: string[];
  /** Names in answers that were not asked for, and repeats. */
  dropped: { unknown: number; duplicates: number; missing: number };
  models: string[];
}

export const statsPerCall = 5;

const statAnswer = z.object({
  stats: z.array(
    z.object({
      name: z.string().min(1),
      value: z.number().finite(),
      unit: z.string().default(''),
      confidence: z.number().min(0).max(1),
      reasoning: z.string().default(''),
    }),
  ),
});

const edgeAnswer = z.object({
  edges: z.array(
    z.object({
      source_country: z.string().min(3),
      source_stat: z.string().min(1),
      target_country: z.string().min(3),
      target_stat: z.string().min(1),
      weight: z.number().min(0).max(1),
      mechanism: z.string().default(''),
      lag_months: z.number().int().min(0).max(60).default(3),
      confidence: z.number().min(0).max(1),
    }),
  ),
});

const statSystem =
  'You estimate macro-financial statistics for a country. Answer with JSON only: {"stats": [{"name": <stat name exactly as given>, "value": <number>, "unit": <unit>, "confidence": <0-1>, "reasoning": <one sentence>}]}. Give one entry per stat asked for, no others. Use the unit given.';
const edgeSystem =
  'You estimate how strongly a shock to one statistic of a country transmits to a statistic of its trade partner. Answer with JSON only: {"edges": [{"source_country": <ISO-3>, "source_stat": <name>, "target_country": <ISO-3>, "target_stat": <name>, "weight": <0-1 transmission strength>, "mechanism": <one sentence>, "lag_months": <integer>, "confidence": <0-1>}]}. One entry per pair asked for, names exactly as given.';

const anchors = [
  'real_gdp_growth',
  'headline_inflation',
  'policy_rate',
  'debt_to_gdp',
  'current_account_gdp',
  'private_credit_npls',
];

/** The latest value per stat, for the prompt's context: anchors first, then the batch's categories. */
function knownValues(observations: readonly Observation[], batch: readonly StatisticDefinition[]): string[] {
  const latest = new Map<string, Observation>();
  for (const o of observations) {
    const current = latest.get(o.stat);
    if (!current || o.date > current.date) latest.set(o.stat, o);
  }
  const categories = new Set(batch.map((s) => s.category));
  const chosen = [
    ...anchors,
    ...[...latest.keys()]
      .filter((name) => categories.has(statisticByName.get(name)?.category ?? '') && !anchors.includes(name))
      .sort(),
  ];
  return chosen
    .flatMap((name) => {
      const o = latest.get(name);
      return o ? [`${name} = ${o.value} ${o.unit} (${o.period}, ${o.provider})`] : [];
    })
    .slice(0, 12);
}

export function statBatches(): StatisticDefinition[][] {
  const batches: StatisticDefinition[][] = [];
  for (let i = 0; i < llmStatistics.length; i += statsPerCall) batches.push(llmStatistics.slice(i, i + statsPerCall));
  return batches;
}

export async function inferCountryStats(
  complete: CompleteJson,
  iso3: string,
  observations: readonly Observation[],
  options: { signal?: AbortSignal; onCall?: (done: number, total: number) => void } = {},
): Promise<InferenceReport<InferredStat>> {
  const country = countryByIso3.get(iso3)!;
  const report: InferenceReport<InferredStat> = {
    items: [],
    calls: 0,
    failures: [],
    dropped: { unknown: 0, duplicates: 0, missing: 0 },
    models: [],
  };
  const batches = statBatches();
  for (const [index, batch] of batches.entries()) {
    options.signal?.throwIfAborted();
    const known = knownValues(observations, batch);
    const prompt = [
      `Country: ${country.name} (${country.iso3})`,
      known.length ? `Known values:\n${known.map((k) => `- ${k}`).join('\n')}` : 'Known values: none ingested',
      'Estimate these statistics (name: description [unit]):',
      ...batch.map((s) => `- ${s.name}: ${s.label} [${s.unit}]`),
    ].join('\n');
    report.calls++;
    try {
      const answer = await complete({
        system: statSystem,
        prompt,
        schema: statAnswer,
        maxTokens: 1200,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (!report.models.includes(answer.model)) report.models.push(answer.model);
      if (!answer.value) {
        report.failures.push(`${iso3} batch ${index + 1}: the answer did not match the schema (${answer.model})`);
        report.dropped.missing += batch.length;
        continue;
      }
      const wanted = new Map(batch.map((s) => [s.name, s]));
      const seen = new Set<string>();
      for (const item of answer.value.stats) {
        const stat = wanted.get(item.name.trim());
        if (!stat) {
          report.dropped.unknown++;
          continue;
        }
        if (seen.has(stat.name)) {
          report.dropped.duplicates++;
          continue;
        }
        seen.add(stat.name);
        report.items.push({
          country: iso3,
          stat: stat.name,
          value: item.value,
          unit: stat.unit,
          confidence: item.confidence,
          reasoning: item.reasoning.slice(0, 400),
          provenance: `llm:${answer.model}`,
        });
      }
      report.dropped.missing += batch.length - seen.size;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      report.failures.push(
        `${iso3} batch ${index + 1}: ${(error as { code?: string }).code ?? ''} ${(error as Error).message}`.trim(),
      );
      report.dropped.missing += batch.length;
    } finally {
      options.onCall?.(index + 1, batches.length);
    }
  }
  return report;
}

export const edgeKey = (sourceCountry: string, sourceStat: string, targetCountry: string, targetStat: string) =>
  `${sourceCountry}_${sourceStat}->${targetCountry}_${targetStat}`;

export function corridorRequests(
  corridor: Corridor,
): { sourceCountry: string; sourceStat: string; targetCountry: string; targetStat: string }[] {
  return [
    [corridor.a, corridor.b],
    [corridor.b, corridor.a],
  ].flatMap(([from, to]) =>
    corridorStatPairs.map(([s, t]) => ({ sourceCountry: from!, sourceStat: s, targetCountry: to!, targetStat: t })),
  );
}

export async function inferCorridorEdges(
  complete: CompleteJson,
  corridor: Corridor,
  options: { signal?: AbortSignal } = {},
): Promise<InferenceReport<InferredEdge>> {
  const report: InferenceReport<InferredEdge> = {
    items: [],
    calls: 1,
    failures: [],
    dropped: { unknown: 0, duplicates: 0, missing: 0 },
    models: [],
  };
  const requests = corridorRequests(corridor);
  const a = countryByIso3.get(corridor.a)!;
  const b = countryByIso3.get(corridor.b)!;
  const prompt = [
    `Trade corridor: ${a.name} (${a.iso3}) <-> ${b.name} (${b.iso3}), bilateral trade intensity ${corridor.weight} on a 0-1 scale.`,
    'Pairs (source_country.source_stat -> target_country.target_stat):',
    ...requests.map((r) => `- ${r.sourceCountry}.${r.sourceStat} -> ${r.targetCountry}.${r.targetStat}`),
  ].join('\n');
  try {
    const answer = await complete({
      system: edgeSystem,
      prompt,
      schema: edgeAnswer,
      maxTokens: 2500,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    report.models.push(answer.model);
    if (!answer.value) {
      report.failures.push(`${corridor.a}-${corridor.b}: the answer did not match the schema (${answer.model})`);
      report.dropped.missing = requests.length;
      return report;
    }
    const wanted = new Set(requests.map((r) => edgeKey(r.sourceCountry, r.sourceStat, r.targetCountry, r.targetStat)));
    const seen = new Set<string>();
    for (const item of answer.value.edges) {
      const key = edgeKey(
        item.source_country.trim().toUpperCase(),
        item.source_stat.trim(),
        item.target_country.trim().toUpperCase(),
        item.target_stat.trim(),
      );
      if (!wanted.has(key)) {
        report.dropped.unknown++;
        continue;
      }
      if (seen.has(key)) {
        report.dropped.duplicates++;
        continue;
      }
      seen.add(key);
      const [source, target] = key.split('->') as [string, string];
      report.items.push({
        key,
        sourceCountry: source.slice(0, 3),
        sourceStat: source.slice(4),
        targetCountry: target.slice(0, 3),
        targetStat: target.slice(4),
        weight: item.weight,
        mechanism: item.mechanism.slice(0, 400),
        lagMonths: item.lag_months,
        confidence: item.confidence,
        provenance: `llm:${answer.model}`,
      });
    }
    report.dropped.missing = requests.length - seen.size;
  } catch (error) {
    if (options.signal?.aborted) throw error;
    report.failures.push(
      `${corridor.a}-${corridor.b}: ${(error as { code?: string }).code ?? ''} ${(error as Error).message}`.trim(),
    );
    report.dropped.missing = requests.length;
  }
  return report;
}
