// The memo of the search: the (set of linearized operations, model state)
// pairs already reached. Lowe's refinement of Wing & Gong, as in Porcupine:
// a pair reached again cannot lead anywhere new, so the search skips it.
//
// Unknown-outcome operations make one pair cover another: (S, s) covers
// (S + U, s) when U holds only unknown-outcome operations, because every
// continuation of the latter is open to the former too (those operations may
// take effect later, or never). So a new pair is skipped when a recorded pair
// has the same state, the same known operations and a subset of its unknown
// ones.
//
// Sets are bitsets over the key's operations; the caller hashes the known
// ones incrementally (Zobrist hashing), and bits are compared on a hash match,
// so a collision never causes a wrong skip.

export class VisitedSet {
  private readonly buckets = new Map<string, Uint32Array[]>();

  /** `knownMask` has a bit set for every operation whose outcome is known. */
  constructor(private readonly knownMask: Uint32Array) {}

  /**
   * Records the pair unless it is already covered; false when covered.
   * `knownHashLow/High` must hash exactly the known operations in `linearized`.
   */
  addUnlessCovered(knownHashLow: number, knownHashHigh: number, linearized: Uint32Array, stateKey: string): boolean {
    const bucketKey = `${knownHashLow}:${knownHashHigh}:${stateKey}`;
    const bucket = this.buckets.get(bucketKey);
    if (bucket === undefined) {
      this.buckets.set(bucketKey, [linearized.slice()]);
      return true;
    }
    for (const seen of bucket) if (this.covers(seen, linearized)) return false;
    bucket.push(linearized.slice());
    return true;
  }

  /** seen ⊆ candidate, and the difference holds no known operation. */
  private covers(seen: Uint32Array, candidate: Uint32Array): boolean {
    for (let word = 0; word < seen.length; word++) {
      const seenWord = seen[word]!;
      const candidateWord = candidate[word]!;
      if ((seenWord & ~candidateWord) !== 0) return false;
      if ((candidateWord & ~seenWord & this.knownMask[word]!) !== 0) return false;
    }
    return true;
  }
}
