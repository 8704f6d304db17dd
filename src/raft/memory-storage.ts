// An in-memory Storage: the log after the last snapshot, the hard state and
// the snapshot. The caller writes to it what a Ready says to persist; the
// state machine only reads it. Used by tests, the simulator, and as the
// in-memory cache in front of the WAL.
//
// Bootstrapping a new cluster, as etcd does: `MemoryStorage.bootstrap(voters)`
// returns a storage whose log holds one committed AddNode ConfChange entry
// per voter (indexes 1..n, term 1, hard state {term 1, commit n}) and whose
// index-0 snapshot already lists the voters. The caller applies those
// entries from the first Ready (calling applyConfChange, a no-op for them);
// Raft refuses to campaign while committed conf changes are unapplied, so
// campaign() works once that first Ready was applied and advanced. A member
// that joins later (with an empty storage) replays these entries, or gets a
// snapshot, and so learns the whole membership.
//
// `withConfState(cs)` gives only an index-0 snapshot holding cs, as etcd's
// own raft tests use; it suits only clusters that never add members, since
// a member joining such a cluster replays the log from index 1 and never
// learns the initial voters.

import {
  CompactedError,
  compareNodeIds,
  ConfChangeType,
  EntryType,
  UnavailableError,
  type ConfState,
  type Entry,
  type HardState,
  type NodeId,
  type Snapshot,
  type Storage,
} from './types.js';
import { limitSize } from './entry-size.js';
import { encodeConfChange } from './codec.js';

export class SnapshotOutOfDateError extends Error {
  constructor() {
    super('requested index is older than the existing snapshot');
  }
}

export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private currentSnapshot: Snapshot = emptySnapshot({ voters: [], learners: [] });
  /** entries[0] is a dummy holding the snapshot's index and term. */
  private entriesWithDummy: Entry[] = [{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }];

  /** A storage whose index-0 snapshot holds `confState`, with an empty log. */
  static withConfState(confState: ConfState): MemoryStorage {
    const storage = new MemoryStorage();
    storage.currentSnapshot = emptySnapshot(confState);
    return storage;
  }

  /** Storage for a member of a brand-new cluster of `voters` (see the file comment). */
  static bootstrap(voters: readonly NodeId[]): MemoryStorage {
    if (voters.length === 0) throw new Error('cannot bootstrap a cluster without voters');
    const storage = MemoryStorage.withConfState({ voters: [...voters].sort(compareNodeIds), learners: [] });
    const entries: Entry[] = voters.map((nodeId, position) => ({
      term: 1,
      index: position + 1,
      type: EntryType.ConfChange,
      data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId, context: new Uint8Array(0) }),
    }));
    storage.append(entries);
    storage.setHardState({ term: 1, vote: 0, commit: entries.length });
    return storage;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    const confState = this.currentSnapshot.metadata.confState;
    return {
      hardState: { ...this.hardState },
      confState: { voters: [...confState.voters], learners: [...confState.learners] },
    };
  }

  setHardState(hardState: HardState): void {
    this.hardState = { ...hardState };
  }

  hardStateForTesting(): HardState {
    return { ...this.hardState };
  }

  entries(low: number, high: number, maxSizeBytes: number): Entry[] {
    const offset = this.entriesWithDummy[0]!.index;
    if (low <= offset) throw new CompactedError();
    if (high > this.lastIndex() + 1) throw new Error(`entries' high ${high} is beyond the last index ${this.lastIndex()}`);
    if (this.entriesWithDummy.length === 1) throw new UnavailableError();
    return limitSize(this.entriesWithDummy.slice(low - offset, high - offset), maxSizeBytes);
  }

  term(index: number): number {
    const offset = this.entriesWithDummy[0]!.index;
    if (index < offset) throw new CompactedError();
    if (index - offset >= this.entriesWithDummy.length) throw new UnavailableError();
    return this.entriesWithDummy[index - offset]!.term;
  }

  firstIndex(): number {
    return this.entriesWithDummy[0]!.index + 1;
  }

  lastIndex(): number {
    return this.entriesWithDummy[0]!.index + this.entriesWithDummy.length - 1;
  }

  snapshot(): Snapshot {
    return this.currentSnapshot;
  }

  /** Replaces everything with the snapshot (a follower receiving one). */
  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.metadata.index <= this.currentSnapshot.metadata.index) throw new SnapshotOutOfDateError();
    this.currentSnapshot = snapshot;
    this.entriesWithDummy = [
      { term: snapshot.metadata.term, index: snapshot.metadata.index, type: EntryType.Normal, data: new Uint8Array(0) },
    ];
  }

  /**
   * Records a snapshot of the application's state at `index` (which must be
   * applied). Call compact() afterwards to release log entries.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.currentSnapshot.metadata.index) throw new SnapshotOutOfDateError();
    if (index > this.lastIndex()) throw new Error(`snapshot index ${index} is beyond the last index ${this.lastIndex()}`);
    const offset = this.entriesWithDummy[0]!.index;
    this.currentSnapshot = {
      metadata: {
        index,
        term: this.entriesWithDummy[index - offset]!.term,
        confState: { voters: [...confState.voters], learners: [...confState.learners] },
      },
      data,
    };
    return this.currentSnapshot;
  }

  /** Discards entries before `index`; entry `index` becomes the dummy. */
  compact(index: number): void {
    const offset = this.entriesWithDummy[0]!.index;
    if (index <= offset) throw new CompactedError();
    if (index > this.lastIndex()) throw new Error(`compact ${index} is beyond the last index ${this.lastIndex()}`);
    const kept = this.entriesWithDummy.slice(index - offset);
    const dummy = kept[0]!;
    kept[0] = { term: dummy.term, index: dummy.index, type: EntryType.Normal, data: new Uint8Array(0) };
    this.entriesWithDummy = kept;
  }

  /** Persists entries, replacing any existing entries from entries[0].index on. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[entries.length - 1]!.index;
    if (last < first) return; // all already compacted
    let toAppend = entries;
    if (first > entries[0]!.index) toAppend = entries.slice(first - entries[0]!.index);
    const position = toAppend[0]!.index - this.entriesWithDummy[0]!.index;
    if (position > this.entriesWithDummy.length) {
      throw new Error(`missing log entries: last index ${this.lastIndex()}, appending at ${toAppend[0]!.index}`);
    }
    this.entriesWithDummy.length = position; // drops a conflicting tail
    for (const entry of toAppend) this.entriesWithDummy.push(entry);
  }
}

function emptySnapshot(confState: ConfState): Snapshot {
  return {
    metadata: { index: 0, term: 0, confState: { voters: [...confState.voters], learners: [...confState.learners] } },
    data: new Uint8Array(0),
  };
}
