import assert from 'node:assert/strict';
import { test } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { ExpositionError, parseExposition, type MetricSample } from '../../tools/monitoring/metrics/exposition.js';
import { startNodeExporter } from './prometheus-peer.js';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The sample as node_exporter writes it, without the value: name{label="value",...}. */
function seriesText(sample: MetricSample): string {
  const labels = Object.entries(sample.labels).map(([name, value]) => `${name}="${escapeLabel(value)}"`);
  return labels.length === 0 ? sample.name : `${sample.name}{${labels.join(',')}}`;
}

function rawValue(text: string): number {
  const special: Record<string, number> = { '+Inf': Infinity, '-Inf': -Infinity, NaN: NaN };
  return text in special ? (special[text] as number) : Number(text);
}

test('every sample line of a real node_exporter exposition comes back with its labels, value and type', async (t) => {
  const exporter = await startNodeExporter(t);
  const raw = await (await fetch(exporter.metricsUrl)).text();
  const families = parseExposition(raw);

  // The raw text counted on its own: series text → value, and TYPE lines.
  const expected = new Map<string, number>();
  const declaredTypes = new Map<string, string>();
  for (const line of raw.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      declaredTypes.set(name as string, type as string);
    } else if (line !== '' && !line.startsWith('#')) {
      const cut = line.lastIndexOf(' ');
      expected.set(line.slice(0, cut), rawValue(line.slice(cut + 1)));
    }
  }
  const samples = families.flatMap((family) => family.samples);
  assert.ok(expected.size > 200, `node_exporter gave only ${expected.size} samples`);
  assert.equal(samples.length, expected.size);
  for (const sample of samples) {
    const key = seriesText(sample);
    assert.ok(expected.has(key), `${key} is not in the exposition`);
    assert.ok(Object.is(expected.get(key), sample.value) || expected.get(key) === sample.value, key);
  }
  for (const [name, type] of declaredTypes) assert.equal(families.find((f) => f.name === name)?.type, type, name);
  assert.ok(families.some((f) => f.type === 'counter' && f.name === 'node_cpu_seconds_total'));

  // go_gc_duration_seconds is node_exporter's summary: quantiles 0..1 plus sum and count.
  const gc = families.find((family) => family.name === 'go_gc_duration_seconds');
  assert.equal(gc?.type, 'summary');
  const series = gc?.summaries?.[0];
  assert.deepEqual(
    series?.quantiles.map((q) => q.quantile),
    [0, 0.25, 0.5, 0.75, 1],
  );
  assert.equal(series?.count, expected.get('go_gc_duration_seconds_count'));
  assert.equal(series?.sum, expected.get('go_gc_duration_seconds_sum'));

  // Where the library is lossless (counters and gauges), it agrees with us value for value.
  const library = parsePrometheusTextFormat(raw);
  for (const family of library.filter((f) => f.type === 'COUNTER' || f.type === 'GAUGE')) {
    const ours = families.find((f) => f.name === family.name);
    assert.equal(ours?.samples.length, family.metrics.length, family.name);
    assert.equal(ours?.help, family.help, family.name);
  }
});

const histogramText = `# HELP http_request_duration_seconds Request latency.\\nSecond line with a backslash \\\\ here.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{handler="/a\\\\b",msg="say \\"hi\\"\\nbye",le="0.1"} 3
http_request_duration_seconds_bucket{handler="/a\\\\b",msg="say \\"hi\\"\\nbye",le="+Inf"} 7
http_request_duration_seconds_bucket{handler="/a\\\\b",msg="say \\"hi\\"\\nbye",le="0.5"} 5
http_request_duration_seconds_sum{handler="/a\\\\b",msg="say \\"hi\\"\\nbye"} 1.5e+00
http_request_duration_seconds_count{handler="/a\\\\b",msg="say \\"hi\\"\\nbye"} 7
http_request_duration_seconds_bucket{handler="/other",le="0.1"} 1
http_request_duration_seconds_bucket{handler="/other",le="+Inf"} 2
http_request_duration_seconds_sum{handler="/other"} NaN
http_request_duration_seconds_count{handler="/other"} 2
# a plain comment
# TYPE temperature gauge
temperature{room="cellar"} -Inf 1700000000000
temperature{room="roof"} +Inf
no_type_at_all 42
`;

test('a labelled histogram keeps each series, its buckets with +Inf, sum, count and escaped label values', () => {
  const families = parseExposition(histogramText);
  const histogram = families.find((f) => f.name === 'http_request_duration_seconds');
  assert.equal(histogram?.type, 'histogram');
  assert.equal(histogram?.help, 'Request latency.\nSecond line with a backslash \\ here.');
  assert.equal(histogram?.samples.length, 9);
  assert.equal(histogram?.histograms?.length, 2);
  const first = histogram?.histograms?.[0];
  assert.deepEqual(first?.labels, { handler: '/a\\b', msg: 'say "hi"\nbye' });
  assert.deepEqual(first?.buckets, [
    { le: 0.1, count: 3 },
    { le: 0.5, count: 5 },
    { le: Infinity, count: 7 },
  ]);
  assert.equal(first?.sum, 1.5);
  assert.equal(first?.count, 7);
  assert.ok(Number.isNaN(histogram?.histograms?.[1]?.sum));
  const temperature = families.find((f) => f.name === 'temperature');
  assert.deepEqual(
    temperature?.samples.map((s) => [s.value, s.timestampMs]),
    [
      [-Infinity, 1700000000000],
      [Infinity, undefined],
    ],
  );
  assert.deepEqual(families.find((f) => f.name === 'no_type_at_all')?.type, 'untyped');

  // The library alone folds both series' buckets into one object: the second handler's are lost.
  const library = parsePrometheusTextFormat(histogramText).find((f) => f.name === 'http_request_duration_seconds');
  assert.equal(library?.metrics.length, 1);
});

test('a malformed line is named by its line number, and the budgets name their caps', () => {
  assert.throws(
    () => parseExposition('# TYPE a gauge\na 1\nb{x="1" 2\n'),
    (error: unknown) => error instanceof ExpositionError && error.line === 3 && /line 3/.test(error.message),
  );
  assert.throws(() => parseExposition('a one\n'), /line 1: a has value "one", which is not a number/);
  assert.throws(() => parseExposition('# TYPE a bogus\n'), /TYPE "bogus"/);
  assert.throws(
    () => parseExposition('a 1\n'.repeat(100), { maxBytes: 50 }),
    /400 bytes; the cap is 50 bytes \(maxBytes\)/,
  );
  assert.throws(
    () => parseExposition('a{i="1"} 1\na{i="2"} 1\n', { maxSamples: 1 }),
    /more than 1 samples \(maxSamples\)/,
  );
});

test('label names that are also Object properties stay plain labels', () => {
  const [family] = parseExposition('odd{__proto__="p",constructor="c",toString="t"} 1\n');
  const labels = family?.samples[0]?.labels ?? {};
  assert.deepEqual(Object.keys(labels), ['__proto__', 'constructor', 'toString']);
  assert.equal(Object.getPrototypeOf(labels), Object.prototype);
  assert.equal(labels.constructor, 'c');
  assert.throws(() => parseExposition('odd{a="1",a="2"} 1\n'), /label a appears twice/);
});
