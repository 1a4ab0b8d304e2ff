// Which installed model serves a tier. Each tier declares an ordered preference by model family
// and size: the general tiers take general models in a parameter-size band (nearest band next), the
// code tier a coder model and then the largest general model, the embed tier any embedding model.
// Sizes come from what Ollama reports in /api/tags (`details.parameter_size`, `details.family`),
// else from the name's tag ("qwen3:4b"), else from the file size. The pool puts the configured
// model first and resolves each tier against the models its healthy hosts actually serve.

export type ModelKind = 'embed' | 'coder' | 'general';

export interface ModelInfo {
  name: string;
  family: string;
  parameterSize: string;
  sizeBytes: number;
}

export type ResolvedTier = 'micro' | 'small' | 'full' | 'large' | 'code' | 'embed';

const embedFamilies = /bert/i;
const embedNames = /embed|minilm|(^|[/-])bge|(^|[/-])e5[-:]|(^|[/-])gte[-:]|paraphrase|sentence-/i;
const coderNames =
  /coder|codellama|starcoder|codestral|codegemma|codeqwen|granite-code|devstral|codegeex|stable-code|wizardcode/i;

/** Embedding models, in the order they are preferred when several are installed. */
const embedPreference = ['nomic-embed-text', 'mxbai-embed-large', 'bge-m3', 'snowflake-arctic-embed', 'all-minilm'];

/** Parameter bands of the general tiers, in billions: [low, high) and the size aimed for. */
const bands: Record<'micro' | 'small' | 'full' | 'large', { low: number; high: number; target: number }> = {
  micro: { low: 0, high: 2.5, target: 1 },
  small: { low: 2.5, high: 6, target: 4 },
  full: { low: 6, high: 15, target: 8 },
  large: { low: 15, high: Infinity, target: Infinity },
};

export function modelKind(model: ModelInfo): ModelKind {
  if (embedFamilies.test(model.family) || embedNames.test(model.name)) return 'embed';
  if (coderNames.test(model.name)) return 'coder';
  return 'general';
}

/** "8.0B" → 8, "999.89M" → 0.99989; undefined when the text names no size. */
function sizeIn(text: string): number | undefined {
  const match = /(\d+(?:\.\d+)?)\s*([kmbt])(?![a-z])/i.exec(text);
  if (!match) return undefined;
  const scale = { k: 1e-6, m: 1e-3, b: 1, t: 1e3 }[match[2]!.toLowerCase() as 'k' | 'm' | 'b' | 't'];
  return Number(match[1]) * scale;
}

/**
 * Billions of parameters: Ollama's parameter_size, else the name's tag ("qwen3:30b-a3b" → 30),
 * else an estimate from a 4-bit file (about 0.6 bytes per parameter).
 */
export function parameterBillions(model: ModelInfo): number | undefined {
  const reported = sizeIn(model.parameterSize);
  if (reported !== undefined) return reported;
  const tag = model.name.includes(':') ? model.name.slice(model.name.indexOf(':') + 1) : '';
  const tagged = sizeIn(tag);
  if (tagged !== undefined) return tagged;
  return model.sizeBytes > 0 ? model.sizeBytes / 0.6e9 : undefined;
}

/** How far outside the tier's band a size lies, on a log scale; 0 inside it. */
function bandDistance(band: { low: number; high: number }, size: number): number {
  if (size >= band.low && size < band.high) return 0;
  return size < band.low ? Math.log(band.low / size) : Math.log(size / band.high);
}

function embedRank(name: string): number {
  const index = embedPreference.findIndex((prefix) => name.startsWith(prefix));
  return index === -1 ? embedPreference.length : index;
}

/**
 * The models of `models` that can serve `tier`, best first. Embedding models serve only the embed
 * tier. Coder models come first for the code tier and last for the general tiers: their answers to
 * prose prompts are weaker than a general model's of the same size, but better than none.
 */
export function rankForTier(tier: ResolvedTier, models: readonly ModelInfo[]): string[] {
  const sized = models.map((model) => ({
    name: model.name,
    kind: modelKind(model),
    size: parameterBillions(model) ?? 0,
  }));
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  if (tier === 'embed')
    return sized
      .filter((m) => m.kind === 'embed')
      .sort((a, b) => embedRank(a.name) - embedRank(b.name) || byName(a, b))
      .map((m) => m.name);
  const general = sized.filter((m) => m.kind === 'general');
  if (tier === 'code') {
    const largestFirst = (a: { size: number; name: string }, b: { size: number; name: string }) =>
      b.size - a.size || byName(a, b);
    const coders = sized.filter((m) => m.kind === 'coder').sort(largestFirst);
    return [...coders, ...general.sort(largestFirst)].map((m) => m.name);
  }
  const band = bands[tier];
  const closeness = (size: number) =>
    band.target === Infinity ? -size : Math.abs(Math.log(Math.max(size, 1e-3) / band.target));
  const bySize = (a: { size: number; name: string }, b: { size: number; name: string }) =>
    bandDistance(band, a.size) - bandDistance(band, b.size) || closeness(a.size) - closeness(b.size) || byName(a, b);
  const coders = sized.filter((m) => m.kind === 'coder');
  return [...general.sort(bySize), ...coders.sort(bySize)].map((m) => m.name);
}

/** Why a tier got a model other than the one it prefers, in a few words. */
export function tierNote(tier: ResolvedTier, chosen: ModelInfo | undefined): string {
  if (!chosen) return tier === 'embed' ? 'no embedding model on a healthy host' : 'no model on a healthy host';
  const kind = modelKind(chosen);
  if (tier === 'code' && kind === 'general') return 'no coder model on a healthy host; the largest general model';
  if (tier === 'code') return 'the largest coder model on a healthy host';
  if (tier === 'embed') return 'an embedding model on a healthy host';
  if (kind === 'coder') return 'no general model on a healthy host; a coder model';
  const size = parameterBillions(chosen);
  const band = bands[tier];
  const inBand = size !== undefined && bandDistance(band, size) === 0;
  const range = band.high === Infinity ? `${band.low}B and up` : `${band.low}-${band.high}B`;
  return inBand
    ? `a general model in the ${tier} band (${range})`
    : `nothing in the ${tier} band (${range}); nearest size`;
}
