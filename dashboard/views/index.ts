// The dashboard's views, in tab order.
import type { View } from '../lib/app-context.js';
import { savingsView } from './savings.js';
import { poolView } from './pool.js';
import { executionsView } from './executions.js';
import { knowledgeView } from './knowledge.js';
import { fleetView } from './fleet.js';
import { tradingView } from './trading.js';
import { trainingView } from './training.js';

export const views: View[] = [
  savingsView,
  poolView,
  executionsView,
  knowledgeView,
  fleetView,
  tradingView,
  trainingView,
];
