// Every route of the dashboard's read-only API, by view.
import type { ApiRoute } from '../api.js';
import { coreRoutes } from './core.js';

export const dashboardRoutes: ApiRoute[] = [...coreRoutes];
