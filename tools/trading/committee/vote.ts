// A committee vote and the weighted consensus over votes. A voter that cannot vote (no LLM
// backend, no snapshot, too few bars) abstains with its reason, and its weight leaves the
// denominator: the remaining voters decide, and the result says who was missing.

export type Direction = 'LONG' | 'SHORT' | 'FLAT';
export type Voter = 'model' | 'technical' | 'macro' | 'analyst';

export interface Vote {
  voter: Voter;
  direction: Direction;
  /** 0..1: how sure the voter is of its direction. */
  confidence: number;
  /** The configured weight (before renormalisation over the voters that voted). */
  weight: number;
  rationale: string;
  /** Set when the voter did not vote; its weight is then left out. */
  abstained?: string | undefined;
}

export interface Consensus {
  direction: Direction;
  /** Σ weight × confidence of the votes for `direction`, over Σ weight of the voters that voted. */
  consensus: number;
  /** The same share for every direction, so an agent sees what the dissent was. */
  support: Record<Direction, number>;
  votingWeight: number;
}

export function consensusFor(votes: readonly Vote[], direction: Direction): Consensus {
  const voting = votes.filter((vote) => !vote.abstained && vote.weight > 0);
  const votingWeight = voting.reduce((sum, vote) => sum + vote.weight, 0);
  const support: Record<Direction, number> = { LONG: 0, SHORT: 0, FLAT: 0 };
  if (votingWeight > 0)
    for (const vote of voting) support[vote.direction] += (vote.weight * vote.confidence) / votingWeight;
  return { direction, consensus: support[direction], support, votingWeight };
}

export const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;
