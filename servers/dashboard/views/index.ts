// Every route of the dashboard's read-only API, and the live watchers, by view.
import type { Suite } from '../../composition.js';
import type { ApiRoute } from '../api.js';
import type { DashboardEvents } from '../events.js';
import { coreRoutes } from './core.js';
import { knowledgeRoutes, knowledgeWatcher } from './knowledge.js';
import { fleetRoutes, fleetWatchers } from './fleet.js';
import { tradingRoutes } from './trading.js';
import { trainingRoutes, trainingWatcher } from './training.js';

export const dashboardRoutes: ApiRoute[] = [
  ...coreRoutes,
  ...knowledgeRoutes,
  ...fleetRoutes,
  ...tradingRoutes,
  ...trainingRoutes,
];

/**
 * Live parts of views: each registers watchers (events.watch(name, intervalMs, compute)) that run
 * only while a page is open and send event `name` when the value changed.
 */
export const dashboardWatchers: ((events: DashboardEvents, suite: Suite) => void)[] = [
  knowledgeWatcher,
  fleetWatchers,
  trainingWatcher,
];
