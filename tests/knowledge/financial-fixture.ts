// A financial graph of the peer KB's shape (20 countries × 110 statistics = 2,220 nodes, trade
// corridors both ways, contagion channels), generated deterministically for tests and benchmarks.
import type { FinancialGraphData } from '../../knowledge/financial.js';

export const countryCodes = [
  'USA',
  'CHN',
  'DEU',
  'IND',
  'JPN',
  'GBR',
  'FRA',
  'ITA',
  'RUS',
  'CAN',
  'BRA',
  'ESP',
  'MEX',
  'AUS',
  'KOR',
  'TUR',
  'IDN',
  'NLD',
  'SAU',
  'POL',
];
const regions: Record<string, string> = {
  USA: 'Americas',
  CAN: 'Americas',
  MEX: 'Americas',
  BRA: 'Americas',
  CHN: 'Asia',
  IND: 'Asia',
  JPN: 'Asia',
  KOR: 'Asia',
  IDN: 'Asia',
  AUS: 'Oceania',
  SAU: 'Middle East',
  TUR: 'Europe',
  RUS: 'Europe',
};
const corridors: [string, string, number][] = [
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
const channels: [string, string, string, number][] = [
  ['USA', 'policy_rate', 'policy_rate', 0.85],
  ['USA', 'yield_spread_10y3m', 'yield_spread_10y3m', 0.7],
  ['CHN', 'real_gdp_growth', 'export_velocity', 0.6],
  ['CHN', 'private_credit_npls', 'bank_capital_adequacy', 0.45],
  ['USA', 'm2_supply', 'currency_volatility', 0.55],
  ['SAU', 'crude_output', 'wti_brent_spread', 0.75],
  ['JPN', 'policy_rate', 'currency_volatility', 0.4],
];

export function statNames(count = 110): string[] {
  const fixed = [
    'policy_rate',
    'yield_spread_10y3m',
    'real_gdp_growth',
    'export_velocity',
    'private_credit_npls',
    'bank_capital_adequacy',
    'm2_supply',
    'currency_volatility',
    'crude_output',
    'wti_brent_spread',
    'cpi_inflation',
    'unemployment_rate',
  ];
  return [
    ...fixed,
    ...Array.from({ length: count - fixed.length }, (_, i) => `indicator_${String(i + 1).padStart(3, '0')}`),
  ];
}

function random(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

export function financialGraph(
  options: { statistics?: number; points?: number; seed?: number } = {},
): FinancialGraphData {
  const rnd = random(options.seed ?? 7);
  const names = statNames(options.statistics ?? 110);
  const data: FinancialGraphData = {
    countries: countryCodes.map((iso3, i) => ({
      iso3,
      iso2: iso3.slice(0, 2),
      name: `Country ${iso3}`,
      region: regions[iso3] ?? 'Europe',
      gdpRank: i + 1,
      regime: 'S0_Tranquil',
    })),
    statistics: countryCodes.flatMap((c) =>
      names.map((n, j) => ({
        id: `${c}_${n}`,
        country: c,
        name: n,
        category: j < 12 ? 'macro' : 'micro',
        unit: 'percent',
        value: Number((rnd() * 10).toFixed(3)),
        period: '2025',
        provider: 'fred',
      })),
    ),
    corridors: corridors.flatMap(([a, b, w]) => [
      { from: a, to: b, weight: w, mechanism: 'trade' },
      { from: b, to: a, weight: Number((0.9 * w).toFixed(3)), mechanism: 'trade' },
    ]),
    contagion: [
      ...channels.flatMap(([source, from, to, w]) =>
        countryCodes
          .filter((c) => c !== source)
          .map((c) => ({
            from: `${source}_${from}`,
            to: `${c}_${to}`,
            weight: w,
            mechanism: 'seed',
            provenance: 'seed',
          })),
      ),
      ...[
        ['FRA', 0.5],
        ['ITA', 0.45],
        ['POL', 0.55],
      ].map(([c, w]) => ({
        from: 'DEU_real_gdp_growth',
        to: `${c}_real_gdp_growth`,
        weight: w as number,
        mechanism: 'seed',
        provenance: 'seed',
      })),
      ...corridors.flatMap(([a, b, w]) =>
        ['real_gdp_growth', 'export_velocity', 'currency_volatility'].map((s) => ({
          from: `${a}_${s}`,
          to: `${b}_${s}`,
          weight: Number((w * 0.8).toFixed(3)),
          mechanism: 'trade corridor',
          lagMonths: 3,
          confidence: 0.7,
          provenance: 'llm',
        })),
      ),
    ],
    regimes: countryCodes.map((c) => ({
      country: c,
      state: rnd() > 0.7 ? 'S1_Stressed' : 'S0_Tranquil',
      probability: Number((0.5 + rnd() / 2).toFixed(3)),
      asOf: '2025-12',
      model: 'hmm-3x3',
    })),
  };
  const pointsPer = options.points ?? 0;
  if (pointsPer > 0)
    data.points = data.statistics!.flatMap((s) =>
      Array.from({ length: pointsPer }, (_, k) => ({
        statistic: s.id,
        period: String(2000 + k),
        value: Number((rnd() * 10).toFixed(3)),
        source: 'fixture',
      })),
    );
  return data;
}
