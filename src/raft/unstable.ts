// The tail of the log that the caller has not yet persisted: an incoming
// snapshot and/or entries from `offset` on. Persisted parts move to storage
// when the caller calls advance().

import type { Entry, Snapshot } from './types.js';

export class Unstable {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  /** Index of entries[0]. */
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      if (this.snapshot && this.snapshot.metadata.index === index) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || index > last) return undefined;
    return this.entries[index - this.offset]!.term;
  }

  /** Entries up to `index` (of `term`) are persisted; a stale notice is ignored. */
  stableTo(index: number, term: number): void {
    const currentTerm = this.maybeTerm(index);
    if (currentTerm === undefined || currentTerm !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot && this.snapshot.metadata.index === index) this.snapshot = undefined;
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  /** Appends entries, replacing any existing tail from entries[0].index on. */
  truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    if (first === this.offset + this.entries.length) {
      this.entries.push(...entries);
    } else if (first <= this.offset) {
      // Replaces everything unstable; storage's conflicting tail is
      // truncated when the caller persists these entries.
      this.offset = first;
      this.entries = [...entries];
    } else {
      this.entries = this.entries.slice(0, first - this.offset).concat(entries);
    }
  }

  /** Entries in [low, high), which must lie within the unstable part. */
  slice(low: number, high: number): Entry[] {
    const last = this.offset + this.entries.length;
    if (low > high || low < this.offset || high > last) {
      throw new Error(`unstable slice [${low}, ${high}) out of bounds [${this.offset}, ${last})`);
    }
    return this.entries.slice(low - this.offset, high - this.offset);
  }
}
