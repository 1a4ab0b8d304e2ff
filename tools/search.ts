// Keyword search over the internal catalogue: field-weighted BM25 with prefix matching, so
// "complex" finds "complexity" and a hit in a tool's name outranks one in its description.
// Vector search joins it when the knowledge layer lands.
import type { AnyTool, Domain } from './define-tool.js';

const fieldWeights = { name: 3, tags: 2.5, title: 2, description: 1 } as const;
const stopWords = new Set([
  'a',
  'an',
  'the',
  'of',
  'to',
  'for',
  'and',
  'or',
  'in',
  'on',
  'with',
  'is',
  'it',
  'me',
  'my',
  'how',
  'what',
  'i',
  'do',
  'can',
  'this',
  'that',
]);

export function tokenize(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((token) => token.length > 1 && !stopWords.has(token))
    .map(stem);
}

function stem(token: string): string {
  if (token.length > 4 && token.endsWith('ies')) return `${token.slice(0, -3)}y`;
  if (token.length > 3 && token.endsWith('s') && !token.endsWith('ss')) return token.slice(0, -1);
  return token;
}

interface IndexedTool {
  tool: AnyTool;
  weights: Map<string, number>;
  length: number;
}

export interface SearchHit {
  tool: AnyTool;
  score: number;
  matched: string[];
}

export class ToolSearchIndex {
  private readonly docs: IndexedTool[];
  private readonly documentFrequency = new Map<string, number>();
  private readonly averageLength: number;

  constructor(tools: readonly AnyTool[]) {
    this.docs = tools.map((tool) => {
      const weights = new Map<string, number>();
      const fields: [keyof typeof fieldWeights, string][] = [
        ['name', tool.name],
        ['tags', `${tool.tags.join(' ')} ${tool.domain}`],
        ['title', tool.title],
        ['description', tool.description],
      ];
      let length = 0;
      for (const [field, text] of fields) {
        for (const token of tokenize(text)) {
          weights.set(token, (weights.get(token) ?? 0) + fieldWeights[field]);
          length += fieldWeights[field];
        }
      }
      for (const token of weights.keys())
        this.documentFrequency.set(token, (this.documentFrequency.get(token) ?? 0) + 1);
      return { tool, weights, length };
    });
    this.averageLength = this.docs.reduce((sum, doc) => sum + doc.length, 0) / Math.max(1, this.docs.length);
  }

  search(query: string, options: { domain?: Domain; limit: number }): SearchHit[] {
    const terms = [...new Set(tokenize(query))];
    const n = this.docs.length;
    const hits: SearchHit[] = [];
    for (const doc of this.docs) {
      if (options.domain && doc.tool.domain !== options.domain) continue;
      let score = 0;
      const matched: string[] = [];
      for (const term of terms) {
        const { frequency, token } = this.match(doc, term);
        if (frequency === 0) continue;
        const df = this.documentFrequency.get(token) ?? 1;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        const k1 = 1.2;
        const b = 0.75;
        score += (idf * frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * doc.length) / this.averageLength));
        matched.push(term);
      }
      if (score > 0) hits.push({ tool: doc.tool, score: Number(score.toFixed(4)), matched });
    }
    return hits.sort((a, b) => b.score - a.score || a.tool.name.localeCompare(b.tool.name)).slice(0, options.limit);
  }

  private match(doc: IndexedTool, term: string): { frequency: number; token: string } {
    const exact = doc.weights.get(term);
    if (exact) return { frequency: exact, token: term };
    if (term.length < 3) return { frequency: 0, token: term };
    // Prefix match in either direction, discounted: "complex" ~ "complexity", "structures" ~ "structure".
    let best = 0;
    let bestToken = term;
    for (const [token, weight] of doc.weights) {
      if (
        (token.startsWith(term) || term.startsWith(token)) &&
        Math.min(token.length, term.length) >= 3 &&
        weight * 0.6 > best
      ) {
        best = weight * 0.6;
        bestToken = token;
      }
    }
    return { frequency: best, token: bestToken };
  }
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
