// The knowledge-base domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { askGraph } from './ask-graph.js';
import { exportGraph } from './export-tools.js';
import {
  aggregateStatistic,
  findTradePaths,
  getCountryProfile,
  getNeighbours,
  getRegime,
  getSeries,
  propagateShock,
  traceContagion,
} from './financial-tools.js';
import { explainCypher, findGraphNodes, getGraphStats, getSchema, importGraph, runCypher } from './graph-tools.js';
import { forgetFacts, recallFacts, rememberFacts } from './memory-tools.js';
import { knowledgeSourceTool, loadSampleTool } from './sample-tools.js';
import {
  buildSnapshotTool,
  cancelSnapshotTool,
  diffSnapshotsTool,
  listSnapshotsTool,
  restoreSnapshotTool,
  snapshotStatusTool,
  verifySnapshotTool,
} from './snapshot-tools.js';
import {
  dropCollection,
  getIndexStats,
  importPostgres,
  indexDocuments,
  listCollections,
  rebuildIndex,
  searchVectors,
  verifyIndex,
} from './vector-tools.js';

export const knowledgeBaseTools: readonly AnyTool[] = [
  runCypher,
  explainCypher,
  askGraph,
  getSchema,
  getGraphStats,
  findGraphNodes,
  importGraph,
  getNeighbours,
  traceContagion,
  propagateShock,
  findTradePaths,
  getCountryProfile,
  getSeries,
  getRegime,
  aggregateStatistic,
  rememberFacts,
  recallFacts,
  forgetFacts,
  buildSnapshotTool,
  snapshotStatusTool,
  cancelSnapshotTool,
  listSnapshotsTool,
  verifySnapshotTool,
  diffSnapshotsTool,
  restoreSnapshotTool,
  loadSampleTool,
  knowledgeSourceTool,
  searchVectors,
  indexDocuments,
  listCollections,
  getIndexStats,
  rebuildIndex,
  verifyIndex,
  dropCollection,
  importPostgres,
  exportGraph,
] as unknown as AnyTool[];
