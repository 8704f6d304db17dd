// The key index as it was before it was made compact (object per revision and
// generation, a Buffer key): kept as the reference model of key-index.test.ts.

import { compareRevisions, type Revision } from '../../src/mvcc/revision.js';

/**
 * One life of a key: from its creation to its deletion (the last revision of a
 * generation that is not the newest one is the tombstone).
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

const zeroRevision: Revision = { main: 0, sub: 0 };

/**
 * The history of one user key, as in etcd's key_index.go: a list of generations,
 * the last one open (empty after a deletion).
 */
export class ReferenceKeyIndex {
  modified: Revision = zeroRevision;
  /** Lease of the live revision (0: none or not live); saves a backend read on every put. */
  lease = 0;
  generations: Generation[] = [{ version: 0, created: zeroRevision, revisions: [] }];

  constructor(readonly key: Buffer) {}

  put(revision: Revision): void {
    if (compareRevisions(revision, this.modified) <= 0) {
      throw new Error(`put with revision ${revision.main}_${revision.sub} not above ${this.modified.main}_${this.modified.sub}`);
    }
    const generation = this.generations[this.generations.length - 1]!;
    if (generation.revisions.length === 0) generation.created = revision;
    generation.revisions.push(revision);
    generation.version++;
    this.modified = revision;
  }

  /** Restores a key whose oldest remaining revision is a put (used when rebuilding the index). */
  restore(created: Revision, modified: Revision, version: number): void {
    this.modified = modified;
    this.generations = [{ version, created, revisions: [modified] }];
  }

  /** Restores a key whose oldest remaining revision is a tombstone. */
  restoreTombstone(revision: Revision): void {
    this.restore(zeroRevision, revision, 1);
    this.generations.push({ version: 0, created: zeroRevision, revisions: [] });
  }

  /** Ends the current generation with a deletion at `revision`; false if the key is not live. */
  tombstone(revision: Revision): boolean {
    if (this.currentGeneration().revisions.length === 0) return false;
    this.put(revision);
    this.lease = 0;
    this.generations.push({ version: 0, created: zeroRevision, revisions: [] });
    return true;
  }

  isLive(): boolean {
    return this.currentGeneration().revisions.length > 0;
  }

  /** The key's state at main revision `atRevision`, or undefined if it did not exist then. */
  get(atRevision: number): KeyAtRevision | undefined {
    const generation = this.findGeneration(atRevision);
    if (generation === undefined) return undefined;
    const revisions = generation.revisions;
    // Newest revision with main <= atRevision; the usual case is the newest one.
    for (let index = revisions.length - 1; index >= 0; index--) {
      const revision = revisions[index]!;
      if (revision.main <= atRevision) {
        return { modified: revision, created: generation.created, version: generation.version - (revisions.length - 1 - index) };
      }
    }
    return undefined;
  }

  /** Revisions with main >= `fromRevision`, keeping only the last change per main revision (for watch). */
  since(fromRevision: number): Revision[] {
    const found: Revision[] = [];
    let lastMain = -1;
    for (const generation of this.generations) {
      for (const revision of generation.revisions) {
        if (revision.main < fromRevision) continue;
        if (revision.main === lastMain) found[found.length - 1] = revision;
        else found.push(revision);
        lastMain = revision.main;
      }
    }
    return found;
  }

  /**
   * Drops history not needed to answer reads at revisions >= `atRevision`: for the
   * generation alive at `atRevision`, keeps its newest revision <= atRevision (which may
   * be a tombstone exactly at atRevision) and everything newer. Reports what it dropped.
   */
  compact(atRevision: number, dropped: DroppedRevision[]): void {
    let generationIndex = 0;
    // Skip generations that ended (tombstone) before atRevision.
    while (generationIndex < this.generations.length - 1) {
      const generation = this.generations[generationIndex]!;
      const tombstone = generation.revisions[generation.revisions.length - 1]!;
      if (tombstone.main >= atRevision) break;
      for (let index = 0; index < generation.revisions.length; index++) {
        const revision = generation.revisions[index]!;
        dropped.push({ revision, tombstone: index === generation.revisions.length - 1 });
      }
      generationIndex++;
    }
    const generation = this.generations[generationIndex]!;
    const revisions = generation.revisions;
    let keepFrom = -1;
    for (let index = revisions.length - 1; index >= 0; index--) {
      if (revisions[index]!.main <= atRevision) {
        keepFrom = index;
        break;
      }
    }
    if (keepFrom > 0) {
      // Revisions before keepFrom are puts (only the last revision can be a tombstone).
      for (let index = 0; index < keepFrom; index++) dropped.push({ revision: revisions[index]!, tombstone: false });
      generation.revisions = revisions.slice(keepFrom);
    }
    if (generationIndex > 0) this.generations = this.generations.slice(generationIndex);
  }

  /** True when nothing is left: the key has no history to serve. */
  isEmpty(): boolean {
    return this.generations.length === 1 && this.generations[0]!.revisions.length === 0;
  }

  private currentGeneration(): Generation {
    return this.generations[this.generations.length - 1]!;
  }

  private findGeneration(atRevision: number): Generation | undefined {
    const lastIndex = this.generations.length - 1;
    for (let index = lastIndex; index >= 0; index--) {
      const generation = this.generations[index]!;
      const revisions = generation.revisions;
      if (revisions.length === 0) continue;
      // A closed generation whose tombstone is at or before atRevision: the key was deleted then.
      if (index !== lastIndex && revisions[revisions.length - 1]!.main <= atRevision) return undefined;
      if (revisions[0]!.main <= atRevision) return generation;
    }
    return undefined;
  }
}
