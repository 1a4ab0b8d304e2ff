// What the loopback Ollama host answers to the snapshot build's LLM prompts: for a stat batch, every
// asked stat with a value derived from (country, stat), listed in reverse order, plus a stat nobody
// asked for and a repeat; for a corridor, every asked pair with a weight derived from its names, in
// shuffled order, plus an unknown pair. So a test can tell matching by name from matching by position.
import { hashSeed, seededRandom } from '../../knowledge/snapshot/regimes/random.js';

export const kbStatValue = (country: string, stat: string) =>
  Math.round(seededRandom(hashSeed(`${country}|${stat}`))() * 1000) / 10;
export const kbEdgeWeight = (key: string) => Math.round(seededRandom(hashSeed(key))() * 100) / 100;

export function kbReply(prompt: string): string | undefined {
  const country = /^Country: .* \((\w{3})\)$/m.exec(prompt)?.[1];
  if (country && prompt.includes('Estimate these statistics')) {
    const asked = [...prompt.matchAll(/^- (\w+): .* \[([^\]]*)\]$/gm)].map((m) => ({ name: m[1]!, unit: m[2]! }));
    const stats = asked
      .map((a) => ({
        name: a.name,
        value: kbStatValue(country, a.name),
        unit: a.unit,
        confidence: 0.8,
        reasoning: `estimate for ${country}`,
      }))
      .reverse();
    return JSON.stringify({
      stats: [
        ...stats,
        { name: 'made_up_stat', value: 1, unit: 'x', confidence: 0.9, reasoning: 'not asked' },
        { ...stats[0]!, value: -999 },
      ],
    });
  }
  if (prompt.includes('Trade corridor:')) {
    const pairs = [...prompt.matchAll(/^- (\w{3})\.(\w+) -> (\w{3})\.(\w+)$/gm)];
    const edges = pairs.map(([, sc, ss, tc, ts]) => ({
      source_country: sc,
      source_stat: ss,
      target_country: tc,
      target_stat: ts,
      weight: kbEdgeWeight(`${sc}_${ss}->${tc}_${ts}`),
      mechanism: `${ss} moves ${ts}`,
      lag_months: 3,
      confidence: 0.7,
    }));
    const shuffled = edges
      .map((e, i) => [hashSeed(`${i}`), e] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, e]) => e);
    return JSON.stringify({
      edges: [
        ...shuffled,
        {
          source_country: 'XXX',
          source_stat: 'gdp',
          target_country: 'YYY',
          target_stat: 'gdp',
          weight: 0.5,
          mechanism: '',
          lag_months: 1,
          confidence: 0.5,
        },
      ],
    });
  }
  return undefined;
}
