// The 20 countries of the knowledge base, in the peer's order (stored as gdpRank 1..20). ISO-3 keys
// everything; ISO-2 is what the World Bank and BIS URLs use; `oecd` marks the 14 OECD members whose
// series the OECD SDMX API serves; `euro` the five that share the ECB's policy rate.

export interface Country {
  iso3: string;
  iso2: string;
  name: string;
  region: string;
  oecd: boolean;
  euro: boolean;
}

const row = (iso3: string, iso2: string, name: string, region: string, flags = ''): Country => ({
  iso3,
  iso2,
  name,
  region,
  oecd: flags.includes('o'),
  euro: flags.includes('e'),
});

export const countries: readonly Country[] = [
  row('USA', 'US', 'United States', 'North America', 'o'),
  row('CHN', 'CN', 'China', 'East Asia'),
  row('DEU', 'DE', 'Germany', 'Europe', 'oe'),
  row('IND', 'IN', 'India', 'South Asia'),
  row('JPN', 'JP', 'Japan', 'East Asia', 'o'),
  row('GBR', 'GB', 'United Kingdom', 'Europe', 'o'),
  row('FRA', 'FR', 'France', 'Europe', 'oe'),
  row('ITA', 'IT', 'Italy', 'Europe', 'oe'),
  row('RUS', 'RU', 'Russia', 'Europe'),
  row('CAN', 'CA', 'Canada', 'North America', 'o'),
  row('BRA', 'BR', 'Brazil', 'Latin America'),
  row('ESP', 'ES', 'Spain', 'Europe', 'oe'),
  row('MEX', 'MX', 'Mexico', 'Latin America', 'o'),
  row('AUS', 'AU', 'Australia', 'Oceania', 'o'),
  row('KOR', 'KR', 'South Korea', 'East Asia', 'o'),
  row('TUR', 'TR', 'Turkey', 'Europe', 'o'),
  row('IDN', 'ID', 'Indonesia', 'Southeast Asia'),
  row('NLD', 'NL', 'Netherlands', 'Europe', 'oe'),
  row('SAU', 'SA', 'Saudi Arabia', 'Middle East'),
  row('POL', 'PL', 'Poland', 'Europe', 'o'),
];

export const countryByIso3: ReadonlyMap<string, Country> = new Map(countries.map((c) => [c.iso3, c]));
export const countryByIso2: ReadonlyMap<string, Country> = new Map(countries.map((c) => [c.iso2, c]));
