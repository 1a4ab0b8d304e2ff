// Tools over the financial knowledge graph: trade neighbours and paths, contagion chains and shock
// propagation, country profiles, statistic series, regimes and cross-country aggregation.
import { z } from 'zod';
import * as financial from '../../knowledge/financial.js';
import { defineTool } from '../define-tool.js';
import { knowledge } from './common.js';

const iso3 = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'an ISO-3 country code such as USA')
  .transform((s) => s.toUpperCase());
const statisticId = z
  .string()
  .min(3)
  .max(200)
  .describe('Statistic id "<ISO3>_<name>", e.g. "USA_policy_rate" (find ids with knowledge_base_find_nodes).');
const row = z.record(z.string(), z.unknown());

export const getNeighbours = defineTool({
  name: 'knowledge_base_get_neighbours',
  domain: 'knowledge-base',
  tags: ['trade', 'corridor', 'neighbours', 'country', 'dependency', 'graph', '1-hop'],
  requests: [
    'trade partners of a country',
    'countries linked by trade corridors',
    'who does a country depend on',
    'countries a country trades with most',
    'which countries a country depends on for trade',
    'biggest trading partners of a country',
  ],
  title: 'Trade neighbours of a country',
  description:
    'Lists the countries a country depends on through trade corridors (TRADE_DEPENDS weight = bilateral trade intensity), outgoing, incoming or both, strongest first. Example: {"country": "DEU", "direction": "both"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    country: iso3.describe('ISO-3 code, e.g. "DEU".'),
    direction: z
      .enum(['out', 'in', 'both'])
      .default('both')
      .describe('out: countries it depends on; in: countries depending on it.'),
    minWeight: z.number().min(0).max(1).default(0).describe('Skip corridors weaker than this.'),
    limit: z.number().int().min(1).max(200).default(20).describe('Most neighbours; default 20.'),
  }),
  output: z.object({ country: z.string(), neighbours: z.array(row) }),
  examples: [{ country: 'USA' }],
  handler: async (input, context) => ({
    country: input.country,
    neighbours: await knowledge('country', async () =>
      financial.neighbours(await context.knowledge.graph(), input.country, input),
    ),
  }),
});

export const traceContagion = defineTool({
  name: 'knowledge_base_trace_contagion',
  domain: 'knowledge-base',
  tags: ['contagion', 'chain', 'spillover', '2-hop', 'statistic', 'risk', 'graph'],
  requests: [
    'contagion from a statistic',
    'spillover chains two hops out',
    'what a statistic feeds into',
    'contagion links from one statistic to others',
    'which statistics does this one spill over into',
    'contagion edges out of a statistic',
  ],
  title: 'Contagion chains from a statistic',
  description:
    'Traces contagion from a statistic: direct CONTAGION edges with their weights and mechanisms, and 2-hop targets with the summed product of weights along every path. Example: {"statistic": "USA_policy_rate"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    statistic: statisticId,
    limit: z.number().int().min(1).max(500).default(20).describe('Most targets per hop; default 20.'),
  }),
  output: z.object({ statistic: z.string(), direct: z.array(row), twoHop: z.array(row) }),
  examples: [{ statistic: 'USA_policy_rate' }],
  handler: async (input, context) => ({
    statistic: input.statistic,
    ...(await knowledge('statistic', async () =>
      financial.contagionTwoHop(await context.knowledge.graph(), input.statistic, input.limit),
    )),
  }),
});

export const propagateShock = defineTool({
  name: 'knowledge_base_propagate_shock',
  domain: 'knowledge-base',
  tags: ['shock', 'propagation', 'contagion', 'scenario', 'stress', 'impact', 'decay'],
  requests: [
    'shock propagation through contagion edges',
    'stress test a scenario',
    'impact of a shock to a statistic',
    'ripple effects of a shock through the graph',
    'what if a statistic jumps',
    'simulate the impact of a shock across the graph',
  ],
  title: 'Propagate a shock through contagion',
  description:
    'Propagates a shock from a statistic through CONTAGION edges, breadth-first: impact(child) = impact(parent) × weight × decay, each node once, stopping below the floor or past maxHops. Returns impacted statistics, largest first, with the path step. Example: {"statistic": "USA_policy_rate", "shock": 1}',
  kind: { effect: 'readOnly' },
  input: z.object({
    statistic: statisticId,
    shock: z.number().min(-1000).max(1000).default(1).describe('Initial impact; default 1.'),
    decay: z.number().gt(0).max(1).default(0.6).describe('Per-hop decay; default 0.6.'),
    floor: z.number().min(0).max(1).default(0.01).describe('Stop below this absolute impact; default 0.01.'),
    maxHops: z.number().int().min(1).max(6).default(4).describe('Deepest hop; default 4.'),
    limit: z.number().int().min(1).max(1000).default(50).describe('Most results; default 50.'),
  }),
  output: z.object({
    statistic: z.string(),
    impacts: z.array(z.object({ statistic: z.string(), impact: z.number(), hops: z.number().int(), via: z.string() })),
  }),
  examples: [{ statistic: 'USA_policy_rate' }],
  handler: async (input, context) => ({
    statistic: input.statistic,
    impacts: await knowledge('statistic', async () =>
      financial.propagateShock(await context.knowledge.graph(), input.statistic, input),
    ),
  }),
});

export const findTradePaths = defineTool({
  name: 'knowledge_base_find_trade_paths',
  domain: 'knowledge-base',
  tags: ['path', 'shortest', 'trade', 'corridor', 'route', 'country'],
  requests: [
    'trade path between two countries',
    'shortest chain of trade dependencies',
    'how two countries are connected by trade',
    'route through trade partners from one country to another',
    'chain of trade links between two countries',
    'fewest hops from one country to another',
  ],
  title: 'Trade paths between countries',
  description:
    'Finds the fewest-hop chains of trade dependency from one country to another (up to 6 hops), strongest first by the product of corridor weights. Example: {"from": "MEX", "to": "KOR"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    from: iso3.describe('Start country, ISO-3.'),
    to: iso3.describe('End country, ISO-3.'),
    limit: z.number().int().min(1).max(50).default(5).describe('Most paths; default 5.'),
  }),
  output: z.object({
    from: z.string(),
    to: z.string(),
    paths: z.array(z.object({ path: z.array(z.string()), weights: z.array(z.number()), strength: z.number() })),
  }),
  examples: [{ from: 'MEX', to: 'KOR' }],
  handler: async (input, context) => ({
    from: input.from,
    to: input.to,
    paths: await knowledge('from', async () =>
      financial.tradePaths(await context.knowledge.graph(), input.from, input.to, input.limit),
    ),
  }),
});

export const getCountryProfile = defineTool({
  name: 'knowledge_base_get_country_profile',
  domain: 'knowledge-base',
  tags: ['country', 'profile', 'statistics', 'regime', 'corridors', 'exposure', 'summary'],
  requests: [
    'country fact sheet',
    'latest statistics, regime and corridors for one country',
    'country summary',
    'one country at a glance',
    'overview of a country',
    'everything the graph knows about a country',
  ],
  title: 'Country profile',
  description:
    'Summarises one country: its attributes, latest statistic values, current regime, strongest trade corridors, and the countries whose statistics feed contagion into it. Example: {"country": "JPN"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    country: iso3.describe('ISO-3 code, e.g. "JPN".'),
    statistics: z.number().int().min(0).max(500).default(30).describe('Most statistics listed; default 30.'),
  }),
  output: z.object({
    country: row,
    statistics: z.array(row),
    totalStatistics: z.number().int(),
    regime: row.nullable(),
    topCorridors: z.array(row),
    contagionSources: z.array(row),
  }),
  examples: [{ country: 'USA' }],
  handler: (input, context) =>
    knowledge('country', async () =>
      financial.countryProfile(await context.knowledge.graph(), input.country, input.statistics),
    ),
});

export const getSeries = defineTool({
  name: 'knowledge_base_get_series',
  domain: 'knowledge-base',
  tags: ['series', 'time series', 'observations', 'history', 'statistic', 'values'],
  requests: [
    'time series of a statistic',
    'observations over time',
    'values of a statistic by period',
    'how a statistic evolved across periods',
    'history of a statistic over the years',
    'data points of an indicator between two dates',
  ],
  title: 'Statistic time series',
  description:
    'Returns the observations of a statistic in period order, optionally between two periods (inclusive, compared as text: "2020", "2020-03"). Example: {"statistic": "USA_policy_rate", "from": "2015"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    statistic: statisticId,
    from: z.string().max(20).optional().describe('First period, e.g. "2015".'),
    to: z.string().max(20).optional().describe('Last period, e.g. "2024-12".'),
  }),
  output: z.object({ statistic: z.string(), points: z.array(row) }),
  examples: [{ statistic: 'USA_policy_rate' }],
  handler: async (input, context) => ({
    statistic: input.statistic,
    points: await knowledge('statistic', async () =>
      financial.series(await context.knowledge.graph(), input.statistic, input.from, input.to),
    ),
  }),
});

export const getRegime = defineTool({
  name: 'knowledge_base_get_regime',
  domain: 'knowledge-base',
  tags: ['regime', 'hmm', 'state', 'markov', 'country', 'stress'],
  requests: [
    'regime classification per country',
    'HMM regime history',
    'is a country stressed or tranquil',
    'crisis or calm state of a country over time',
    'which regime is a country in now',
    'regime probabilities over time',
  ],
  title: 'Country regime history',
  description:
    'Returns a country\'s market regimes (HMM states such as S0_Tranquil or S1_Stressed) with probability and date, newest first. Example: {"country": "TUR"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    country: iso3.describe('ISO-3 code.'),
    limit: z.number().int().min(1).max(500).default(12).describe('Most entries; default 12.'),
  }),
  output: z.object({ country: z.string(), regimes: z.array(row) }),
  examples: [{ country: 'USA' }],
  handler: async (input, context) => ({
    country: input.country,
    regimes: await knowledge('country', async () =>
      financial.regimes(await context.knowledge.graph(), input.country, input.limit),
    ),
  }),
});

export const aggregateStatistic = defineTool({
  name: 'knowledge_base_aggregate_statistic',
  domain: 'knowledge-base',
  tags: ['aggregate', 'region', 'average', 'compare', 'statistic', 'cross-country'],
  requests: [
    'statistic aggregated by region',
    'regional mean min max',
    'compare regions on a statistic',
    'statistic averaged per region',
    'average of a statistic per region',
    'compare a statistic across regions',
  ],
  title: 'Aggregate a statistic by region',
  description:
    'Aggregates one statistic across countries by region: count, mean, min and max of the latest values. Example: {"name": "policy_rate"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    name: z.string().min(1).max(200).describe('Statistic name without the country prefix, e.g. "policy_rate".'),
  }),
  output: z.object({ name: z.string(), regions: z.array(row) }),
  examples: [{ name: 'policy_rate' }],
  handler: async (input, context) => ({
    name: input.name,
    regions: await knowledge('name', async () =>
      financial.aggregateStatistic(await context.knowledge.graph(), input.name),
    ),
  }),
});
