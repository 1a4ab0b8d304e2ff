// parse-prometheus-text-format ships no type declarations; this is the shape of what it returns
// (prom2json's): values stay strings, histogram and summary samples are folded into buckets/quantiles.
declare module 'parse-prometheus-text-format' {
  interface LibrarySample {
    labels?: Record<string, string>;
    value?: string;
    timestamp_ms?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    sum?: string;
    count?: string;
  }
  interface LibraryFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: LibrarySample[];
  }
  function parsePrometheusTextFormat(text: string): LibraryFamily[];
  export default parsePrometheusTextFormat;
}
