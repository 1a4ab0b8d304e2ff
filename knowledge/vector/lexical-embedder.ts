// The zero-download default embedder. It is lexical, not semantic: texts are close when they share
// words, word pairs and character trigrams, hashed into a fixed number of dimensions (signed
// feature hashing, log term frequency, L2-normalised). It needs no model file, so search works out
// of the box; a sentence-embedding model (ONNX or Ollama) understands meaning and is better.

import type { Embedder } from './embedder.js';

export type { Embedder } from './embedder.js';

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const tokenPattern = /[\p{L}\p{N}]+/gu;

const stopwords = new Set(
  'a an and are as at be by for from has have in into is it its of on or that the this to was were will with which when where who how what do does not no'.split(
    ' ',
  ),
);
const featureWeight = { w: 1, b: 0.5, c: 0.2 } as const;

/**
 * Hashed features of a text with their weights: words (stopwords dropped), word pairs, and
 * character trigrams of each word (so "contagoin" still meets "contagion"). A feature seen n times
 * weighs base × (1 + ln n).
 */
export function lexicalFeatures(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const words = ((text.toLowerCase().match(tokenPattern) ?? []) as string[]).filter((word) => !stopwords.has(word));
  words.forEach((word, i) => {
    bump(`w:${word}`);
    if (i > 0) bump(`b:${words[i - 1]} ${word}`);
    const padded = `^${word}$`;
    for (let j = 0; j + 3 <= padded.length; j++) bump(`c:${padded.slice(j, j + 3)}`);
  });
  const features = new Map<string, number>();
  for (const [key, n] of counts)
    features.set(key, featureWeight[key[0] as keyof typeof featureWeight] * (1 + Math.log(n)));
  return features;
}

export class LexicalEmbedder implements Embedder {
  readonly name: string;
  readonly semantic = false;

  constructor(readonly dimension = 384) {
    // v2: stopwords dropped and weights fixed; v1 vectors differ, so the name differs too.
    this.name = `lexical-hash-v2/${dimension}`;
  }

  embedOne(text: string): number[] {
    const vector = new Array<number>(this.dimension).fill(0);
    for (const [feature, weight] of lexicalFeatures(text)) {
      const hash = fnv1a(feature);
      const sign = hash & 1 ? 1 : -1;
      vector[(hash >>> 1) % this.dimension]! += sign * weight;
    }
    const norm = Math.hypot(...vector);
    return norm > 0 ? vector.map((v) => v / norm) : vector;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    return texts.map((text) => this.embedOne(text));
  }
}
