// Majority counting over a set of voters: the commit index a majority has
// reached, and the outcome of an election. Learners never appear here.

import type { NodeId } from './types.js';

export enum VoteResult {
  Pending = 'pending',
  Lost = 'lost',
  Won = 'won',
}

/** Votes needed to win among `voterCount` voters. */
export function majoritySize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest index that a majority of voters have acknowledged. Voters
 * without a known match count as 0. An empty configuration commits nothing.
 */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number | undefined): number {
  if (voters.length === 0) return 0;
  const matches = voters.map((id) => matchOf(id) ?? 0).sort((a, b) => b - a);
  return matches[majoritySize(voters.length) - 1]!;
}

/**
 * The election result given the votes received so far: won once a majority
 * granted, lost once a majority can no longer be reached.
 */
export function voteResult(voters: readonly NodeId[], voteOf: (id: NodeId) => boolean | undefined): VoteResult {
  if (voters.length === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = voteOf(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  const needed = majoritySize(voters.length);
  if (granted >= needed) return VoteResult.Won;
  if (granted + missing >= needed) return VoteResult.Pending;
  return VoteResult.Lost;
}
