// The knowledge graph's schema, as numbered migrations. A database records the version it reached
// in `_Meta`; opening it applies the missing migrations in order. Every statement is idempotent
// (IF NOT EXISTS), so a migration cut short by a crash is simply applied again.

export interface Migration {
  version: number;
  description: string;
  statements: string[];
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description:
      'financial knowledge base: countries, statistics and their series, regimes, scenarios, trade corridors and contagion',
    statements: [
      'CREATE NODE TABLE IF NOT EXISTS _Meta(key STRING PRIMARY KEY, value STRING)',
      'CREATE NODE TABLE IF NOT EXISTS Country(iso3 STRING PRIMARY KEY, iso2 STRING, name STRING, region STRING, gdpRank INT64, regime STRING)',
      'CREATE NODE TABLE IF NOT EXISTS Statistic(id STRING PRIMARY KEY, country STRING, name STRING, category STRING, unit STRING, value DOUBLE, period STRING, sourceType STRING, provider STRING)',
      'CREATE NODE TABLE IF NOT EXISTS SeriesPoint(id STRING PRIMARY KEY, statistic STRING, period STRING, value DOUBLE, source STRING)',
      'CREATE NODE TABLE IF NOT EXISTS Regime(id STRING PRIMARY KEY, country STRING, state STRING, probability DOUBLE, asOf STRING, model STRING)',
      'CREATE NODE TABLE IF NOT EXISTS Scenario(id STRING PRIMARY KEY, name STRING, description STRING, probability DOUBLE, horizonMonths INT64)',
      'CREATE REL TABLE IF NOT EXISTS MONITORS(FROM Country TO Statistic)',
      'CREATE REL TABLE IF NOT EXISTS HAS_POINT(FROM Statistic TO SeriesPoint)',
      'CREATE REL TABLE IF NOT EXISTS IN_REGIME(FROM Country TO Regime)',
      'CREATE REL TABLE IF NOT EXISTS TRADE_DEPENDS(FROM Country TO Country, weight DOUBLE, mechanism STRING, lagMonths INT64, confidence DOUBLE, provenance STRING)',
      'CREATE REL TABLE IF NOT EXISTS CONTAGION(FROM Statistic TO Statistic, weight DOUBLE, mechanism STRING, lagMonths INT64, confidence DOUBLE, provenance STRING)',
      'CREATE REL TABLE IF NOT EXISTS AFFECTS(FROM Scenario TO Country, weight DOUBLE, mechanism STRING)',
    ],
  },
  {
    version: 2,
    description: 'agent memory (entities, relations, observations) and searchable documents',
    statements: [
      'CREATE NODE TABLE IF NOT EXISTS Entity(name STRING PRIMARY KEY, entityType STRING, createdAt STRING, updatedAt STRING)',
      'CREATE NODE TABLE IF NOT EXISTS Observation(id STRING PRIMARY KEY, entity STRING, content STRING, createdAt STRING)',
      'CREATE REL TABLE IF NOT EXISTS HAS_OBSERVATION(FROM Entity TO Observation)',
      'CREATE REL TABLE IF NOT EXISTS RELATION(FROM Entity TO Entity, relationType STRING, createdAt STRING)',
      'CREATE NODE TABLE IF NOT EXISTS Document(id STRING PRIMARY KEY, collection STRING, namespace STRING, type STRING, text STRING, ref STRING, updatedAt STRING)',
    ],
  },
];

export const currentSchemaVersion = migrations.at(-1)!.version;
