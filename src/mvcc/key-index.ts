import type { Revision } from './revision.js';
import type { Int64 } from '../pkg/int64.js';

/**
 * One life of a key: from its creation to its deletion (the last revision of a
 * generation that is not the newest one is the tombstone). A materialized view for
 * tests and debugging; KeyIndex stores generations more compactly.
 */
export interface Generation {
  /** Number of puts in this generation (after compaction, still counts the dropped ones). */
  version: number;
  created: Revision;
  revisions: Revision[];
}

/** What a key looked like at some revision. */
export interface KeyAtRevision {
  modified: Revision;
  created: Revision;
  version: number;
}

/** A revision dropped by compaction, to be deleted from the key bucket. */
export interface DroppedRevision {
  revision: Revision;
  tombstone: boolean;
}

/**
 * A generation that ended with a deletion. `revisions` is flattened: main0, sub0,
 * main1, sub1, ...; the last pair is the tombstone. Never empty.
 */
interface ClosedGeneration {
  version: number;
  createdMain: number;
  createdSub: number;
  revisions: number[];
}

/**
 * The history of one user key, as in etcd's key_index.go: a list of generations,
 * the last one open (empty after a deletion).
 *
 * Memory layout (the index holds one of these per key, so it is kept small): the
 * key is a latin1 string (one char per byte, so string order is byte order; V8 keeps
 * it as a flat one-byte string) instead of a Buffer, which costs ~100 bytes of object
 * plus a share of an 8 KB pool slab that it keeps alive. Revisions are pairs of
 * numbers, not objects. The open generation lives in fields of this object: its
 * newest revision is `modified` and the older ones, if any, are a flat number array;
 * closed generations (a key deleted and created again since the last compaction)
 * go to a side array that is absent in the common case. A key put once costs one
 * object with no arrays.
 */
export class KeyIndex {
  /**
   * The lease, or undefined for none. undefined rather than 0 keeps V8's field
   * representation "tagged": small integers inline, no box per key. A number field
   * that ever received a heap number (a lease id decoded from protobuf is one, even
   * when it is 0) turns "double", and then every KeyIndex carries a 16-byte box.
   */
  private leaseId: Int64 | undefined = undefined;
  /** The key's last revision (a put, or the tombstone when not live); 0/0 before the first put. */
  private modifiedMain = 0;
  private modifiedSub = 0;
  // The open generation.
  /** Number of its revisions (0: empty, the key is not live). */
  private count = 0;
  private version = 0;
  private createdMain = 0;
  private createdSub = 0;
  /** Its revisions before the newest one (main, sub pairs), when count > 1. */
  private earlier: number[] | undefined = undefined;
  /** Closed generations, oldest first; undefined when there are none. */
  private closed: ClosedGeneration[] | undefined = undefined;

  /** `keyString` is the key's bytes as a latin1 string. */
  constructor(readonly keyString: string) {}

  /** Lease of the live revision (0: none or not live); saves a backend read on every put. */
  get lease(): Int64 {
    return this.leaseId ?? 0;
  }

  set lease(lease: Int64) {
    this.leaseId = lease === 0 ? undefined : lease;
  }

  /** The key's bytes (a new Buffer on each call). */
  get key(): Buffer {
    return Buffer.from(this.keyString, 'latin1');
  }

  /** The key's last revision: its newest put, or its tombstone when not live. */
  get modified(): Revision {
    return { main: this.modifiedMain, sub: this.modifiedSub };
  }

  put(revision: Revision): void {
    const { main, sub } = revision;
    if (main < this.modifiedMain || (main === this.modifiedMain && sub <= this.modifiedSub)) {
      throw new Error(`put with revision ${main}_${sub} not above ${this.modifiedMain}_${this.modifiedSub}`);
    }
    if (this.count === 0) {
      this.createdMain = smallInteger(main);
      this.createdSub = smallInteger(sub);
    } else if (this.earlier === undefined) {
      this.earlier = [this.modifiedMain, this.modifiedSub];
    } else {
      this.earlier.push(this.modifiedMain, this.modifiedSub);
    }
    this.count++;
    this.version++;
    this.modifiedMain = smallInteger(main);
    this.modifiedSub = smallInteger(sub);
  }

  /** Restores a key whose oldest remaining revision is a put (used when rebuilding the index). */
  restore(created: Revision, modified: Revision, version: number): void {
    this.modifiedMain = smallInteger(modified.main);
    this.modifiedSub = smallInteger(modified.sub);
    this.count = 1;
    this.version = smallInteger(version);
    this.createdMain = smallInteger(created.main);
    this.createdSub = smallInteger(created.sub);
    this.earlier = undefined;
    this.closed = undefined;
  }

  /** Restores a key whose oldest remaining revision is a tombstone. */
  restoreTombstone(revision: Revision): void {
    this.restore({ main: 0, sub: 0 }, revision, 1);
    this.closeGeneration();
  }

  /** Ends the current generation with a deletion at `revision`; false if the key is not live. */
  tombstone(revision: Revision): boolean {
    if (this.count === 0) return false;
    this.put(revision);
    this.lease = 0;
    this.closeGeneration();
    return true;
  }

  isLive(): boolean {
    return this.count > 0;
  }

  /** The key's state at main revision `atRevision`, or undefined if it did not exist then. */
  get(atRevision: number): KeyAtRevision | undefined {
    // The open generation first: the usual case is its newest revision.
    if (this.count > 0) {
      if (this.modifiedMain <= atRevision) {
        return {
          modified: { main: this.modifiedMain, sub: this.modifiedSub },
          created: { main: this.createdMain, sub: this.createdSub },
          version: this.version,
        };
      }
      const earlier = this.earlier;
      if (earlier !== undefined && earlier[0]! <= atRevision) {
        const found = newestAtOrBefore(earlier, earlier.length, atRevision);
        return {
          modified: { main: earlier[found]!, sub: earlier[found + 1]! },
          created: { main: this.createdMain, sub: this.createdSub },
          version: this.version - (this.count - 1 - found / 2),
        };
      }
    }
    const closed = this.closed;
    if (closed === undefined) return undefined;
    for (let index = closed.length - 1; index >= 0; index--) {
      const generation = closed[index]!;
      const revisions = generation.revisions;
      // The tombstone at or before atRevision: the key was deleted then.
      if (revisions[revisions.length - 2]! <= atRevision) return undefined;
      if (revisions[0]! <= atRevision) {
        const found = newestAtOrBefore(revisions, revisions.length, atRevision);
        const pairs = revisions.length / 2;
        return {
          modified: { main: revisions[found]!, sub: revisions[found + 1]! },
          created: { main: generation.createdMain, sub: generation.createdSub },
          version: generation.version - (pairs - 1 - found / 2),
        };
      }
    }
    return undefined;
  }

  /** Revisions with main >= `fromRevision`, keeping only the last change per main revision (for watch). */
  since(fromRevision: number): Revision[] {
    const found: Revision[] = [];
    let lastMain = -1;
    const visit = (main: number, sub: number): void => {
      if (main < fromRevision) return;
      if (main === lastMain) found[found.length - 1] = { main, sub };
      else found.push({ main, sub });
      lastMain = main;
    };
    for (const generation of this.closed ?? []) {
      const revisions = generation.revisions;
      for (let index = 0; index < revisions.length; index += 2) visit(revisions[index]!, revisions[index + 1]!);
    }
    if (this.count > 0) {
      const earlier = this.earlier;
      if (earlier !== undefined) for (let index = 0; index < earlier.length; index += 2) visit(earlier[index]!, earlier[index + 1]!);
      visit(this.modifiedMain, this.modifiedSub);
    }
    return found;
  }

  /**
   * Drops history not needed to answer reads at revisions >= `atRevision`: for the
   * generation alive at `atRevision`, keeps its newest revision <= atRevision (which may
   * be a tombstone exactly at atRevision) and everything newer. Reports what it dropped.
   */
  compact(atRevision: number, dropped: DroppedRevision[]): void {
    const closed = this.closed;
    let generationIndex = 0;
    if (closed !== undefined) {
      // Skip generations that ended (tombstone) before atRevision.
      while (generationIndex < closed.length) {
        const revisions = closed[generationIndex]!.revisions;
        if (revisions[revisions.length - 2]! >= atRevision) break;
        for (let index = 0; index < revisions.length; index += 2) {
          dropped.push({ revision: { main: revisions[index]!, sub: revisions[index + 1]! }, tombstone: index === revisions.length - 2 });
        }
        generationIndex++;
      }
      if (generationIndex < closed.length) {
        const generation = closed[generationIndex]!;
        const keepFrom = newestAtOrBefore(generation.revisions, generation.revisions.length, atRevision);
        if (keepFrom > 0) {
          // Revisions before keepFrom are puts (only the last revision can be a tombstone).
          dropPuts(generation.revisions, keepFrom, dropped);
          generation.revisions = generation.revisions.slice(keepFrom);
        }
      }
      if (generationIndex === closed.length) this.closed = undefined;
      else if (generationIndex > 0) this.closed = closed.slice(generationIndex);
    }
    if (generationIndex === (closed?.length ?? 0) && this.count > 1) {
      // Compact the open generation: its revisions are earlier..., then modified.
      const earlier = this.earlier!;
      if (this.modifiedMain <= atRevision) {
        dropPuts(earlier, earlier.length, dropped);
        this.earlier = undefined;
        this.count = 1;
      } else {
        const keepFrom = newestAtOrBefore(earlier, earlier.length, atRevision);
        if (keepFrom > 0) {
          dropPuts(earlier, keepFrom, dropped);
          this.earlier = earlier.slice(keepFrom);
          this.count -= keepFrom / 2;
        }
      }
    }
  }

  /**
   * etcd's keyIndex.keep (key_index.go): visits the revision a compaction at
   * `atRevision` would keep for this key by etcd's rule, the newest revision
   * <= atRevision of the generation alive at atRevision, or nothing when the key
   * did not exist then. Never a tombstone (a generation whose tombstone is at or
   * below atRevision is passed over), which is also what etcd versions that keep a
   * tombstone at the compaction revision report here, so HashKV agrees across them.
   */
  keep(atRevision: number, visit: (main: number, sub: number) => void): void {
    const closed = this.closed;
    if (closed !== undefined) {
      for (const generation of closed) {
        const revisions = generation.revisions;
        if (revisions[revisions.length - 2]! <= atRevision) continue;
        // The generation alive at atRevision (or created after it: then nothing is kept).
        const found = newestAtOrBefore(revisions, revisions.length, atRevision);
        if (found >= 0) visit(revisions[found]!, revisions[found + 1]!);
        return;
      }
    }
    if (this.count === 0) return;
    if (this.modifiedMain <= atRevision) {
      visit(this.modifiedMain, this.modifiedSub);
      return;
    }
    const earlier = this.earlier;
    if (earlier === undefined) return;
    const found = newestAtOrBefore(earlier, earlier.length, atRevision);
    if (found >= 0) visit(earlier[found]!, earlier[found + 1]!);
  }

  /** True when nothing is left: the key has no history to serve. */
  isEmpty(): boolean {
    return this.count === 0 && this.closed === undefined;
  }

  /** The generations, oldest first, the open one last (a copy; for tests and debugging). */
  get generations(): Generation[] {
    const generations: Generation[] = [];
    for (const generation of this.closed ?? []) {
      generations.push({
        version: generation.version,
        created: { main: generation.createdMain, sub: generation.createdSub },
        revisions: revisionsOf(generation.revisions, generation.revisions.length),
      });
    }
    const revisions = this.earlier === undefined ? [] : revisionsOf(this.earlier, this.earlier.length);
    if (this.count > 0) revisions.push({ main: this.modifiedMain, sub: this.modifiedSub });
    generations.push({ version: this.version, created: { main: this.createdMain, sub: this.createdSub }, revisions });
    return generations;
  }

  /** Moves the open generation (which ends with its tombstone) to the closed ones and opens an empty one. */
  private closeGeneration(): void {
    const revisions = this.earlier ?? [];
    revisions.push(this.modifiedMain, this.modifiedSub);
    const generation: ClosedGeneration = { version: this.version, createdMain: this.createdMain, createdSub: this.createdSub, revisions };
    if (this.closed === undefined) this.closed = [generation];
    else this.closed.push(generation);
    this.count = 0;
    this.version = 0;
    this.createdMain = 0;
    this.createdSub = 0;
    this.earlier = undefined;
  }
}

/**
 * The same integer, as a V8 small integer when it fits (revisions decoded from the
 * backend are computed in floating point and arrive as heap numbers; storing one
 * would turn the field's representation to "double": a box per key).
 */
function smallInteger(value: number): number {
  return value >= 0 && value <= 0x3fff_ffff ? value | 0 : value;
}

/** Position (even, in a flat main/sub array of `length` numbers) of the newest pair with main <= atRevision; -1 if none. */
function newestAtOrBefore(revisions: readonly number[], length: number, atRevision: number): number {
  for (let index = length - 2; index >= 0; index -= 2) {
    if (revisions[index]! <= atRevision) return index;
  }
  return -1;
}

function dropPuts(revisions: readonly number[], end: number, dropped: DroppedRevision[]): void {
  for (let index = 0; index < end; index += 2) dropped.push({ revision: { main: revisions[index]!, sub: revisions[index + 1]! }, tombstone: false });
}

function revisionsOf(revisions: readonly number[], length: number): Revision[] {
  const found: Revision[] = [];
  for (let index = 0; index < length; index += 2) found.push({ main: revisions[index]!, sub: revisions[index + 1]! });
  return found;
}
