// Drawdown episodes of a price series: from a peak (a close above every earlier one) through its
// trough to the first close back at or above the peak (the recovery), or still open at the end.

export interface DrawdownEpisode {
  peak: number;
  trough: number;
  /** Index of the first close at or above the peak's; undefined while under water at the end. */
  recovery: number | undefined;
  /** trough close / peak close − 1 (negative). */
  depth: number;
}

/** Every episode of the closes, in time order; a new high with no dip between is no episode. */
export function drawdownEpisodes(close: ArrayLike<number>): DrawdownEpisode[] {
  const episodes: DrawdownEpisode[] = [];
  let peak = 0;
  let open: DrawdownEpisode | undefined;
  for (let i = 1; i < close.length; i++) {
    const value = close[i]!;
    if (value >= close[peak]!) {
      if (open) {
        open.recovery = i;
        episodes.push(open);
        open = undefined;
      }
      peak = i;
      continue;
    }
    const depth = value / close[peak]! - 1;
    if (!open) open = { peak, trough: i, recovery: undefined, depth };
    else if (depth < open.depth) Object.assign(open, { trough: i, depth });
  }
  if (open) episodes.push(open);
  return episodes;
}
