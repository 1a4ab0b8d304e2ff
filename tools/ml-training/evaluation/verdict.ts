// The verdict: on each metric, which baselines the model beats and by how much. "Improvement" is
// signed so that positive always means the model is better: baseline − model for MSE (lower is
// better), model − baseline for cosine (higher is better). Relative = improvement / |baseline|, null
// when the baseline's value is 0. A tie is not a win.
import type { VectorMetrics } from './metrics.js';

export const metricNames = ['mse', 'cosine'] as const;
export type MetricName = (typeof metricNames)[number];

export interface Comparison {
  baseline: string;
  metric: MetricName;
  model: number;
  baselineValue: number;
  improvement: number;
  relative: number | null;
  beats: boolean;
}

export interface Verdict {
  comparisons: Comparison[];
  /** Per metric: the model beats every baseline on it. */
  beatsAllOn: Record<MetricName, boolean>;
  /** The model beats every baseline on every metric. */
  beatsAll: boolean;
  /** Baselines the model fails to beat on at least one metric. */
  notBeaten: string[];
  summary: string;
}

function percent(relative: number | null): string {
  if (relative === null) return 'n/a';
  // Small differences keep two significant digits, so a near-tie does not read as "0.0%".
  const value = Math.abs(relative) * 100;
  return `${value >= 10 ? value.toFixed(1) : value.toPrecision(2)}%`;
}

export function verdict(model: VectorMetrics, baselines: Record<string, VectorMetrics>): Verdict {
  const comparisons: Comparison[] = [];
  for (const [baseline, metrics] of Object.entries(baselines)) {
    for (const metric of metricNames) {
      const improvement = metric === 'mse' ? metrics.mse - model.mse : model.cosine - metrics.cosine;
      const value = metrics[metric];
      comparisons.push({
        baseline,
        metric,
        model: model[metric],
        baselineValue: value,
        improvement,
        relative: value === 0 ? null : improvement / Math.abs(value),
        beats: improvement > 0,
      });
    }
  }
  const beatsAllOn = {
    mse: comparisons.filter((c) => c.metric === 'mse').every((c) => c.beats),
    cosine: comparisons.filter((c) => c.metric === 'cosine').every((c) => c.beats),
  };
  const notBeaten = [...new Set(comparisons.filter((c) => !c.beats).map((c) => c.baseline))];
  const beatsAll = notBeaten.length === 0;
  const count = Object.keys(baselines).length;
  const lines = [
    beatsAll
      ? `The model beats all ${count} baselines on MSE and cosine.`
      : `The model does not beat ${notBeaten.join(', ')} on every metric.`,
  ];
  for (const c of comparisons) {
    const word = c.beats ? 'beats' : c.improvement === 0 ? 'ties' : 'loses to';
    const direction = c.improvement === 0 ? '' : c.beats ? ' better' : ' worse';
    lines.push(
      `${c.metric}: ${word} ${c.baseline} (${c.model.toPrecision(4)} vs ${c.baselineValue.toPrecision(4)}, ${percent(c.relative)}${direction})`,
    );
  }
  return { comparisons, beatsAllOn, beatsAll, notBeaten, summary: lines.join('\n') };
}
