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

export function lexicalFeatures(text: string): Map<string, number> {
  const features = new Map<string, number>();
  const bump = (key: string, weight: number) => features.set(key, (features.get(key) ?? 0) + weight);
  const words = (text.toLowerCase().match(tokenPattern) ?? []) as string[];
  words.forEach((word, i) => {
    bump(`w:${word}`, 1);
    if (i > 0) bump(`b:${words[i - 1]} ${word}`, 0.5);
    const padded = `^${word}$`;
    for (let j = 0; j + 3 <= padded.length; j++) bump(`c:${padded.slice(j, j + 3)}`, 0.25);
  });
  return features;
}

export class LexicalEmbedder implements Embedder {
  readonly name: string;
  readonly semantic = false;

  constructor(readonly dimension = 384) {
    this.name = `lexical-hash/${dimension}`;
  }

  embedOne(text: string): number[] {
    const vector = new Array<number>(this.dimension).fill(0);
    for (const [feature, count] of lexicalFeatures(text)) {
      const hash = fnv1a(feature);
      const sign = hash & 1 ? 1 : -1;
      vector[(hash >>> 1) % this.dimension]! += sign * (1 + Math.log(count));
    }
    const norm = Math.hypot(...vector);
    return norm > 0 ? vector.map((v) => v / norm) : vector;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    return texts.map((text) => this.embedOne(text));
  }
}
