// Files that appear whole or not at all: written under a temporary name,
// fsync'd, renamed into place, and the directory fsync'd so the rename
// survives a crash.

import { closeSync, fsyncSync, openSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** Makes a rename, link or unlink in `directory` durable. */
export function fsyncDirectory(directory: string): void {
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
export async function writeFileAtomically(directory: string, name: string, temporaryName: string, chunks: AsyncIterable<Buffer>): Promise<number> {
  const temporaryPath = join(directory, temporaryName);
  let written = 0;
  try {
    const file = await open(temporaryPath, 'wx');
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
  fsyncDirectory(directory);
  return written;
}
