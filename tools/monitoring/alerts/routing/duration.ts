// Prometheus durations (model.ParseDuration): units y w d h m s ms, each at most once and in that
// order, e.g. `1h30m`; `0` alone is allowed. A year is 365 days, as in Prometheus.

const units: [string, number][] = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

const pattern = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Milliseconds, or null when the text is not a Prometheus duration. */
export function parseDuration(text: string): number | null {
  if (text === '0') return 0;
  if (text === '') return null;
  const match = pattern.exec(text);
  if (!match) return null;
  let total = 0;
  for (let i = 0; i < units.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) total += Number(part) * units[i]![1];
  }
  return Number.isSafeInteger(total) ? total : null;
}

/** The shortest Prometheus spelling of a duration, e.g. 5400000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    // Prometheus prints weeks and years only when they divide exactly; days otherwise.
    if ((unit === 'y' || unit === 'w') && rest % size !== 0) continue;
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}
