// The statistics catalogue, as data: 88 API-backed stats (each with provider, series code per
// country, native frequency, native unit and transform), 17 LLM-inferred and 7 derived. It follows
// the peer KB's 110 names and fixes its known errors; every fix carries a `note`, and the notes are
// part of the snapshot manifest's catalogue section, so a reader sees why a value differs from the
// peer's.
import { countries } from './countries.js';

export type Provider = 'world_bank' | 'fred' | 'imf' | 'oecd' | 'bis' | 'eia';
export const providers: readonly Provider[] = ['world_bank', 'fred', 'imf', 'oecd', 'bis', 'eia'];
/** D daily, W weekly, M monthly, Q quarterly, A annual. */
export type Frequency = 'D' | 'W' | 'M' | 'Q' | 'A';
export type Transform = 'level' | 'yoy';

export interface SeriesSource {
  provider: Provider;
  /** ISO-3 → series code. World Bank, IMF, OECD, BIS and EIA use one code for all countries they cover. */
  codes: Readonly<Record<string, string>>;
  frequency: Frequency;
  /** The provider's unit before the transform. */
  nativeUnit: string;
  transform: Transform;
  /** FRED: a second series subtracted from the first on matching dates (a spread). */
  minus?: string;
  /** OECD: `{agency},{dataflow},{version}`; the key is `codes[iso3]` with `{area}` replaced. */
  dataflow?: string;
}

export interface StatisticDefinition {
  name: string;
  category: string;
  label: string;
  source: 'api' | 'llm' | 'derived';
  /** Unit of the stored value (after the transform). */
  unit: string;
  /** API stats: tried in order; the first that covers a country is used. */
  sources: readonly SeriesSource[];
  derivedFrom?: readonly string[];
  /** Derived stats that cannot be computed from what is ingested say why. */
  notComputable?: string;
  /** A fix against the peer KB, or a caveat a reader needs. */
  note?: string;
}

const all = (code: string) => Object.fromEntries(countries.map((c) => [c.iso3, code]));
const usa = (code: string) => ({ USA: code });

type Extra = Partial<Pick<StatisticDefinition, 'note'>> &
  Partial<Pick<SeriesSource, 'transform' | 'nativeUnit' | 'minus'>>;

const wb = (
  name: string,
  category: string,
  code: string,
  unit: string,
  label: string,
  extra: Extra = {},
): StatisticDefinition => ({
  name,
  category,
  label,
  source: 'api',
  unit,
  ...(extra.note ? { note: extra.note } : {}),
  sources: [
    {
      provider: 'world_bank',
      codes: all(code),
      frequency: 'A',
      nativeUnit: extra.nativeUnit ?? unit,
      transform: extra.transform ?? 'level',
    },
  ],
});

const fred = (
  name: string,
  category: string,
  codes: Record<string, string> | string,
  frequency: Frequency,
  unit: string,
  label: string,
  extra: Extra = {},
  fallback?: SeriesSource,
): StatisticDefinition => ({
  name,
  category,
  label,
  source: 'api',
  unit,
  ...(extra.note ? { note: extra.note } : {}),
  sources: [
    {
      provider: 'fred',
      codes: typeof codes === 'string' ? usa(codes) : codes,
      frequency,
      nativeUnit: extra.nativeUnit ?? unit,
      transform: extra.transform ?? 'level',
      ...(extra.minus ? { minus: extra.minus } : {}),
    },
    ...(fallback ? [fallback] : []),
  ],
});

const imf = (
  name: string,
  category: string,
  code: string,
  unit: string,
  label: string,
  note?: string,
): StatisticDefinition => ({
  name,
  category,
  label,
  source: 'api',
  unit,
  ...(note ? { note } : {}),
  sources: [{ provider: 'imf', codes: all(code), frequency: 'A', nativeUnit: unit, transform: 'level' }],
});

const llm = (name: string, category: string, unit: string, label: string): StatisticDefinition => ({
  name,
  category,
  label,
  source: 'llm',
  unit,
  sources: [],
});

const derived = (
  name: string,
  category: string,
  from: string[],
  unit: string,
  label: string,
  notComputable?: string,
): StatisticDefinition => ({
  name,
  category,
  label,
  source: 'derived',
  unit,
  sources: [],
  derivedFrom: from,
  ...(notComputable ? { notComputable } : {}),
});

const ecbEuro = { DEU: 'ECBMRRFR', FRA: 'ECBMRRFR', ITA: 'ECBMRRFR', ESP: 'ECBMRRFR', NLD: 'ECBMRRFR' };
const oecdMembers = countries.filter((c) => c.oecd).map((c) => c.iso3);

const M = 'Macro/Solvency',
  P = 'Monetary/Price',
  T = 'Trade/External',
  E = 'Energy/Commodity',
  I = 'Institutional/Risk';
const C = 'Consumer/Household',
  R = 'Real Estate',
  B = 'Corporate/Business',
  L = 'Labor Market',
  F = 'Infrastructure/Energy',
  D = 'Demographics/Social';

export const statistics: readonly StatisticDefinition[] = [
  wb('real_gdp_growth', M, 'NY.GDP.MKTP.KD.ZG', 'percent_yoy', 'Annual real GDP growth rate'),
  imf('debt_to_gdp', M, 'GGXWDG_NGDP', 'percent_gdp', 'General government gross debt as % of GDP'),
  imf('primary_deficit', M, 'GGXONLB_G01_GDP_PT', 'percent_gdp', 'Primary net lending/borrowing as % of GDP'),
  fred(
    'net_interest_to_revenue',
    M,
    'A091RC1Q027SBEA',
    'Q',
    'billion_usd_saar',
    'Federal government interest payments (SAAR)',
    {
      note: 'A091RC1Q027SBEA is interest payments in billions of dollars, not a share of revenue as the peer labels it; the unit says so.',
    },
  ),
  wb('net_savings', M, 'NY.ADJ.NNAT.GN.ZS', 'percent_gni', 'Adjusted net national savings as % of GNI'),
  llm('fiscal_multiplier', M, 'ratio', 'Estimated fiscal multiplier'),
  {
    name: 'entitlement_spend',
    category: M,
    label: 'Public social expenditure as % of GDP',
    source: 'api',
    unit: 'percent_gdp',
    note: 'The peer sent a bare ISO-3 as the SDMX key and got HTTP 422. The key here has one position per SOCX dimension (REF_AREA first, "+" joins areas).',
    sources: [
      {
        provider: 'oecd',
        dataflow: 'OECD.ELS.SPD,DSD_SOCX_AGG@DF_SOCX_AGG,',
        codes: Object.fromEntries(oecdMembers.map((c) => [c, '{area}.A.SOCX.PT_B1GQ.ES10._T._T._Z'])),
        frequency: 'A',
        nativeUnit: 'percent_gdp',
        transform: 'level',
      },
    ],
  },
  wb('tax_to_gdp', M, 'GC.TAX.TOTL.GD.ZS', 'percent_gdp', 'Tax revenue as % of GDP'),
  wb('public_investment_ratio', M, 'NE.GDI.TOTL.ZS', 'percent_gdp', 'Gross capital formation as % of GDP', {
    note: 'NE.GDI.TOTL.ZS is whole-economy gross capital formation, a proxy for public investment.',
  }),
  imf(
    'output_gap',
    M,
    'GGXCNL_NGDP',
    'percent_gdp',
    'General government net lending/borrowing as % of GDP',
    'The peer maps output_gap to GGXCNL_NGDP, which is the overall fiscal balance, not an output gap; the label says what the number is.',
  ),

  fred(
    'core_cpi',
    P,
    { USA: 'CPILFESL', GBR: 'GBRCPIALLMINMEI', JPN: 'JPNCPIALLMINMEI' },
    'M',
    'percent_yoy',
    'Consumer price inflation, year on year (core for the USA)',
    {
      transform: 'yoy',
      nativeUnit: 'index',
      note: 'CPILFESL and the *CPIALLMINMEI series are index levels; the peer stored the level (about 320) as a YoY rate, so its real_rates was policy rate minus an index. Year-on-year change is computed here before anything uses it. The GBR and JPN series are all-items CPI, not core.',
    },
  ),
  fred(
    'policy_rate',
    P,
    {
      USA: 'DFEDTARU',
      GBR: 'BOERUKM',
      JPN: 'IRSTCB01JPM156N',
      CAN: 'IRSTCB01CAM156N',
      ...ecbEuro,
      AUS: 'IRSTCI01AUM156N',
      KOR: 'IRSTCI01KRM156N',
      MEX: 'IRSTCI01MXM156N',
      TUR: 'IRSTCI01TRM156N',
      POL: 'IRSTCB01PLM156N',
      CHN: 'IRSTCB01CNM156N',
      IND: 'IRSTCB01INM156N',
      BRA: 'IRSTCB01BRM156N',
    },
    'M',
    'percent',
    'Central bank policy rate',
    {
      note: 'The peer used ECBMLFR, the ECB marginal lending facility rate, for the euro members; the ECB policy rate is the main refinancing rate, ECBMRRFR. DFEDTARU and ECBMRRFR are daily and are read as such. IDN, RUS and SAU come from the BIS central bank policy rate dataflow WS_CBPOL with a FREQ.REF_AREA key on the v2 path (the peer sent a malformed key and read its 500 as a BIS bug).',
    },
    {
      provider: 'bis',
      codes: { IDN: 'ID', RUS: 'RU', SAU: 'SA' },
      frequency: 'M',
      nativeUnit: 'percent',
      transform: 'level',
    },
  ),
  fred(
    'yield_spread_10y3m',
    P,
    { USA: 'T10Y3M', DEU: 'IRLTLT01DEM156N', ITA: 'IRLTLT01ITM156N' },
    'M',
    'percent',
    '10Y-3M Treasury spread (USA); 10Y sovereign yield (DEU, ITA)',
    { note: 'T10Y3M is daily; the DEU and ITA series are 10-year yields, not spreads, as in the peer.' },
  ),
  fred(
    'm2_supply',
    P,
    { USA: 'M2SL', CHN: 'MABMM201CNM189S', GBR: 'MABMM201GBM189S', JPN: 'MABMM201JPM189S' },
    'M',
    'lcu',
    'M2 money supply (national currency; USA in billions of dollars)',
  ),
  derived(
    'real_rates',
    P,
    ['policy_rate', 'core_cpi', 'headline_inflation'],
    'percent',
    'Real policy rate: policy rate minus inflation (core CPI YoY, else headline CPI inflation)',
  ),
  fred('tips_breakeven', P, 'T10YIE', 'D', 'percent', '10Y TIPS breakeven inflation rate'),
  fred('lending_standards', P, 'DRTSCILM', 'Q', 'net_percent', 'Net % of banks tightening C&I loan standards'),
  derived(
    'velocity_of_money',
    P,
    ['real_gdp_growth', 'm2_supply'],
    'ratio',
    'Velocity of M2 money stock',
    'needs nominal GDP in national currency, which is not ingested; growth rates cannot give a velocity level',
  ),
  derived(
    'currency_volatility',
    P,
    [],
    'percent',
    '30-day realised volatility of the currency against the USD',
    'needs daily FX rates, which are not ingested',
  ),
  llm('cb_independence_score', P, 'score_0_100', 'Central bank independence score (0-100)'),

  llm('rule_of_origin_pct', T, 'percent', 'Average rule-of-origin content requirement in major FTAs'),
  wb('current_account_gdp', T, 'BN.CAB.XOKA.GD.ZS', 'percent_gdp', 'Current account balance as % of GDP'),
  wb('effective_tariff', T, 'TM.TAX.MRCH.WM.AR.ZS', 'percent', 'Weighted mean applied tariff rate, all products'),
  wb('reserve_adequacy', T, 'FI.RES.TOTL.MO', 'months_imports', 'Total reserves in months of imports'),
  wb('net_external_debt', T, 'DT.DOD.DECT.GN.ZS', 'percent_gni', 'External debt stocks as % of GNI'),
  wb('export_velocity', T, 'NE.EXP.GNFS.ZS', 'percent_gdp', 'Exports of goods and services as % of GDP'),
  wb('fdi_inflow', T, 'BX.KLT.DINV.WD.GD.ZS', 'percent_gdp', 'FDI net inflows as % of GDP'),
  wb('terms_of_trade', T, 'TT.PRI.MRCH.XD.WD', 'index_2015_100', 'Net barter terms of trade index (2015=100)'),
  fred('shipping_cost_index', T, 'FBXGLOBAL', 'W', 'usd_per_feu', 'Global container freight rate index', {
    note: 'FBXGLOBAL could not be confirmed as a FRED series id; if FRED answers 400, the task is recorded as an error and the build continues.',
  }),
  derived(
    'trade_concentration',
    T,
    ['export_velocity'],
    'hhi_index',
    'Herfindahl index of export partner concentration',
    'needs exports by partner country, which are not ingested; the export share of GDP cannot give a concentration index',
  ),

  {
    name: 'crude_output',
    category: E,
    label: 'Crude oil production including lease condensate',
    source: 'api',
    unit: 'thousand_barrels_per_day',
    note: 'The peer read FRED MCRFPUS2 (USA only). EIA international product 57 (crude oil including lease condensate), activity 1 (production), unit TBPD covers all 20 countries by ISO-3 code; the peer had EIA wired with no stats and the wrong product id (53).',
    sources: [
      { provider: 'eia', codes: all('57'), frequency: 'M', nativeUnit: 'thousand_barrels_per_day', transform: 'level' },
    ],
  },
  fred('wti_brent_spread', E, 'DCOILWTICO', 'D', 'usd_per_barrel', 'WTI minus Brent crude oil price', {
    minus: 'DCOILBRENTEU',
    note: 'The peer stored the WTI price (DCOILWTICO) as the spread; the spread is WTI minus Brent (DCOILBRENTEU) on the same day.',
  }),
  llm('mineral_reserves', E, 'index', 'Composite mineral reserve adequacy score'),
  llm('esg_disclosure_score', E, 'score_0_100', 'Sovereign ESG disclosure quality score'),
  wb('power_consumption', E, 'EG.USE.ELEC.KH.PC', 'kwh_per_capita', 'Electric power consumption per capita'),
  llm('green_capex', E, 'percent_gdp', 'Green/clean energy capital expenditure as % of GDP'),
  fred('carbon_price', E, 'EUETSACALEGP', 'D', 'eur_per_ton', 'Carbon credit price (EU ETS benchmark)', {
    note: 'EUETSACALEGP could not be confirmed as a FRED series id; an error from FRED is recorded per task.',
  }),
  derived(
    'refining_margin',
    E,
    ['crude_output', 'wti_brent_spread'],
    'usd_per_barrel',
    'Crack spread / refining margin estimate',
    'needs refined product prices (gasoline, distillate), which are not ingested',
  ),
  fred('inventory_levels', E, 'WCESTUS1', 'W', 'thousand_barrels', 'US crude oil commercial inventory', {
    note: 'WCESTUS1 is in thousands of barrels (the peer said millions).',
  }),
  wb(
    'subsidies_gdp',
    E,
    'GC.XPN.TRFT.ZS',
    'percent_expense',
    'Subsidies and other transfers as % of government expense',
    { note: 'GC.XPN.TRFT.ZS is a share of government expense, not of GDP (the peer labelled it percent_gdp).' },
  ),

  wb('private_credit_npls', I, 'FB.AST.NPER.ZS', 'percent', 'Bank non-performing loans as % of total gross loans'),
  wb('bank_capital_adequacy', I, 'FB.BNK.CAPA.ZS', 'percent', 'Bank capital to assets ratio'),
  wb('corruption_index', I, 'CC.PER.RNK', 'percentile_rank', 'Control of corruption percentile rank'),
  wb('political_instability', I, 'PV.PER.RNK', 'percentile_rank', 'Political stability percentile rank'),
  llm('shadow_bank_size', I, 'percent_gdp', 'Non-bank financial intermediation as % of GDP'),
  llm('cyber_resilience', I, 'score_0_100', 'National cybersecurity resilience score'),
  wb('demographic_drag', I, 'SP.POP.GROW', 'percent_yoy', 'Population growth rate'),
  wb('labor_participation', I, 'SL.TLF.CACT.ZS', 'percent', 'Labor force participation rate (% of population 15+)'),
  wb('rd_to_gdp', I, 'GB.XPD.RSDV.GD.ZS', 'percent_gdp', 'Research and development expenditure as % of GDP'),
  fred(
    'housing_affordability',
    I,
    'CSUSHPINSA',
    'M',
    'index_2000_100',
    'S&P Case-Shiller US national home price index (NSA)',
  ),

  fred('median_household_income', C, 'MEHOINUSA672N', 'A', 'usd_annual_real', 'Real median household income'),
  fred('personal_savings_rate', C, 'PSAVERT', 'M', 'percent', 'Personal savings as % of disposable income'),
  fred('household_debt_to_income', C, 'HDTGPDUSQ163N', 'Q', 'percent_gdp', 'Household debt as % of GDP'),
  fred(
    'consumer_confidence',
    C,
    'CSCICP03USM665S',
    'M',
    'index',
    'Consumer confidence index (OECD, amplitude adjusted)',
  ),
  fred(
    'credit_card_delinquency_rate',
    C,
    'DRCCLACBS',
    'Q',
    'percent',
    'Credit card delinquency rate, all commercial banks',
  ),
  fred(
    'auto_loan_delinquency_rate',
    C,
    'DROCLACBS',
    'Q',
    'percent',
    'Delinquency rate on other consumer loans (mostly auto), all commercial banks',
    {
      note: 'The peer used DRSFRMACBS (single-family mortgages) here and for mortgage_delinquency_rate; other consumer loans, DROCLACBS, is the bank series closest to auto loans.',
    },
  ),
  fred('food_cpi', C, 'CPIUFDSL', 'M', 'index', 'Food CPI index'),
  fred('energy_cpi', C, 'CPIENGSL', 'M', 'index', 'Energy CPI index'),
  wb(
    'medical_expenditure_per_capita',
    C,
    'SH.XPD.CHEX.PC.CD',
    'usd_per_capita',
    'Current health expenditure per capita',
  ),
  derived(
    'food_to_income_ratio',
    C,
    ['food_cpi', 'median_household_income'],
    'ratio',
    'Food spend as share of income',
    'food_cpi is a price index, not spending; a share of income needs household food expenditure, which is not ingested',
  ),
  fred(
    'consumer_credit_growth',
    C,
    'TOTALSL',
    'M',
    'percent_yoy',
    'Total consumer credit outstanding, year-on-year growth',
    {
      transform: 'yoy',
      nativeUnit: 'billion_usd',
      note: 'TOTALSL is a level; the growth is computed (the peer stored the level).',
    },
  ),
  fred('retail_sales_growth', C, 'RSXFS', 'M', 'percent_yoy', 'Retail sales ex food services, year-on-year growth', {
    transform: 'yoy',
    nativeUnit: 'million_usd',
    note: 'RSXFS is a level; the growth is computed.',
  }),
  wb('income_inequality_gini', C, 'SI.POV.GINI', 'index_0_100', 'Gini coefficient'),
  wb('poverty_rate', C, 'SI.POV.NAHC', 'percent', 'National poverty headcount ratio'),
  llm('cost_of_living_index', C, 'index', 'Composite cost of living index'),

  fred('residential_price_growth', R, 'CSUSHPISA', 'M', 'percent_yoy', 'Residential home prices, year-on-year growth', {
    transform: 'yoy',
    nativeUnit: 'index_2000_100',
    note: 'CSUSHPISA is an index level; the growth is computed.',
  }),
  fred('housing_starts', R, 'HOUST', 'M', 'thousands_saar', 'New residential construction starts'),
  fred('building_permits', R, 'PERMIT', 'M', 'thousands_saar', 'New building permits issued'),
  fred('mortgage_rate_30y', R, 'MORTGAGE30US', 'W', 'percent', '30-year fixed mortgage rate'),
  derived(
    'price_to_income_housing',
    R,
    ['residential_price_growth', 'median_household_income'],
    'ratio',
    'House price to income ratio',
    'needs a median house price level; a growth rate over an income cannot give the ratio',
  ),
  llm('cre_vacancy_rate', R, 'percent', 'Commercial real estate vacancy rate (office)'),
  fred(
    'cre_loan_delinquency',
    R,
    'DRCRELEXFACBS',
    'Q',
    'percent',
    'Delinquency rate on commercial real estate loans (excluding farmland)',
    { note: 'The peer used DRCLACBS, the consumer-loan delinquency rate, for CRE.' },
  ),
  fred('rental_vacancy_rate', R, 'RRVRUSQ156N', 'Q', 'percent', 'Rental housing vacancy rate'),
  llm('rent_to_income_ratio', R, 'percent', 'Median rent as % of median income'),
  fred(
    'mortgage_delinquency_rate',
    R,
    'DRSFRMACBS',
    'Q',
    'percent',
    'Single-family residential mortgage delinquency rate',
  ),

  fred('ig_corporate_spread', B, 'BAMLC0A4CBBB', 'D', 'percent', 'BBB corporate bond option-adjusted spread', {
    note: 'ICE BofA spreads on FRED are in percent, not basis points.',
  }),
  fred('hy_corporate_spread', B, 'BAMLH0A0HYM2', 'D', 'percent', 'High-yield corporate bond option-adjusted spread'),
  fred('corporate_profit_margin', B, 'A446RC1Q027SBEA', 'Q', 'billion_usd_saar', 'Corporate profits after tax (SAAR)', {
    note: 'A446RC1Q027SBEA is a dollar level, not a share of GDP.',
  }),
  fred('business_inventory_to_sales', B, 'ISRATIO', 'M', 'ratio', 'Total business inventory-to-sales ratio'),
  fred('new_business_formation', B, 'BABATOTALSAUS', 'M', 'count', 'New business applications'),
  llm('bankruptcy_filings', B, 'count', 'Commercial bankruptcy filings'),
  fred(
    'small_business_optimism',
    B,
    'STLFSI4',
    'W',
    'index',
    'St. Louis Fed Financial Stress Index (proxy; higher means more stress)',
    {
      note: 'STLFSI4 is a financial stress index, not small-business optimism (the NFIB index is not on FRED). The stat keeps the peer name; the label and direction say what it is.',
    },
  ),
  llm('ceo_to_worker_pay_ratio', B, 'ratio', 'CEO-to-median-worker compensation ratio'),
  fred('capex_growth', B, 'PNFI', 'Q', 'percent_yoy', 'Private nonresidential fixed investment, year-on-year growth', {
    transform: 'yoy',
    nativeUnit: 'billion_usd_saar',
    note: 'PNFI is a level; the growth is computed.',
  }),
  fred(
    'pmi_manufacturing',
    B,
    'BSCICP03USM665S',
    'M',
    'index',
    'Manufacturing business confidence (OECD, amplitude adjusted, 100 = long-run average)',
    {
      note: 'The peer used MANEMP (manufacturing employment, thousands). The ISM PMI is not on FRED; the OECD manufacturing confidence survey is the nearest survey series.',
    },
  ),
  llm('pmi_services', B, 'index', 'Services PMI'),
  llm('industry_concentration_hhi', B, 'hhi_index', 'Average industry concentration (HHI)'),

  fred('unemployment_rate', L, 'UNRATE', 'M', 'percent', 'Headline unemployment rate (U-3)'),
  fred('underemployment_rate', L, 'U6RATE', 'M', 'percent', 'U-6 underemployment rate'),
  fred('initial_jobless_claims', L, 'ICSA', 'W', 'count', 'Initial unemployment claims (weekly)'),
  fred('job_openings_rate', L, 'JTSJOR', 'M', 'percent', 'Job openings rate (JOLTS)'),
  fred('quit_rate', L, 'JTSQUR', 'M', 'percent', 'Quits rate (JOLTS)'),
  fred(
    'wage_growth_real',
    L,
    'CES0500000003',
    'M',
    'percent_yoy',
    'Average hourly earnings, year-on-year growth (nominal)',
    {
      transform: 'yoy',
      nativeUnit: 'usd_per_hour',
      note: "CES0500000003 is a dollar level; the growth is computed, and it is nominal (the name keeps the peer's).",
    },
  ),
  wb('youth_unemployment', L, 'SL.UEM.1524.ZS', 'percent', 'Youth unemployment (15-24)'),
  fred('labor_force_growth', L, 'CLF16OV', 'M', 'percent_yoy', 'Civilian labor force, year-on-year growth', {
    transform: 'yoy',
    nativeUnit: 'thousands',
    note: 'CLF16OV is a level; the growth is computed.',
  }),

  wb(
    'infrastructure_spend_pct_gdp',
    F,
    'GC.XPN.COMP.ZS',
    'percent_expense',
    'Compensation of employees as % of government expense',
    {
      note: 'GC.XPN.COMP.ZS is compensation of government employees, not infrastructure investment; the peer used it as a proxy.',
    },
  ),
  wb('electricity_generation_capacity', F, 'EG.ELC.PROD.KH', 'kwh', 'Electricity production'),
  llm('energy_grid_reserve_margin', F, 'percent', 'Generation reserve margin above peak demand'),
  wb('broadband_penetration', F, 'IT.NET.BBND.P2', 'per_100_people', 'Fixed broadband subscriptions per 100 people'),
  fred('freight_volume_index', F, 'TSIFRGHT', 'M', 'index', 'Transportation services freight index'),
  fred(
    'airline_passenger_volume',
    F,
    'LOADFACTOR',
    'M',
    'percent',
    'Airline load factor (proxy for passenger volume)',
    { note: 'LOADFACTOR is the share of seats filled, in percent, not a passenger count.' },
  ),
  wb('renewable_share_generation', F, 'EG.ELC.RNEW.ZS', 'percent', 'Renewable electricity output as % of total'),

  wb('dependency_ratio', D, 'SP.POP.DPND', 'percent', 'Age dependency ratio'),
  llm('median_age', D, 'years', 'Median age of population'),
  wb('net_migration_rate', D, 'SM.POP.NETM', 'persons', 'Net migration', {
    note: 'SM.POP.NETM is a head count, not a rate per 1,000.',
  }),
  wb(
    'education_expenditure_gdp',
    D,
    'SE.XPD.TOTL.GD.ZS',
    'percent_gdp',
    'Government education expenditure as % of GDP',
  ),
  wb('tertiary_enrollment_rate', D, 'SE.TER.ENRR', 'percent_gross', 'Tertiary education enrollment rate'),
  wb('life_expectancy', D, 'SP.DYN.LE00.IN', 'years', 'Life expectancy at birth'),
  wb('urbanization_rate', D, 'SP.URB.TOTL.IN.ZS', 'percent', 'Urban population as % of total'),
  wb('homicide_rate', D, 'VC.IHR.PSRC.P5', 'per_100k', 'Intentional homicides per 100k'),

  // Added: headline inflation for every country, so real_rates and the regimes have an inflation
  // input outside the three countries with a FRED CPI; and 10-year yields from the OECD.
  wb('headline_inflation', P, 'FP.CPI.TOTL.ZG', 'percent_yoy', 'Consumer price inflation (annual %)', {
    note: 'Not in the peer; added because its core_cpi covers 3 of 20 countries.',
  }),
  {
    name: 'long_term_yield_10y',
    category: P,
    label: 'Long-term (10-year) government bond yield',
    source: 'api',
    unit: 'percent',
    note: 'Not in the peer; read from the OECD Key Economic Indicators with the new API key format (REF_AREA.FREQ.MEASURE and wildcards).',
    sources: [
      {
        provider: 'oecd',
        dataflow: 'OECD.SDD.STES,DSD_KEI@DF_KEI,4.0',
        codes: Object.fromEntries(oecdMembers.map((c) => [c, '{area}.M.IRLT....'])),
        frequency: 'M',
        nativeUnit: 'percent',
        transform: 'level',
      },
    ],
  },
];

export const statisticByName: ReadonlyMap<string, StatisticDefinition> = new Map(statistics.map((s) => [s.name, s]));
export const apiStatistics = statistics.filter((s) => s.source === 'api');
export const llmStatistics = statistics.filter((s) => s.source === 'llm');
export const derivedStatistics = statistics.filter((s) => s.source === 'derived');

/** The source that serves a stat for a country, if any. */
export function sourceFor(stat: StatisticDefinition, iso3: string): SeriesSource | undefined {
  return stat.sources.find((s) => s.codes[iso3] !== undefined);
}
