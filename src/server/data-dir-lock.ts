// One member per data directory: two processes appending to one WAL would
// corrupt it. Node has no flock, so the lock is a file holding the owner's
// pid, taken with an exclusive create; a lock left by a process that is gone
// (kill -9, power loss) is taken over.

import { openSync, readFileSync, unlinkSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class DataDirLockedError extends Error {}

/** Lock files this process holds: several members may run in one process (embedding, tests). */
const heldByThisProcess = new Set<string>();

function isRunningMember(pid: number, lockPath: string): boolean {
  // Our own pid: held if a member of this process took it, else an earlier process had it.
  if (pid === process.pid) return heldByThisProcess.has(lockPath);
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A recycled pid belongs to some other program: only a member's counts.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('etcd-ts');
  } catch {
    return true; // no /proc: assume the owner is alive rather than risk two writers
  }
}

/** Takes the lock in `memberDir`; returns a function that releases it. */
export function lockDataDir(memberDir: string): () => void {
  const lockPath = resolve(join(memberDir, 'lock.pid'));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const descriptor = openSync(lockPath, 'wx');
      writeSync(descriptor, String(process.pid));
      fsyncSync(descriptor);
      closeSync(descriptor);
      heldByThisProcess.add(lockPath);
      return () => {
        heldByThisProcess.delete(lockPath);
        try {
          unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (Number.isInteger(owner) && owner > 0 && isRunningMember(owner, lockPath)) {
        const by = owner === process.pid ? `another member of this process (${owner})` : `process ${owner}`;
        throw new DataDirLockedError(`data directory ${memberDir} is in use by ${by}`);
      }
      unlinkSync(lockPath); // stale: its owner is gone
    }
  }
  throw new DataDirLockedError(`could not lock data directory ${memberDir}`);
}
