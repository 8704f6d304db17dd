// Safety checkers, run after every simulation step. Each records what the
// members have made durable or applied and fails loudly on the first
// violation of a Raft safety property (paper figure 3):
//
// - Election Safety: at most one leader per term.
// - Log Matching: two logs holding an entry with the same index and term
//   hold the same entry there and the same preceding entry (checked by
//   induction: each (index, term) always has the same data and the same
//   predecessor term).
// - Leader Completeness: a new leader's log holds every entry known to be
//   committed.
// - State Machine Safety: no two members apply different entries at one
//   index, and a committed index never changes its entry.
// - Linearizable ReadIndex: a read point covers every entry applied
//   anywhere before the read was requested.

import { EntryType, type Entry } from '../../../src/raft/index.js';

export class InvariantViolation extends Error {
  constructor(readonly invariant: string, detail: string) {
    super(`${invariant} violated: ${detail}`);
  }
}

export function bytesToKey(bytes: Uint8Array): string {
  let key = '';
  for (let i = 0; i < bytes.length; i++) key += String.fromCharCode(bytes[i]!);
  return key;
}

/** A compact identity of an entry's content. */
export function entryKey(entry: Entry): string {
  return (entry.type === EntryType.ConfChange ? 'c' : 'n') + bytesToKey(entry.data);
}

interface CommittedEntry {
  term: number;
  key: string;
}

export class SafetyChecker {
  private readonly leaderByTerm = new Map<number, number>();
  /** (index, term) -> content and predecessor term, across all members. */
  private readonly entriesByIndexAndTerm = new Map<string, { key: string; previousTerm: number }>();
  /** index -> entry known to be committed (some member's commit index covered it). */
  readonly committed: (CommittedEntry | undefined)[] = [];
  /** The highest index known to be applied by some member (hence acknowledged to a client). */
  highestAppliedIndex = 0;
  checks = 0;

  onLeader(term: number, id: number): void {
    this.checks++;
    const existing = this.leaderByTerm.get(term);
    if (existing !== undefined && existing !== id) {
      throw new InvariantViolation('Election Safety', `members ${existing} and ${id} are both leaders of term ${term}`);
    }
    this.leaderByTerm.set(term, id);
  }

  /** A member persisted `entry`, whose predecessor in its log has `previousTerm`. */
  onPersistedEntry(id: number, entry: Entry, previousTerm: number): void {
    this.checks++;
    const key = entryKey(entry);
    const slot = `${entry.index}:${entry.term}`;
    const existing = this.entriesByIndexAndTerm.get(slot);
    if (!existing) {
      this.entriesByIndexAndTerm.set(slot, { key, previousTerm });
      return;
    }
    if (existing.key !== key) {
      throw new InvariantViolation('Log Matching', `member ${id} holds different content at index ${entry.index} term ${entry.term}`);
    }
    if (existing.previousTerm !== previousTerm) {
      throw new InvariantViolation(
        'Log Matching',
        `member ${id}: entry ${entry.index} (term ${entry.term}) follows term ${previousTerm}, elsewhere term ${existing.previousTerm}`,
      );
    }
  }

  /** A member's durable commit index covers `entry`. */
  onCommitted(id: number, index: number, term: number, key: string): void {
    this.checks++;
    const known = this.committed[index];
    if (!known) {
      this.committed[index] = { term, key };
      return;
    }
    if (known.term === -1 && known.key === key) {
      known.term = term; // first seen applied (inside a snapshot), now with its term
      return;
    }
    if (known.term !== term || known.key !== key) {
      throw new InvariantViolation(
        'State Machine Safety',
        `member ${id} committed a different entry at index ${index} (term ${term}, was term ${known.term})`,
      );
    }
  }

  /** A member applied `key` at `index` (directly, or inside a snapshot). */
  onApplied(id: number, index: number, key: string): void {
    this.checks++;
    const known = this.committed[index];
    if (known && known.key !== key) {
      throw new InvariantViolation('State Machine Safety', `member ${id} applied a different entry at index ${index}`);
    }
    if (!known) this.committed[index] = { term: -1, key };
    if (index > this.highestAppliedIndex) this.highestAppliedIndex = index;
  }

  /**
   * A member became leader; `termAt(index)` reads its log (undefined where
   * compacted, 0 beyond its end). Every known committed entry must be there.
   */
  onNewLeader(id: number, term: number, firstIndex: number, termAt: (index: number) => number | undefined): void {
    this.checks++;
    for (let index = Math.max(1, firstIndex); index < this.committed.length; index++) {
      const known = this.committed[index];
      if (!known) continue;
      const leaderTerm = termAt(index);
      if (leaderTerm === undefined) continue;
      if (leaderTerm === 0) {
        throw new InvariantViolation('Leader Completeness', `leader ${id} of term ${term} lacks committed entry ${index}`);
      }
      if (known.term !== -1 && leaderTerm !== known.term) {
        throw new InvariantViolation(
          'Leader Completeness',
          `leader ${id} of term ${term} holds term ${leaderTerm} at committed index ${index} (committed term ${known.term})`,
        );
      }
    }
  }

  onReadState(id: number, readIndex: number, requiredIndex: number): void {
    this.checks++;
    if (readIndex < requiredIndex) {
      throw new InvariantViolation(
        'Linearizable ReadIndex',
        `member ${id} got read index ${readIndex} but index ${requiredIndex} was applied before the read began`,
      );
    }
  }

  /** The highest index known committed. */
  committedLength(): number {
    return this.committed.length - 1;
  }
}
