// Making files and directory entries survive a crash: a directory fsync'd
// after a create, rename or unlink in it, and files that appear whole or not
// at all (written under a temporary name, fsync'd, renamed into place, the
// directory fsync'd). Used by the WAL, the backend's swap, snapshot records
// and scheduled backups.

import { closeSync, fsyncSync, openSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** Makes creations, renames and deletions inside `directory` durable. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** syncDirectory for callers that must not yield (the backend's environment swap). */
export function syncDirectorySync(directory: string): void {
  const descriptor = openSync(directory, 'r');
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Writes `chunks` to `directory/temporaryName`, fsyncs it, renames it to
 * `directory/name` and fsyncs the directory; returns the bytes written. On
 * failure the temporary file is removed and `name` is untouched.
 */
export async function writeFileAtomically(directory: string, name: string, temporaryName: string, chunks: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<number> {
  const temporaryPath = join(directory, temporaryName);
  let written = 0;
  try {
    const file = await open(temporaryPath, 'w');
    try {
      for await (const chunk of chunks) {
        await file.write(chunk);
        written += chunk.length;
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporaryPath, join(directory, name));
  } catch (error) {
    rmSync(temporaryPath, { force: true });
    throw error;
  }
  await syncDirectory(directory);
  return written;
}
