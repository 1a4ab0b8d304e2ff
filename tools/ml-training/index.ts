// The ml-training domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { inspectCheckpoint } from './checkpoints/checkpoint-tool.js';
import { evaluatePredictions } from './evaluation/evaluation-tool.js';
import { planPlacement } from './placement/placement-tool.js';
import { jobTools } from './jobs/job-tools.js';
import { prepareDataset } from './datasets/dataset-tool.js';
import { datasetCatalogTools } from './datasets/dataset-catalog-tools.js';
import { registryTools } from './registry/registry-tools.js';
import { registryReportTools } from './registry/registry-report-tools.js';

export const mlTrainingTools: readonly AnyTool[] = [
  inspectCheckpoint,
  evaluatePredictions,
  planPlacement,
  ...jobTools,
  prepareDataset,
  ...datasetCatalogTools,
  ...registryTools,
  ...registryReportTools,
] as unknown as AnyTool[];
