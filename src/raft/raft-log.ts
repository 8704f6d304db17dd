// The log as the state machine sees it: persisted entries in Storage, the
// unpersisted tail in Unstable, and the commit and apply cursors.
// Invariant: applied <= committed <= lastIndex.

import { CompactedError, UnavailableError, type Entry, type Snapshot, type Storage } from './types.js';
import { Unstable } from './unstable.js';
import { limitSize } from './entry-size.js';

export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  applied: number;

  constructor(
    readonly storage: Storage,
    /** Bound on the bytes of committed entries handed out in one Ready. */
    private readonly maxCommittedSizePerReadyBytes: number,
  ) {
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    this.unstable = new Unstable(lastIndex + 1);
    // Everything up to the snapshot is committed and applied.
    this.committed = firstIndex - 1;
    this.applied = firstIndex - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The last index the caller has persisted (0 while a snapshot is unpersisted). */
  stableLastIndex(): number {
    if (this.unstable.snapshot) return 0;
    return this.unstable.offset - 1;
  }

  /**
   * Term of the entry at index: 0 beyond the last entry, CompactedError
   * below the first entry's predecessor (whose term is kept with the snapshot).
   */
  term(index: number): number {
    const dummyIndex = this.firstIndex() - 1;
    if (index > this.lastIndex()) return 0;
    if (index < dummyIndex) throw new CompactedError();
    const unstableTerm = this.unstable.maybeTerm(index);
    if (unstableTerm !== undefined) return unstableTerm;
    return this.storage.term(index);
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  matchTerm(index: number, term: number): boolean {
    try {
      return this.term(index) === term;
    } catch (error) {
      if (error instanceof CompactedError || error instanceof UnavailableError) return false;
      throw error;
    }
  }

  /** Raft's election restriction (§5.4.1): is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourLastTerm = this.lastTerm();
    return lastTerm > ourLastTerm || (lastTerm === ourLastTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Appends a leader's entries that follow (index, logTerm), if our log has
   * that entry. Returns the index of the last new entry, or undefined when
   * the consistency check fails.
   */
  maybeAppend(index: number, logTerm: number, leaderCommit: number, entries: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNewIndex = index + entries.length;
    const conflictIndex = this.findConflict(entries);
    if (conflictIndex !== 0) {
      if (conflictIndex <= this.committed) {
        throw new Error(`entry ${conflictIndex} conflicts with committed entry (committed ${this.committed})`);
      }
      this.append(entries.slice(conflictIndex - (index + 1)));
    }
    this.commitTo(Math.min(leaderCommit, lastNewIndex));
    return lastNewIndex;
  }

  append(entries: Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0]!.index - 1;
    if (after < this.committed) throw new Error(`cannot overwrite committed entries: after ${after} < committed ${this.committed}`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /** Index of the first entry whose term differs from ours (or is new); 0 if all match. */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The largest index at most `index` whose term is at most `term`: no
   * entry between it and `index` can match a log whose entry at `index`
   * has `term`. This lets a rejection skip a whole term at once.
   */
  findConflictByTerm(index: number, term: number): number {
    for (;;) {
      let entryTerm: number;
      try {
        entryTerm = this.term(index);
      } catch (error) {
        if (error instanceof CompactedError || error instanceof UnavailableError) return index;
        throw error;
      }
      if (entryTerm <= term || index === 0) return index;
      index--;
    }
  }

  unstableEntries(): Entry[] {
    return [...this.unstable.entries];
  }

  /** Committed entries not yet applied. None while a snapshot awaits applying. */
  nextCommittedEntries(): Entry[] {
    if (this.unstable.snapshot) return [];
    const low = Math.max(this.applied + 1, this.firstIndex());
    const high = this.committed + 1;
    if (low >= high) return [];
    return this.slice(low, high, this.maxCommittedSizePerReadyBytes);
  }

  hasNextCommittedEntries(): boolean {
    if (this.unstable.snapshot) return false;
    return this.committed + 1 > Math.max(this.applied + 1, this.firstIndex());
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) throw new Error(`commit ${index} is beyond the last index ${this.lastIndex()}`);
    this.committed = index;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    if (index > this.committed || index < this.applied) {
      throw new Error(`applied ${index} outside [${this.applied}, ${this.committed}]`);
    }
    this.applied = index;
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }

  /** Commits up to maxIndex only when that entry is from `term` (§5.4.2), unless told otherwise. */
  maybeCommit(maxIndex: number, term: number, commitAnyTerm = false): boolean {
    if (maxIndex <= this.committed) return false;
    if (!commitAnyTerm && !this.matchTerm(maxIndex, term)) return false;
    this.commitTo(maxIndex);
    return true;
  }

  restore(snapshot: Snapshot): void {
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  /** Entries from `low` to the end, at most maxSizeBytes (but at least one). */
  entriesFrom(low: number, maxSizeBytes: number): Entry[] {
    if (low > this.lastIndex()) return [];
    return this.slice(low, this.lastIndex() + 1, maxSizeBytes);
  }

  /** Entries in [low, high); throws CompactedError when low was compacted away. */
  slice(low: number, high: number, maxSizeBytes: number): Entry[] {
    if (low > high) throw new Error(`invalid slice ${low} > ${high}`);
    if (low < this.firstIndex()) throw new CompactedError();
    if (high > this.lastIndex() + 1) throw new Error(`slice [${low}, ${high}) beyond last index ${this.lastIndex()}`);
    if (low === high) return [];
    let result: Entry[] = [];
    const offset = this.unstable.offset;
    if (low < offset) {
      const stored = this.storage.entries(low, Math.min(high, offset), maxSizeBytes);
      // Storage stopped early because of the size bound: that is all we send.
      if (stored.length < Math.min(high, offset) - low) return stored;
      result = stored;
    }
    if (high > offset) {
      const unstable = this.unstable.slice(Math.max(low, offset), high);
      result = result.length > 0 ? result.concat(unstable) : unstable;
    }
    return limitSize(result, maxSizeBytes);
  }
}
