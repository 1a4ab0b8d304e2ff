// Keyword search over the internal catalogue: BM25F, that is BM25 with each field (name, title,
// tags, example requests, description, domain) weighted and length-normalised on its own, so a
// hit in a tool's name or in a request a user would type outranks one in a long description.
// Words are Porter-stemmed; a query word also matches its synonyms and words sharing its prefix, at
// a discount. `assess` says whether the best hit is a good match at all.
import type { AnyTool, Domain } from './define-tool.js';
import { stem } from './stemmer.js';
import { everydayWords, stopWords, synonymTable } from './search-vocabulary.js';

type Field = 'name' | 'title' | 'tags' | 'requests' | 'description' | 'domain';

/** weight: how much one occurrence counts; b: how much a long field is discounted (0..1). */
const fieldSettings: Record<Field, { weight: number; b: number }> = {
  name: { weight: 3, b: 0.3 },
  title: { weight: 2.5, b: 0.3 },
  tags: { weight: 3.5, b: 0.3 },
  requests: { weight: 2, b: 0.5 },
  description: { weight: 1, b: 0.5 },
  domain: { weight: 0.5, b: 0 },
};
const fields = Object.keys(fieldSettings) as Field[];
const tuning = { k1: 1.2, synonymDiscount: 0.6, prefixDiscount: 0.5, everydayWordShare: 0.5, domainCoherence: 0.5 };

/**
 * Lower-cased, Porter-stemmed words without stop words. A camel-cased word ("noImplicitAny",
 * "TypeScript") gives its parts and the whole; with `known` (the query side), only the whole when
 * the catalogue knows it, so "TypeScript" does not also match "script".
 */
export function tokenize(text: string, known?: (token: string) => boolean): string[] {
  const tokens: string[] = [];
  for (const word of text.replace(/'s\b/g, '').split(/[^A-Za-z0-9]+/)) {
    const parts = word
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .split(' ');
    const whole = stem(word.toLowerCase());
    if (parts.length > 1 && !stopWords.has(word.toLowerCase()) && word.length > 1) {
      if (known?.(whole)) {
        tokens.push(whole);
        continue;
      }
      if (!known) tokens.push(whole);
    }
    for (const part of parts) if (part.length > 1 && !stopWords.has(part)) tokens.push(stem(part));
  }
  return tokens;
}

const synonyms = synonymTable(stem);
const everyday = new Set([...everydayWords].map(stem));

interface IndexedTool {
  tool: AnyTool;
  /** Per field: token -> occurrences. */
  counts: Record<Field, Map<string, number>>;
  lengths: Record<Field, number>;
}

export interface SearchHit {
  tool: AnyTool;
  score: number;
  /** The query's own words (stemmed) that matched, directly or through a synonym or prefix. */
  matched: string[];
}

/** A query word and the words it may match instead, each with its discount. */
type TermGroup = { term: string; variants: Map<string, number> };

export interface Assessment {
  /** True when the best hit is a good match; false means "no good match" is the answer. */
  confident: boolean;
  /** The best hit's score over the query's attainable score, 0..1. */
  confidence: number;
}

/**
 * Below this confidence (the best hit's score, everyday words counting half, over what the query
 * could score), or when only everyday words matched, the answer is "no good match". Calibrated on the on-topic and off-topic requests of
 * tests/tools/find-tools-eval.json. At 130 tools the lowest on-topic confidence was 0.0888 and the
 * floor 0.08; at 205 tools (issue 20: the mounted servers' tools and 29 more of Caelum's own), every
 * word's idf is higher and so is every confidence: the lowest on-topic one is 0.121, the 150 round-8
 * requests (unseen when it was set) included, so the floor moved to 0.11, the same ~10% margin. It
 * turns away most off-topic requests, not all: some share a word with a tool. bench/find-tools.ts
 * prints both sides.
 */
export const minimumConfidence = 0.11;

export class ToolSearchIndex {
  private readonly docs: IndexedTool[];
  private readonly documentFrequency = new Map<string, number>();
  private readonly averageLengths: Record<Field, number>;
  private readonly vocabulary: string[];

  constructor(tools: readonly AnyTool[]) {
    this.docs = tools.map((tool) => indexTool(tool));
    for (const doc of this.docs) {
      const seen = new Set<string>();
      for (const field of fields) for (const token of doc.counts[field].keys()) seen.add(token);
      for (const token of seen) this.documentFrequency.set(token, (this.documentFrequency.get(token) ?? 0) + 1);
    }
    const n = Math.max(1, this.docs.length);
    this.averageLengths = Object.fromEntries(
      fields.map((field) => [field, Math.max(1, this.docs.reduce((sum, doc) => sum + doc.lengths[field], 0) / n)]),
    ) as Record<Field, number>;
    this.vocabulary = [...this.documentFrequency.keys()];
  }

  search(query: string, options: { domain?: Domain; limit: number }): SearchHit[] {
    const groups = this.termGroups(query);
    const hits: SearchHit[] = [];
    for (const doc of this.docs) {
      if (options.domain && doc.tool.domain !== options.domain) continue;
      let score = 0;
      const matched: string[] = [];
      for (const group of groups) {
        const best = this.groupScore(doc, group);
        if (best === 0) continue;
        score += best;
        matched.push(group.term);
      }
      if (score > 0) hits.push({ tool: doc.tool, score: Number(score.toFixed(4)), matched });
    }
    // Domain coherence: at 200+ tools a word shared across domains ("handle", "network", "drop") lets
    // a lone tool of another domain outrank the tools of the domain the request is about. Each hit
    // gains up to half its score by its domain's share of the top ten's score (pseudo-relevance
    // feedback by domain). Not applied when the search is scoped to a domain.
    if (!options.domain && hits.length > 1) {
      const lambda = tuning.domainCoherence;
      const top = [...hits].sort((a, b) => b.score - a.score).slice(0, 10);
      const total = top.reduce((sum, hit) => sum + hit.score, 0);
      const share = new Map<string, number>();
      for (const hit of top) share.set(hit.tool.domain, (share.get(hit.tool.domain) ?? 0) + hit.score / total);
      for (const hit of hits)
        hit.score = Number((hit.score * (1 + lambda * (share.get(hit.tool.domain) ?? 0))).toFixed(4));
    }
    // A hit that matched only everyday words ("write", "new") is no good match by assess()'s rule,
    // so it does not go above one that matched a word of the request's own subject.
    const specific = (hit: SearchHit) => hit.matched.some((term) => !everyday.has(term));
    return hits
      .sort(
        (a, b) =>
          Number(specific(b)) - Number(specific(a)) || b.score - a.score || a.tool.name.localeCompare(b.tool.name),
      )
      .slice(0, options.limit);
  }

  /** Whether `best` (the top hit for `query`) is a good match, judged against what the query could score. */
  assess(query: string, best: SearchHit | undefined): Assessment {
    const doc = best && this.docs.find((d) => d.tool === best.tool);
    if (!doc) return { confident: false, confidence: 0 };
    const groups = this.termGroups(query);
    const attainable = groups.reduce((sum, group) => sum + this.attainable(group.term), 0);
    // The best hit's score again, with everyday words counting only their share.
    let score = 0;
    // A match on everyday words alone ("order" in "order a pizza") is no good match, however strong.
    let specific = false;
    for (const group of groups) {
      const hit = this.groupScore(doc, group);
      if (hit > 0 && !everyday.has(group.term)) specific = true;
      score += everyday.has(group.term) ? tuning.everydayWordShare * hit : hit;
    }
    const confidence = attainable > 0 ? Math.min(1, score / attainable) : 0;
    return { confident: specific && confidence >= minimumConfidence, confidence: Number(confidence.toFixed(4)) };
  }

  /** A query word's score in one tool: its best variant, discounted. */
  private groupScore(doc: IndexedTool, group: TermGroup): number {
    let best = 0;
    for (const [token, discount] of group.variants) best = Math.max(best, discount * this.termScore(doc, token));
    return best;
  }

  private termGroups(query: string): TermGroup[] {
    const groups: TermGroup[] = [];
    for (const term of new Set(tokenize(query, (token) => this.isKnown(token)))) {
      const variants = new Map<string, number>([[term, 1]]);
      for (const synonym of synonyms.get(term) ?? [])
        variants.set(synonym, Math.max(variants.get(synonym) ?? 0, tuning.synonymDiscount));
      if (term.length >= 4) {
        for (const token of this.vocabulary) {
          if (Math.min(token.length, term.length) < 5 || variants.has(token)) continue;
          if (token.startsWith(term) || term.startsWith(token)) variants.set(token, tuning.prefixDiscount);
        }
      }
      groups.push({ term, variants });
    }
    return groups;
  }

  private isKnown(token: string): boolean {
    return this.documentFrequency.has(token) || (synonyms.get(token) ?? []).some((s) => this.documentFrequency.has(s));
  }

  private idf(token: string): number {
    const n = this.docs.length;
    const df = this.documentFrequency.get(token) ?? 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  private termScore(doc: IndexedTool, token: string): number {
    let frequency = 0;
    for (const field of fields) {
      const count = doc.counts[field].get(token);
      if (!count) continue;
      const { weight, b } = fieldSettings[field];
      frequency += (weight * count) / (1 - b + (b * doc.lengths[field]) / this.averageLengths[field]);
    }
    if (frequency === 0) return 0;
    return (this.idf(token) * frequency * (tuning.k1 + 1)) / (tuning.k1 + frequency);
  }

  /**
   * What a query word could score at best (a saturated hit): its idf when the catalogue knows it or a
   * synonym of it, else the idf of a word no tool has. An unknown word therefore lowers confidence.
   */
  private attainable(term: string): number {
    const known =
      this.documentFrequency.has(term) || (synonyms.get(term) ?? []).some((s) => this.documentFrequency.has(s));
    const idf = known
      ? Math.max(this.idf(term), ...(synonyms.get(term) ?? []).map((s) => this.idf(s) * tuning.synonymDiscount))
      : this.idf('');
    return idf * (tuning.k1 + 1);
  }
}

function indexTool(tool: AnyTool): IndexedTool {
  const prefix = `${tool.domain.replace('-', '_')}_`;
  const texts: Record<Field, string> = {
    name: tool.name.startsWith(prefix) ? tool.name.slice(prefix.length) : tool.name,
    title: tool.title,
    tags: tool.tags.join(' '),
    requests: (tool.requests ?? []).join(' '),
    description: tool.mounted?.summary ?? tool.description,
    domain: tool.domain,
  };
  const counts = {} as Record<Field, Map<string, number>>;
  const lengths = {} as Record<Field, number>;
  for (const field of fields) {
    const tokens = tokenize(texts[field]);
    const map = new Map<string, number>();
    for (const token of tokens) map.set(token, (map.get(token) ?? 0) + 1);
    counts[field] = map;
    lengths[field] = tokens.length;
  }
  return { tool, counts, lengths };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** Up to two known names close to a mistyped one. */
export function suggestNames(name: string, names: readonly string[]): string[] {
  const limit = Math.max(3, Math.floor(name.length / 3));
  return names
    .map((candidate) => ({ candidate, distance: editDistance(name.toLowerCase(), candidate) }))
    .filter((entry) => entry.distance <= limit)
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 2)
    .map((entry) => entry.candidate);
}
