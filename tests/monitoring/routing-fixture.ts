// Seeded generators for routing tests: Alertmanager route trees as YAML text (classic matchers,
// deprecated match/match_re, continue, nesting, inheritance) and label sets that hit them.
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const labelValues: Record<string, string[]> = {
  alertname: ['HighCpu', 'DiskFull', 'NodeDown', 'Latency'],
  severity: ['critical', 'warning', 'info', 'crit'],
  team: ['db', 'ml', 'web', 'ops'],
  env: ['prod', 'staging', 'dev', 'prod-eu'],
  profile: ['database', 'web_api', 'ml_compute', 'generic'],
};
const regexes: Record<string, string[]> = {
  alertname: ['High.*', 'Disk.*|Node.*', '.*Down', 'Lat'],
  severity: ['crit.*', 'critical|warning', 'warn', '(?i)CRITICAL', '[a-z]+'],
  team: ['db|ml', 'd.', 'w[a-z]b', 'o.*'],
  env: ['prod.*', 'prod', 'staging|dev', '.+-eu'],
  profile: ['data.*', 'web_api|ml_compute', '.*_.*', 'generic'],
};

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const yamlQuote = (text: string) => `'${text.replace(/'/g, "''")}'`;

function matcherText(random: () => number, name: string): string {
  const op = pick(random, ['=', '=', '!=', '=~', '=~', '!~']);
  const value = op.includes('~') ? pick(random, regexes[name]!) : pick(random, [...labelValues[name]!, '']);
  const spaced = random() < 0.3 ? ` ${op} ` : op;
  const quoted = random() < 0.7 || value === '' || /[|()*.+?[\]]/.test(value) ? JSON.stringify(value) : value;
  return `${name}${spaced}${quoted}`;
}

interface Counter {
  routes: number;
}

function routeYaml(random: () => number, depth: number, indent: string, counter: Counter, receivers: number): string {
  const names = Object.keys(labelValues);
  const lines: string[] = [];
  const style = random();
  if (style < 0.55) {
    const count = 1 + Math.floor(random() * 2);
    const matchers = Array.from({ length: count }, () => matcherText(random, pick(random, names)));
    if (random() < 0.3) lines.push(`matchers: [${yamlQuote(matchers.join(', '))}]`);
    else lines.push(`matchers: [${matchers.map(yamlQuote).join(', ')}]`);
  } else if (style < 0.75) {
    const name = pick(random, names);
    lines.push(`match: {${name}: ${yamlQuote(pick(random, labelValues[name]!))}}`);
  } else if (style < 0.92) {
    const name = pick(random, names);
    lines.push(`match_re: {${name}: ${yamlQuote(pick(random, regexes[name]!))}}`);
  } // else: a child without matchers (catches everything that reaches it)
  if (random() < 0.7) lines.push(`receiver: r${1 + Math.floor(random() * (receivers - 1))}`);
  if (random() < 0.35) lines.push('continue: true');
  if (random() < 0.2) lines.push(`group_by: [${pick(random, ['alertname', 'team', "'...'"])}]`);
  if (random() < 0.2) lines.push(`group_wait: ${pick(random, ['10s', '1m', '1h30m'])}`);
  if (depth < 3 && random() < 0.5) {
    lines.push('routes:');
    lines.push(childrenYaml(random, depth + 1, indent + '  ', counter, receivers));
  }
  counter.routes++;
  return lines
    .map((line, i) => (i === 0 ? `${indent}- ${line}` : line.startsWith(indent) ? line : `${indent}  ${line}`))
    .join('\n');
}

function childrenYaml(
  random: () => number,
  depth: number,
  indent: string,
  counter: Counter,
  receivers: number,
): string {
  const count = 1 + Math.floor(random() * (depth === 1 ? 4 : 3));
  return Array.from({ length: count }, () => routeYaml(random, depth, indent, counter, receivers)).join('\n');
}

/** A valid Alertmanager config with a random route tree; `routes` counts the non-root routes. */
export function generateConfig(seed: number): { yaml: string; routes: number } {
  const random = seededRandom(seed);
  const receivers = 6;
  const counter = { routes: 0 };
  let children = '';
  while (counter.routes < 4) children = childrenYaml(random, 1, '    ', ((counter.routes = 0), counter), receivers);
  const yaml = [
    'route:',
    '  receiver: r0',
    "  group_by: ['alertname']",
    '  routes:',
    children,
    'receivers:',
    ...Array.from({ length: receivers }, (_, i) => `  - name: r${i}`),
    '',
  ].join('\n');
  return { yaml, routes: counter.routes };
}

/** A label set over the generator's names; some labels missing, some empty. */
export function generateLabels(random: () => number): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [name, values] of Object.entries(labelValues)) {
    const roll = random();
    if (roll < 0.75) labels[name] = pick(random, values);
    else if (roll < 0.8) labels[name] = '';
  }
  return labels;
}
