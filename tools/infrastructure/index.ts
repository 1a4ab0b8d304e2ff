// The infrastructure domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { getHostResources } from './host-resources.js';
import { checkServices } from './check-services.js';

export const infrastructureTools: readonly AnyTool[] = [getHostResources, checkServices] as unknown as AnyTool[];
