// Trade corridors and seed contagion channels, as the peer KB defines them. A corridor A–B is bilateral
// trade intensity; it becomes two directed TRADE_DEPENDS edges, A→B at w and B→A at 0.9 w. A seed
// channel is a hand-set causal transmission strength between two statistics; "*" targets every
// other country. The LLM phase asks, per corridor, for the weights of the stat pairs below in both
// directions, and blends them into the seeds (new = 0.3 × seed + 0.7 × LLM).
import { countries } from './countries.js';

export interface Corridor {
  a: string;
  b: string;
  weight: number;
}

const corridorList: [string, string, number][] = [
  ['USA', 'CHN', 0.65],
  ['USA', 'CAN', 0.75],
  ['USA', 'MEX', 0.72],
  ['USA', 'JPN', 0.4],
  ['USA', 'DEU', 0.38],
  ['USA', 'GBR', 0.35],
  ['USA', 'KOR', 0.33],
  ['USA', 'IND', 0.28],
  ['CHN', 'JPN', 0.55],
  ['CHN', 'KOR', 0.52],
  ['CHN', 'DEU', 0.42],
  ['CHN', 'AUS', 0.58],
  ['CHN', 'BRA', 0.35],
  ['CHN', 'RUS', 0.3],
  ['CHN', 'IDN', 0.32],
  ['DEU', 'FRA', 0.55],
  ['DEU', 'NLD', 0.52],
  ['DEU', 'ITA', 0.42],
  ['DEU', 'POL', 0.45],
  ['DEU', 'ESP', 0.3],
  ['JPN', 'KOR', 0.35],
  ['JPN', 'AUS', 0.3],
  ['GBR', 'FRA', 0.3],
  ['GBR', 'NLD', 0.28],
  ['CAN', 'MEX', 0.2],
  ['SAU', 'IND', 0.4],
  ['SAU', 'CHN', 0.45],
  ['RUS', 'TUR', 0.25],
  ['BRA', 'MEX', 0.18],
  ['IDN', 'IND', 0.22],
  ['IDN', 'JPN', 0.3],
];

export const corridors: readonly Corridor[] = corridorList.map(([a, b, weight]) => ({ a, b, weight }));

/** The reverse direction of a corridor carries this share of its weight. */
export const reverseCorridorShare = 0.9;

export interface TradeEdge {
  from: string;
  to: string;
  weight: number;
}

export function tradeEdges(): TradeEdge[] {
  return corridors.flatMap((c) => [
    { from: c.a, to: c.b, weight: c.weight },
    { from: c.b, to: c.a, weight: round(c.weight * reverseCorridorShare) },
  ]);
}

export interface ContagionChannel {
  country: string;
  stat: string;
  /** A country, or "*" for all 19 others. */
  target: string;
  targetStat: string;
  weight: number;
  mechanism: string;
}

export const seedChannels: readonly ContagionChannel[] = [
  {
    country: 'USA',
    stat: 'policy_rate',
    target: '*',
    targetStat: 'policy_rate',
    weight: 0.85,
    mechanism: 'Fed policy sets global dollar funding costs; other central banks follow or defend their currencies',
  },
  {
    country: 'USA',
    stat: 'yield_spread_10y3m',
    target: '*',
    targetStat: 'yield_spread_10y3m',
    weight: 0.7,
    mechanism: 'US term premium moves global long-end yields',
  },
  {
    country: 'CHN',
    stat: 'real_gdp_growth',
    target: '*',
    targetStat: 'export_velocity',
    weight: 0.6,
    mechanism: 'Chinese demand drives partner exports',
  },
  {
    country: 'CHN',
    stat: 'private_credit_npls',
    target: '*',
    targetStat: 'bank_capital_adequacy',
    weight: 0.45,
    mechanism: 'Chinese credit losses hit creditor bank capital',
  },
  {
    country: 'USA',
    stat: 'm2_supply',
    target: '*',
    targetStat: 'currency_volatility',
    weight: 0.55,
    mechanism: 'US liquidity swings move the dollar and partner currencies',
  },
  {
    country: 'SAU',
    stat: 'crude_output',
    target: '*',
    targetStat: 'wti_brent_spread',
    weight: 0.75,
    mechanism: 'Saudi supply decisions move benchmark crude spreads',
  },
  {
    country: 'DEU',
    stat: 'real_gdp_growth',
    target: 'FRA',
    targetStat: 'real_gdp_growth',
    weight: 0.5,
    mechanism: 'German demand and supply chains',
  },
  {
    country: 'DEU',
    stat: 'real_gdp_growth',
    target: 'ITA',
    targetStat: 'real_gdp_growth',
    weight: 0.45,
    mechanism: 'German demand and supply chains',
  },
  {
    country: 'DEU',
    stat: 'real_gdp_growth',
    target: 'POL',
    targetStat: 'real_gdp_growth',
    weight: 0.55,
    mechanism: 'German demand and supply chains',
  },
  {
    country: 'JPN',
    stat: 'policy_rate',
    target: '*',
    targetStat: 'currency_volatility',
    weight: 0.4,
    mechanism: 'BoJ policy drives yen carry trades',
  },
];

export interface ContagionEdge {
  from: string;
  to: string;
  weight: number;
  mechanism: string;
  lagMonths?: number;
  confidence?: number;
  provenance: string;
}

export const statisticId = (iso3: string, stat: string) => `${iso3}_${stat}`;

/** The 136 seed CONTAGION edges (7 wildcard channels × 19 + 3). */
export function seedContagion(): ContagionEdge[] {
  return seedChannels.flatMap((channel) => {
    const targets =
      channel.target === '*'
        ? countries.map((c) => c.iso3).filter((iso3) => iso3 !== channel.country)
        : [channel.target];
    return targets.map((target) => ({
      from: statisticId(channel.country, channel.stat),
      to: statisticId(target, channel.targetStat),
      weight: channel.weight,
      mechanism: channel.mechanism,
      provenance: 'seed',
    }));
  });
}

/** The stat pairs whose transmission the LLM weighs for each corridor, in each direction. */
export const corridorStatPairs: readonly (readonly [string, string])[] = [
  ['real_gdp_growth', 'real_gdp_growth'],
  ['policy_rate', 'policy_rate'],
  ['yield_spread_10y3m', 'yield_spread_10y3m'],
  ['private_credit_npls', 'bank_capital_adequacy'],
  ['crude_output', 'wti_brent_spread'],
  ['currency_volatility', 'reserve_adequacy'],
];

/** Blending of an LLM weight into an existing seed edge. */
export const seedShare = 0.3;
/** LLM edges lighter than this are not added. */
export const minimumEdgeWeight = 0.05;

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
