import type { Backend } from '../backend/index.js';
import { readFinishedCompactRevision, readScheduledCompactRevision } from './compaction-meta.js';
import { KeyIndex } from './key-index.js';
import { decodeKeyValue } from './key-value.js';
import { decodeRevisionKey } from './revision.js';
import { TreeIndex } from './tree-index.js';

export interface RestoredIndex {
  index: TreeIndex;
  currentRevision: number;
  /** Last finished compaction (-1: none). */
  compactRevision: number;
  /** A compaction that was scheduled but not finished before the last shutdown. */
  unfinishedCompactRevision: number | undefined;
}

const restoreChunkEntries = 10_000;

/** Rebuilds the key index from the key bucket (revision order), as etcd's restore does. */
export function restoreIndex(backend: Backend): RestoredIndex {
  const finishedCompact = readFinishedCompactRevision(backend);
  const scheduledCompact = readScheduledCompactRevision(backend);
  const compactRevision = finishedCompact ?? -1;
  const index = new TreeIndex();
  // A new store is at revision 1, so its first write gets revision 2, as in etcd.
  let currentRevision = 1;
  let start = Buffer.alloc(0);
  for (;;) {
    const entries = backend.range('key', start, undefined, restoreChunkEntries);
    for (const { key: revisionKey, value } of entries) {
      const { revision, tombstone } = decodeRevisionKey(revisionKey);
      const keyValue = decodeKeyValue(value);
      if (revision.main < currentRevision && currentRevision > 1) {
        throw new Error(`key bucket out of order at revision ${revision.main} after ${currentRevision}`);
      }
      currentRevision = revision.main;
      const keyIndex = index.keyIndex(keyValue.key);
      if (keyIndex !== undefined) {
        if (tombstone) keyIndex.tombstone(revision);
        else {
          keyIndex.put(revision);
          keyIndex.lease = keyValue.lease;
        }
        continue;
      }
      const restored = new KeyIndex(keyValue.key.toString('latin1'));
      if (tombstone) restored.restoreTombstone(revision);
      else {
        restored.restore({ main: keyValue.create_revision, sub: 0 }, revision, keyValue.version);
        restored.lease = keyValue.lease;
      }
      index.insert(restored);
    }
    if (entries.length < restoreChunkEntries) break;
    // The smallest key after the last one read.
    start = Buffer.concat([entries[entries.length - 1]!.key, Buffer.from([0])]);
  }
  // Compaction may have removed the newest revisions (tombstones); revisions never go back.
  currentRevision = Math.max(currentRevision, compactRevision, scheduledCompact ?? 0);
  const unfinishedCompactRevision =
    scheduledCompact !== undefined && scheduledCompact > compactRevision ? scheduledCompact : undefined;
  return { index, currentRevision, compactRevision, unfinishedCompactRevision };
}
