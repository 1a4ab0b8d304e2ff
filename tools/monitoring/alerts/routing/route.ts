// The routing tree with Alertmanager's semantics (dispatch/route.go): children inherit unset
// receiver, group_by and timings; matching is depth-first, stops at the first matching child unless
// that child has `continue: true`, and an alert that matches no child is handled by the node itself.
// Matchers are compiled once here, so a routing decision only runs closures.
import type { LabelSet } from '../alert-types.js';
import { defaultTimings, type AlertmanagerConfig, type RouteConfig } from './am-config.js';
import { compileMatcher, matchersToString, sortMatchers, type CompiledMatcher } from './matchers.js';

export interface RouteNode {
  /** Alertmanager's route key: the parents' matchers, e.g. `{}/{severity="critical"}`; part of group keys. */
  key: string;
  /** The key plus each node's index among its siblings (Alertmanager's route ID), unique. */
  id: string;
  /** Indices from the root, e.g. [0, 2] for the root's first child's third child. */
  path: number[];
  receiver: string;
  groupBy: string[];
  groupByAll: boolean;
  continue: boolean;
  /** Sorted as Alertmanager sorts them. */
  matchers: CompiledMatcher[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  routes: RouteNode[];
  parent: RouteNode | null;
  /** Where the route starts in the YAML, 1-based (0 for a tree built without positions). */
  line: number;
}

function build(config: RouteConfig, parent: RouteNode | null, index: number): RouteNode {
  const matchers = sortMatchers(config.matchers.map(compileMatcher));
  const own = matchersToString(matchers);
  const node: RouteNode = {
    key: parent ? `${parent.key}/${own}` : own,
    id: parent ? `${parent.id}/${own}/${index}` : own,
    path: parent ? [...parent.path, index] : [],
    receiver: config.receiver ?? parent?.receiver ?? '',
    groupBy: parent?.groupBy ?? [],
    groupByAll: parent?.groupByAll ?? false,
    continue: config.continue,
    matchers,
    groupWaitMs: config.groupWaitMs ?? parent?.groupWaitMs ?? defaultTimings.groupWaitMs,
    groupIntervalMs: config.groupIntervalMs ?? parent?.groupIntervalMs ?? defaultTimings.groupIntervalMs,
    repeatIntervalMs: config.repeatIntervalMs ?? parent?.repeatIntervalMs ?? defaultTimings.repeatIntervalMs,
    routes: [],
    parent,
    line: config.line,
  };
  if (config.groupBy === '...') node.groupByAll = true;
  else if (config.groupBy !== undefined) {
    node.groupBy = [...config.groupBy].sort();
    node.groupByAll = false;
  }
  node.routes = config.routes.map((child, i) => build(child, node, i));
  return node;
}

/** The resolved tree of a parsed config (or of a bare route config). */
export function buildRouteTree(config: AlertmanagerConfig | RouteConfig): RouteNode {
  return build('route' in config ? config.route : config, null, 0);
}

function matches(node: RouteNode, labels: LabelSet): boolean {
  const matchers = node.matchers;
  for (let i = 0; i < matchers.length; i++) if (!matchers[i]!.test(labels)) return false;
  return true;
}

function collect(node: RouteNode, labels: LabelSet, out: RouteNode[]): boolean {
  if (!matches(node, labels)) return false;
  const before = out.length;
  for (const child of node.routes) {
    if (collect(child, labels, out) && !child.continue) break;
  }
  if (out.length === before) out.push(node);
  return true;
}

/** The routes an alert with these labels goes to, in Alertmanager's order (receivers may repeat). */
export function routeAlert(tree: RouteNode, labels: LabelSet): RouteNode[] {
  const out: RouteNode[] = [];
  collect(tree, labels, out);
  return out;
}

/** Every node of the tree, depth-first. */
export function walkRoutes(tree: RouteNode): RouteNode[] {
  const out: RouteNode[] = [tree];
  for (const child of tree.routes) out.push(...walkRoutes(child));
  return out;
}

/** The nodes from the root to `node`, as amtool --tree draws the matching path. */
export function routeChain(node: RouteNode): RouteNode[] {
  const chain: RouteNode[] = [];
  for (let current: RouteNode | null = node; current; current = current.parent) chain.unshift(current);
  return chain;
}

/** One line per node, indented: `{matchers} receiver: name [continue] group_by: […] wait/interval/repeat`. */
export function drawRouteTree(tree: RouteNode, format: (ms: number) => string): string {
  const lines: string[] = [];
  const visit = (node: RouteNode, depth: number) => {
    const label = node.parent ? matchersToString(node.matchers) : 'default-route';
    const group = node.groupByAll ? '...' : node.groupBy.join(',');
    lines.push(
      `${'  '.repeat(depth)}${label}  receiver: ${node.receiver}${node.continue ? '  continue' : ''}` +
        `  group_by: [${group}]  wait ${format(node.groupWaitMs)} / interval ${format(node.groupIntervalMs)} / repeat ${format(node.repeatIntervalMs)}`,
    );
    for (const child of node.routes) visit(child, depth + 1);
  };
  visit(tree, 0);
  return lines.join('\n');
}
