// Charts on uPlot: a 45 KB (minified) canvas library for time series, with no dependencies, no eval
// and no inline style attributes, so it runs under the page's strict CSP. Each chart is a <figure>
// with a caption, and the canvas carries a text summary for screen readers.
import uPlot from 'uplot';
import { h } from './dom.js';

export const palette = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];

export interface SeriesSpec {
  label: string;
  values: (number | null)[];
  color?: string;
  /** Draw as bars instead of a line. */
  bars?: boolean;
  fill?: string;
  dash?: number[];
  /** Hidden from the legend and not drawn as a line (a band edge). */
  edge?: boolean;
}

export interface ChartSpec {
  title: string;
  /** x values: seconds since the epoch when `time` (the default), else plain numbers. */
  x: number[];
  series: SeriesSpec[];
  time?: boolean;
  height?: number;
  yLabel?: string;
  yFormat?: (value: number) => string;
  /** Fill between two series (indexes into `series`): a forecast band. */
  bands?: { upper: number; lower: number; fill: string }[];
  /** A summary read out for the canvas, e.g. the last value. */
  summary: string;
  testId?: string;
}

const barsPath = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined;

/** A figure holding the chart; uPlot is created once the figure is in the document and sized. */
export function chart(spec: ChartSpec): HTMLElement {
  const holder = h('div', { class: 'chart', role: 'img', 'aria-label': `${spec.title}: ${spec.summary}` });
  const figure = h(
    'figure',
    { class: 'figure', ...(spec.testId ? { 'data-testid': spec.testId } : {}) },
    h('figcaption', {}, spec.title),
    holder,
  );
  if (spec.x.length === 0) {
    holder.appendChild(h('p', { class: 'muted' }, 'No points yet.'));
    return figure;
  }
  let plot: uPlot | undefined;
  const build = () => {
    const width = Math.max(240, holder.clientWidth || 600);
    const options: uPlot.Options = {
      width,
      height: spec.height ?? 220,
      scales: { x: { time: spec.time ?? true } },
      axes: [
        { stroke: '#374151', grid: { stroke: '#e5e7eb' } },
        {
          stroke: '#374151',
          grid: { stroke: '#e5e7eb' },
          ...(spec.yLabel ? { label: spec.yLabel } : {}),
          ...(spec.yFormat ? { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => spec.yFormat!(t)) } : {}),
          size: 70,
        },
      ],
      series: [
        {},
        ...spec.series.map((s, index) => ({
          label: s.label,
          stroke: s.edge ? 'transparent' : (s.color ?? palette[index % palette.length]),
          width: s.edge ? 0 : 2,
          ...(s.fill ? { fill: s.fill } : s.bars ? { fill: `${s.color ?? palette[index % palette.length]}99` } : {}),
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.bars && barsPath ? { paths: barsPath, points: { show: false } } : {}),
          ...(s.edge ? { points: { show: false } } : {}),
          ...(spec.yFormat ? { value: (_u: uPlot, v: number | null) => (v === null ? '–' : spec.yFormat!(v)) } : {}),
        })),
      ],
      ...(spec.bands
        ? { bands: spec.bands.map((b) => ({ series: [b.upper + 1, b.lower + 1] as [number, number], fill: b.fill })) }
        : {}),
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
    };
    plot = new uPlot(options, [spec.x, ...spec.series.map((s) => s.values)] as uPlot.AlignedData, holder);
    plot.root.querySelector('canvas')?.setAttribute('aria-hidden', 'true');
  };
  // Built after the figure is laid out, so it takes the width it is given; redrawn on resize.
  requestAnimationFrame(() => {
    if (!holder.isConnected) return;
    build();
    const observer = new ResizeObserver(() => {
      if (!holder.isConnected) return observer.disconnect();
      if (plot && Math.abs(plot.width - holder.clientWidth) > 4)
        plot.setSize({ width: Math.max(240, holder.clientWidth), height: plot.height });
    });
    observer.observe(holder);
  });
  return figure;
}
