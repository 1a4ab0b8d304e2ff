// Loads the TypeScript compiler once. Through require, not import(): importing the 9 MB CommonJS
// file as ESM makes Node scan it for named exports first, which costs about 250 ms at start-up.
import { createRequire } from 'node:module';
import type TS from 'typescript';

let loaded: typeof TS | undefined;

export function typescript(): typeof TS {
  loaded ??= createRequire(import.meta.url)('typescript') as typeof TS;
  return loaded;
}
