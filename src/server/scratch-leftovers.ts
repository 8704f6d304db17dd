// Scratch files and directories that snapshots, defrags and restores make
// beside the backend (in <data-dir>/member/snap) and remove when they finish.
// A member that crashed (or was killed) meanwhile leaves them behind, and a
// snapshot copy can be as large as the database. At start, holding the data
// dir lock, the member removes them, as etcd's Snapshotter.cleanupSnapdir
// removes defrag's orphaned "db.tmp*" files. Only these names are touched.

import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../pkg/logger.js';
import { defragDirectoryName } from '../backend/backend.js';

interface ScratchKind {
  pattern: RegExp;
  /** The log line for a removed leftover. */
  message: string;
}

const scratchKinds: ScratchKind[] = [
  // Backend.runDefrag's compacting copy.
  { pattern: new RegExp(`^${defragDirectoryName.replace('.', '\\.')}$`), message: 'found orphaned defragmentation file; deleting' },
  // Backend.snapshotBytes ("snapshot-<pid>-<ms>.tmp") and EtcdServer.snapshotBackendCopy
  // for Maintenance.Snapshot ("snapshot-<pid>-<ms>-<random>.tmp").
  { pattern: /^snapshot-\d+-\d+(?:-[0-9a-z]+)?\.tmp$/, message: 'found orphaned snapshot scratch directory; deleting' },
  // Backend.restore's copy of a leader's database, before its rename.
  { pattern: /^data\.mdb\.restore\.tmp$/, message: 'found orphaned snapshot restore file; deleting' },
];

/** Removes scratch leftovers in the backend directory; returns the names removed. */
export function removeScratchLeftovers(backendDirectory: string, logger: Logger): string[] {
  let names: string[];
  try {
    names = readdirSync(backendDirectory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const log = logger.child('snap/snapshotter.go');
  const removed: string[] = [];
  for (const name of names.sort()) {
    const kind = scratchKinds.find((candidate) => candidate.pattern.test(name));
    if (kind === undefined) continue;
    const path = join(backendDirectory, name);
    log.info(kind.message, { path });
    rmSync(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
