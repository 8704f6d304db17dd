// The simulated disk of one member: what Ready batches told it to persist
// (hard state, snapshot, entries), and nothing else. A crash keeps the disk
// and loses everything in memory; a restart rebuilds storage from a copy of
// the disk, so no state can leak from the crashed incarnation.

import { MemoryStorage } from '../../../src/raft/index.js';

export function copyStorage(disk: MemoryStorage): MemoryStorage {
  const copy = new MemoryStorage();
  const snapshot = disk.snapshot();
  if (snapshot.metadata.index > 0) copy.applySnapshot(snapshot);
  else if (snapshot.metadata.confState.voters.length + snapshot.metadata.confState.learners.length > 0) {
    return copyOntoConfState(disk);
  }
  const first = disk.firstIndex();
  const last = disk.lastIndex();
  if (last >= first) copy.append(disk.entries(first, last + 1, Number.POSITIVE_INFINITY));
  copy.setHardState(disk.hardStateForTesting());
  return copy;
}

function copyOntoConfState(disk: MemoryStorage): MemoryStorage {
  const copy = MemoryStorage.withConfState(disk.snapshot().metadata.confState);
  const first = disk.firstIndex();
  const last = disk.lastIndex();
  if (last >= first) copy.append(disk.entries(first, last + 1, Number.POSITIVE_INFINITY));
  copy.setHardState(disk.hardStateForTesting());
  return copy;
}
