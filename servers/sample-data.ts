// The sample knowledge base on first start. The recordings ship in the package's data/kb-sample
// folder; this finds it from wherever the running code lives (servers/ under tsx, dist/servers/ or
// the dist/bundle/ chunks), and loads the sample in the background when the service starts with an
// empty graph, so start-up does not wait for it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordingsManifest } from '../knowledge/snapshot/sample/recordings.js';
import { loadSampleKnowledge } from '../tools/knowledge-base/sample-tools.js';
import type { Suite } from './composition.js';

let found: string | null | undefined;

/** data/kb-sample of this installation, or undefined when the package ships none. */
export function sampleDirectory(): string | undefined {
  if (found !== undefined) return found ?? undefined;
  let directory = path.dirname(fileURLToPath(import.meta.url));
  found = null;
  for (let up = 0; up < 4; up++) {
    const candidate = path.join(directory, 'data', 'kb-sample');
    if (existsSync(path.join(candidate, recordingsManifest))) {
      found = candidate;
      break;
    }
    directory = path.dirname(directory);
  }
  return found ?? undefined;
}

/**
 * Loads the sample when the graph is empty, as the suite's background work (so closing the suite
 * cancels and awaits it); logs the outcome and how long it took.
 */
export function loadSampleOnFirstStart(suite: Suite): Promise<void> {
  return new Promise((resolve) =>
    suite.background('first-start sample knowledge base', (signal) => load(suite, signal).finally(resolve)),
  );
}

async function load(suite: Suite, stop: AbortSignal): Promise<void> {
  try {
    const result = await loadSampleKnowledge(
      suite.dispatcher.context({ signal: AbortSignal.any([stop, AbortSignal.timeout(60_000)]) }),
      { onlyIfEmpty: true },
    );
    if (result.loaded)
      suite.logger.info('kb_sample_loaded', {
        elapsedMs: result.elapsedMs,
        rows: result.rows,
        observations: result.observations,
        regimes: result.regimes,
        snapshot: result.source.snapshot,
      });
    else suite.logger.debug('kb_sample_not_loaded', { reason: result.reason });
  } catch (error) {
    suite.logger.warn('kb_sample_failed', { error: (error as Error).message });
  }
}
