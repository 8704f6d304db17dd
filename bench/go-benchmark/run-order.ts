// The order the servers of a round take a case in: reversed from one case to
// the next (A B, B A, A B, ...), and starting the other way round in every
// other round, so neither target always goes first, within a round or across
// rounds.

/** round is 1-based, caseIndex 0-based. */
export function serverOrder<T>(servers: readonly T[], caseIndex: number, round: number): T[] {
  return (caseIndex + round - 1) % 2 === 0 ? [...servers] : [...servers].reverse();
}
