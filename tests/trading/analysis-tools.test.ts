// The analysis tools on real data (vega-datasets' S&P 500 as SPX and the June-July 2009 VIX), through
// the router. The expected figures were computed independently with numpy 2.4.6 and scipy 1.17.1
// (np.std ddof=1, np.quantile's default linear interpolation, np.corrcoef, scipy.stats.norm) from
// the same files, and ATR, RSI, ADX and the stochastic oscillator with plain Wilder/TA-Lib loops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testSuite } from '../helpers.js';
import { seedAnalysisExamples } from './analysis-fixture.js';
import { normalCdf, normalQuantile } from '../../tools/trading/analysis/normal.js';
import { appendBar, sp500Rows, writeBars } from './paper-fixtures.js';

async function analysisSuite(t: Parameters<typeof testSuite>[0]) {
  const suite = await testSuite(t);
  await seedAnalysisExamples(suite.dataDir);
  const context = suite.dispatcher.context({});
  const invoke = async (name: string, input: unknown) => {
    const outcome = await suite.dispatcher.router.invoke(name, input, context, { confirm: true });
    if (!outcome.ok) throw new Error(outcome.error.message);
    return { output: outcome.output as Record<string, any>, text: outcome.text };
  };
  const refuse = async (name: string, input: unknown) => {
    const outcome = await suite.dispatcher.router.invoke(name, input, context, { confirm: true });
    assert.ok(!outcome.ok, `${name} should refuse ${JSON.stringify(input)}`);
    return outcome.error.message;
  };
  return { suite, invoke, refuse };
}

/** Equal to within a relative tolerance (the figures are sums of thousands of terms). */
function close(actual: number, expected: number, relative = 1e-10, label = '') {
  assert.ok(
    Math.abs(actual - expected) <= relative * Math.max(1, Math.abs(expected)),
    `${label} ${actual} != ${expected}`,
  );
}

test('the normal quantile matches scipy.stats.norm.ppf across the confidence levels the VaR tool takes', () => {
  const scipy: [number, number][] = [
    [0.8, 0.8416212335729143],
    [0.9, 1.2815515655446004],
    [0.95, 1.6448536269514722],
    [0.975, 1.959963984540054],
    [0.99, 2.3263478740408408],
    [0.999, 3.090232306167813],
    [0.01, -2.3263478740408408],
  ];
  for (const [p, z] of scipy) close(normalQuantile(p), z, 1e-13, `p ${p}`);
  close(normalCdf(-3), 0.0013498980316300933, 1e-15);
});

test('analyze_returns matches numpy on SPX 2010-2019: CAGR, volatility, Sharpe, Sortino, dated max drawdown', async (t) => {
  const { invoke } = await analysisSuite(t);
  const { output: o, text } = await invoke('trading_analyze_returns', {
    symbol: 'SPX',
    start: '2010-01-01',
    end: '2019-12-31',
  });
  assert.equal(o.start, '2010-01-04');
  assert.equal(o.end, '2019-12-31');
  assert.equal(o.returns, 2515);
  close(o.totalReturn, 1.8515521386027523, 1e-12, 'total');
  close(o.annualReturn, 0.11070468846428905, 1e-12, 'cagr');
  close(o.annualVolatility, 0.1476543208449344, 1e-12, 'vol');
  close(o.sharpe, 0.7852055551986109, 1e-10, 'sharpe');
  close(o.sortino, 1.0986974136478234, 1e-10, 'sortino');
  close(o.calmar, 0.5597305625296483, 1e-10, 'calmar');
  close(o.maxDrawdown.depth, -0.1977821042395289, 1e-12, 'mdd');
  assert.deepEqual(
    [o.maxDrawdown.peak, o.maxDrawdown.trough, o.maxDrawdown.recovery],
    ['2018-09-20', '2018-12-24', '2019-04-23'],
  );
  assert.equal(o.bestDay.date, '2018-12-26');
  close(o.bestDay.return, 0.04959374256297622, 1e-12);
  assert.equal(o.worstDay.date, '2011-08-08');
  close(o.worstDay.return, -0.0666344641955241, 1e-12);
  close(o.positiveDays, 0.5483101391650099, 1e-12);
  const year = (y: number) => o.years.find((r: { year: number }) => r.year === y);
  close(year(2013).return, 0.29601249585590783, 1e-12, '2013');
  assert.equal(year(2013).partial, false);
  assert.equal(year(2010).partial, true, 'the first year starts at the range’s first close');
  assert.equal(o.years.length, 10);
  assert.match(text, /max drawdown -19\.78% \(peak 2018-09-20, trough 2018-12-24, recovered 2019-04-23\)/);
});

test('analyze_returns subtracts a daily risk-free rate from Sharpe and Sortino (empyrical), whole history', async (t) => {
  const { invoke } = await analysisSuite(t);
  const { output: o } = await invoke('trading_analyze_returns', { symbol: 'SPX', riskFreeRate: 0.02 });
  close(o.sharpe, 0.16904715742623277, 1e-10, 'sharpe');
  close(o.sortino, 0.2360478069880679, 1e-10, 'sortino');
  const year2008 = o.years.find((r: { year: number }) => r.year === 2008);
  close(year2008.return, -0.3848579304617866, 1e-12);
  assert.equal(o.years.at(-1).partial, true, '2020 ends in April');
});

test('analyze_returns refuses a range with one bar, naming start', async (t) => {
  const { refuse } = await analysisSuite(t);
  assert.match(await refuse('trading_analyze_returns', { symbol: 'SPX', start: '2020-04-17' }), /^start: .*at least 2/);
  assert.match(await refuse('trading_analyze_returns', { symbol: 'NOPE' }), /^symbol: no bars for "NOPE"/);
});

test('find_drawdowns lists the deepest episodes with peak, trough and recovery as an independent scan does', async (t) => {
  const { invoke } = await analysisSuite(t);
  const { output: o } = await invoke('trading_find_drawdowns', { symbol: 'SPX', top: 5 });
  assert.equal(o.found, 135);
  const expected = [
    [-0.5677538775030553, '2007-10-09', '2009-03-09', '2013-03-28', 355, 1021],
    [-0.4914694788520221, '2000-03-24', '2002-10-09', '2007-05-30', 637, 1166],
    [-0.33924960006097216, '2020-02-19', '2020-03-23', null, 23, null],
    [-0.19778210423952913, '2018-09-20', '2018-12-24', '2019-04-23', 65, 81],
    [-0.1416075043272964, '2015-05-21', '2016-02-11', '2016-07-11', 183, 103],
  ];
  assert.deepEqual(
    o.episodes.map((e: Record<string, unknown>) => [e.peak, e.trough, e.recovery, e.barsToTrough, e.barsToRecover]),
    expected.map((e) => e.slice(1)),
  );
  o.episodes.forEach((e: { depth: number }, i: number) => close(e.depth, expected[i]![0] as number, 1e-12));
  assert.equal(o.episodes[0].calendarDays, 1997);
  close(o.current.drawdown, 2874.560059 / 3386.149902 - 1, 1e-12);
  assert.equal(o.current.peak, '2020-02-19');
  const deep = await invoke('trading_find_drawdowns', { symbol: 'SPX', minDepth: 0.3, top: 10 });
  assert.deepEqual(
    deep.output.episodes.map((e: { peak: string }) => e.peak),
    ['2007-10-09', '2000-03-24', '2020-02-19'],
  );
});

test('correlate_symbols gives numpy’s corrcoef of SPX and VIX daily returns on their common dates', async (t) => {
  const { invoke, refuse } = await analysisSuite(t);
  const { output: o } = await invoke('trading_correlate_symbols', { symbols: ['SPX', 'VIX'] });
  assert.equal(o.returns, 43);
  assert.deepEqual([o.start, o.end], ['2009-06-01', '2009-07-31']);
  close(o.matrix[0][1], -0.6805918074766402, 1e-12, 'rho');
  assert.equal(o.matrix[1][0], o.matrix[0][1]);
  assert.deepEqual([o.matrix[0][0], o.matrix[1][1]], [1, 1]);
  close(o.annualVolatility.SPX, 0.19778773621293436, 1e-12);
  close(o.annualVolatility.VIX, 0.7205040744443407, 1e-12);
  assert.equal(o.note, null);
  const july = (await invoke('trading_correlate_symbols', { symbols: ['VIX', 'SPX'], start: '2009-07-01' })).output;
  assert.equal(july.returns, 21);
  close(july.matrix[0][1], -0.47522987096573505, 1e-12, 'july rho');
  assert.match(july.note, /only 21 common returns/);
  assert.match(
    await refuse('trading_correlate_symbols', { symbols: ['SPX', 'spx'] }),
    /^symbols\.1: SPX is listed twice/,
  );
  assert.match(
    await refuse('trading_correlate_symbols', { symbols: ['SPX', 'VIX'], start: '2015-01-01' }),
    /^start: the symbols share 0 date/,
  );
  assert.match(
    await refuse('trading_correlate_symbols', { symbols: ['SPX', 'NOPE'] }),
    /^symbols\.1: no bars for "NOPE"/,
  );
});

test('estimate_var matches numpy quantiles and the scipy Gaussian formula for SPX, 1-day 95% and 10-day 99%', async (t) => {
  const { invoke } = await analysisSuite(t);
  const one = (await invoke('trading_estimate_var', { symbol: 'SPX', confidence: 0.95 })).output;
  assert.equal(one.start, '2018-04-23');
  assert.equal(one.dailyReturns, 500);
  close(one.historical.var, 0.02083632855906847, 1e-12, 'hvar');
  close(one.historical.expectedShortfall, 0.04058210853726178, 1e-12, 'hes');
  assert.equal(one.historical.tailCount, 25);
  close(one.parametric.z, 1.6448536269514722, 1e-14, 'z');
  close(one.parametric.var, 0.025608790485164054, 1e-12, 'pvar');
  close(one.parametric.expectedShortfall, 0.03218353465663298, 1e-12, 'pes');
  assert.equal(one.historical.varAmount, null);
  const ten = (
    await invoke('trading_estimate_var', {
      symbol: 'SPX',
      confidence: 0.99,
      horizonDays: 10,
      value: 1_000_000,
      end: '2019-12-31',
    })
  ).output;
  assert.equal(ten.observations, 491);
  assert.equal(ten.start, '2018-01-04');
  close(ten.historical.var, 0.0824638927136305, 1e-12, 'hvar10');
  close(ten.historical.expectedShortfall, 0.09201651685795538, 1e-12, 'hes10');
  close(ten.parametric.var, 0.065549316195185, 1e-12, 'pvar10');
  close(ten.parametric.expectedShortfall, 0.07565960493418886, 1e-12, 'pes10');
  close(ten.historical.varAmount, 82463.8927136305, 1e-10);
});

test('estimate_var of a 60/40 SPX/VIX basket rebalanced daily, and refusals naming the field', async (t) => {
  const { invoke, refuse } = await analysisSuite(t);
  const { output: o } = await invoke('trading_estimate_var', {
    holdings: [
      { symbol: 'SPX', weight: 0.6 },
      { symbol: 'VIX', weight: 0.4 },
    ],
    lookback: 30,
  });
  assert.equal(o.dailyReturns, 30);
  const all = await invoke('trading_estimate_var', {
    holdings: [
      { symbol: 'SPX', weight: 0.6 },
      { symbol: 'VIX', weight: 0.4 },
    ],
    lookback: 43,
  });
  close(all.output.historical.var, 0.02195924546114201, 1e-12, 'basket hvar');
  close(all.output.parametric.var, 0.023584178185566164, 1e-12, 'basket pvar');
  assert.match(
    await refuse('trading_estimate_var', { symbol: 'SPX', usePaperAccount: true }),
    /^symbol: give exactly one/,
  );
  assert.match(
    await refuse('trading_estimate_var', { usePaperAccount: true }),
    /^usePaperAccount: the paper account holds no position/,
  );
  assert.match(
    await refuse('trading_estimate_var', {
      holdings: [
        { symbol: 'SPX', weight: 0.5 },
        { symbol: 'spx', weight: 0.5 },
      ],
    }),
    /^holdings\.1\.symbol: SPX is listed twice/,
  );
});

test('estimate_var of the paper account weighs its filled position by market value over equity', async (t) => {
  const { suite, invoke } = await analysisSuite(t);
  const rows = sp500Rows();
  await writeBars(suite.dataDir, 'SPX', rows.slice(0, -1));
  await invoke('trading_paper_order', { symbol: 'SPX', side: 'buy', quantity: 10 });
  await appendBar(suite.dataDir, 'SPX', rows.at(-1)!);
  const { output: o } = await invoke('trading_estimate_var', { usePaperAccount: true });
  const account = (await invoke('trading_paper_account', {})).output;
  assert.equal(account.positions[0].quantity, 10);
  const weight = (10 * rows.at(-1)!.close) / account.equity;
  assert.equal(o.portfolio, 'paper account');
  close(o.weights[0].weight, weight, 1e-12);
  assert.equal(o.value, account.equity);
  // One long position: every figure scales with its weight (quantiles and means are linear in it).
  close(o.historical.var, weight * 0.02083632855906847, 1e-10);
  close(o.parametric.var, weight * 0.025608790485164054, 1e-12);
  close(o.historical.varAmount, o.historical.var * account.equity, 1e-10);
});

test('size_position: 1% risk with a 2-ATR stop on SPX, a given stop, the cap, and volatility targeting', async (t) => {
  const { invoke, refuse } = await analysisSuite(t);
  const atr14 = 109.57900894192491;
  const atr = (
    await invoke('trading_size_position', { symbol: 'SPX', equity: 100000, riskPercent: 0.01, atrMultiple: 2 })
  ).output;
  close(atr.atr, atr14, 1e-10, 'atr');
  close(atr.stop, 2874.560059 - 2 * atr14, 1e-12);
  assert.equal(atr.units, Math.floor(1000 / (2 * atr14)));
  assert.equal(atr.units, 4);
  close(atr.riskAtStop, 4 * 2 * atr14, 1e-10);
  assert.ok(
    atr.arithmetic.some((s: string) => s.startsWith('units = risk budget / risk per unit = 1,000 / 219.1580179')),
  );
  const given = (await invoke('trading_size_position', { equity: 50000, entry: 100, stop: 95, riskPercent: 0.01 }))
    .output;
  assert.deepEqual([given.units, given.riskAtStop, given.positionValue, given.capped], [100, 500, 10000, false]);
  const short = (
    await invoke('trading_size_position', { equity: 50000, entry: 100, stop: 104, side: 'short', lotSize: 0.5 })
  ).output;
  assert.equal(short.units, 125);
  const capped = (
    await invoke('trading_size_position', {
      equity: 10000,
      entry: 50,
      stop: 49.9,
      riskPercent: 0.02,
      maxPositionPercent: 0.5,
    })
  ).output;
  assert.equal(capped.capped, true);
  assert.equal(capped.units, 100, 'half the equity at 50 a unit');
  const vol = (
    await invoke('trading_size_position', {
      symbol: 'SPX',
      method: 'volatility',
      equity: 100000,
      targetVolatility: 0.1,
    })
  ).output;
  close(vol.annualVolatility, 0.6045499841319454, 1e-12, 'sigma');
  assert.equal(vol.units, Math.floor(((0.1 / 0.6045499841319454) * 100000) / 2874.560059));
  const paper = (await invoke('trading_size_position', { usePaperEquity: true, entry: 100, stop: 90 })).output;
  assert.equal(paper.equity, 100000, 'an untouched paper account has its opening cash');
  assert.equal(paper.units, 100);
  assert.match(
    await refuse('trading_size_position', { equity: 1000, entry: 100, stop: 101 }),
    /^stop: a long stop must be below the entry 100/,
  );
  assert.match(
    await refuse('trading_size_position', { entry: 100, stop: 95 }),
    /^equity: give equity, or usePaperEquity/,
  );
  assert.match(
    await refuse('trading_size_position', { equity: 1000, entry: 100 }),
    /^symbol: an ATR stop needs the symbol’s bars/,
  );
});

test('compute_indicators as of 2020-03-23 matches independent SMA, Bollinger, RSI, stochastic and ADX computations', async (t) => {
  const { invoke, refuse } = await analysisSuite(t);
  const { output: o } = await invoke('trading_compute_indicators', {
    symbol: 'SPX',
    end: '2020-03-23',
    series: 3,
    indicators: [
      { type: 'sma', period: 200 },
      { type: 'bollinger' },
      { type: 'rsi' },
      { type: 'stochastic' },
      { type: 'adx' },
      { type: 'atr' },
    ],
  });
  assert.equal(o.asOf, '2020-03-23');
  assert.equal(o.close, 2237.399902);
  const [sma, bands, rsi, stochastic, adx] = o.indicators;
  close(sma.latest.value, 3036.71034061, 1e-12, 'sma');
  close(bands.latest.upper, 3359.767214814281, 1e-10, 'upper');
  close(bands.latest.middle, 2761.2284790500003, 1e-12, 'middle');
  close(bands.latest.lower, 2162.6897432857195, 1e-10, 'lower');
  close(bands.latest.percentB, (2237.399902 - 2162.6897432857195) / (3359.767214814281 - 2162.6897432857195), 1e-9);
  close(rsi.latest.value, 30.1576241409644, 1e-10, 'rsi');
  close(stochastic.latest.k, 7.583472370776316, 1e-10, 'k');
  close(stochastic.latest.d, 11.58174557443352, 1e-10, 'd');
  close(adx.latest.adx, 48.97875591527737, 1e-9, 'adx');
  close(adx.latest.plusDI, 6.603981987800951, 1e-9, '+di');
  close(adx.latest.minusDI, 35.18845289343542, 1e-9, '-di');
  assert.deepEqual(
    sma.series.map((p: { date: string }) => p.date),
    ['2020-03-19', '2020-03-20', '2020-03-23'],
  );
  assert.equal(o.bars, 5087);
  assert.ok(o.conventions.rsi.includes('Wilder'));
  const latest = (await invoke('trading_compute_indicators', { symbol: 'SPX', indicators: [{ type: 'atr' }] })).output;
  close(latest.indicators[0].latest.value, 109.57900894192491, 1e-10, 'atr');
  const early = (
    await invoke('trading_compute_indicators', { symbol: 'SPX', end: '2000-01-20', indicators: [{ type: 'rsi' }] })
  ).output;
  assert.deepEqual(early.indicators[0].latest, { value: null }, '13 bars cannot make a 14-bar RSI');
  assert.match(
    await refuse('trading_compute_indicators', { symbol: 'VIX', indicators: [{ type: 'sma', period: 50 }] }),
    /^indicators\.0\.period: 50 is longer than the 44 bars/,
  );
  assert.match(
    await refuse('trading_compute_indicators', { symbol: 'SPX', indicators: [{ type: 'macd', fast: 30 }] }),
    /^indicators\.0\.fast: fast \(30\) must be below slow \(26\)/,
  );
});

test('get_bars returns the range, keeps the latest rows under the limit and says how to get the rest', async (t) => {
  const { invoke, refuse } = await analysisSuite(t);
  const march = (await invoke('trading_get_bars', { symbol: 'SPX', start: '2020-03-02', end: '2020-03-31' })).output;
  assert.equal(march.inRange, 22);
  assert.equal(march.truncated, false);
  assert.deepEqual(march.bars[15], {
    date: '2020-03-23',
    open: 2290.709961,
    high: 2300.72998,
    low: 2191.860107,
    close: 2237.399902,
    volume: 7402180000,
  });
  const last = (await invoke('trading_get_bars', { symbol: 'spx', limit: 2 })).output;
  assert.deepEqual(
    last.bars.map((b: { date: string }) => b.date),
    ['2020-04-16', '2020-04-17'],
  );
  assert.equal(last.omitted, 5103);
  assert.match(last.note, /pass end: "2020-04-15" for the ones before 2020-04-16/);
  const first = (await invoke('trading_get_bars', { symbol: 'SPX', start: '2008-09-01', limit: 3, keep: 'first' }))
    .output;
  assert.deepEqual(
    first.bars.map((b: { date: string }) => b.date),
    ['2008-09-02', '2008-09-03', '2008-09-04'],
  );
  assert.match(first.note, /later bar\(s\).*pass start: "2008-09-05"/);
  assert.match(
    await refuse('trading_get_bars', { symbol: 'SPX', start: '2021-01-01' }),
    /^start: no bars of SPX from 2021-01-01 on/,
  );
  assert.match(
    await refuse('trading_get_bars', { symbol: 'SPX', end: 'yesterday' }),
    /^end: "yesterday" is not a date/,
  );
});

test('scan_symbols screens every symbol, and crossings hold only on the crossing bar', async (t) => {
  const { invoke, refuse } = await analysisSuite(t);
  const oversold = (
    await invoke('trading_scan_symbols', {
      end: '2020-03-12',
      rules: [{ what: { type: 'rsi' }, op: 'below', than: 30 }],
    })
  ).output;
  assert.deepEqual(oversold.matches, ['SPX']);
  const spx = oversold.results.find((r: { symbol: string }) => r.symbol === 'SPX');
  close(spx.rules[0].left, 25.477180319220622, 1e-10, 'rsi');
  assert.equal(oversold.results.find((r: { symbol: string }) => r.symbol === 'VIX').date, '2009-07-31');
  const rule = { what: 'close', op: 'crosses_above', than: { type: 'sma', period: 200 } };
  const crossing = (await invoke('trading_scan_symbols', { symbols: ['SPX'], end: '2019-06-04', rules: [rule] }))
    .output;
  assert.deepEqual(crossing.matches, ['SPX']);
  close(crossing.results[0].rules[0].right, 2774.942443845, 1e-12);
  const after = (await invoke('trading_scan_symbols', { symbols: ['SPX'], end: '2019-06-05', rules: [rule] })).output;
  assert.deepEqual(after.matches, []);
  const still = (
    await invoke('trading_scan_symbols', { symbols: ['SPX'], end: '2019-06-05', rules: [{ ...rule, op: 'above' }] })
  ).output;
  assert.deepEqual(still.matches, ['SPX']);
  assert.match(
    await refuse('trading_scan_symbols', {
      symbols: ['SPX'],
      rules: [{ what: { type: 'macd', field: 'value' }, op: 'above', than: 0 }],
    }),
    /^rules\.0\.what\.field: macd\(12,26,9\) has no line "value"; use one of macd, signal, histogram/,
  );
  assert.match(
    await refuse('trading_scan_symbols', { rules: [{ what: 30, op: 'above', than: 'close' }] }),
    /^rules\.0\.what:/,
  );
});
