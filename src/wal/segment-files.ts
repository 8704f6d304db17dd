// Segment file names and the file-system steps that must be durable:
// creating a segment atomically (temporary file, fdatasync, rename, directory
// fsync), syncing directories, writing whole buffers at a position.
import { open, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { writevSync } from 'node:fs';
import { join } from 'node:path';
import { syncDirectory } from '../pkg/durable-files.js';

export const SEGMENT_FILE_SUFFIX = '.wal';
const TEMPORARY_FILE_SUFFIX = '.wal.tmp';
const SEGMENT_NAME_PATTERN = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;
/** Linux accepts at most 1024 buffers per writev. */
const BUFFERS_PER_WRITE_MAX = 1024;

export interface SegmentName {
  /** Position of the segment in the log, counting from 0 at create; consecutive. */
  sequence: number;
  /** Index of the first entry the segment was started for (last written index + 1 at the cut). */
  firstIndex: number;
  fileName: string;
}

function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}

export function segmentFileName(sequence: number, firstIndex: number): string {
  return `${hex16(sequence)}-${hex16(firstIndex)}${SEGMENT_FILE_SUFFIX}`;
}

export function parseSegmentFileName(fileName: string): SegmentName | undefined {
  const match = SEGMENT_NAME_PATTERN.exec(fileName);
  if (match === null) return undefined;
  const sequence = parseInt(match[1]!, 16);
  const firstIndex = parseInt(match[2]!, 16);
  if (!Number.isSafeInteger(sequence) || !Number.isSafeInteger(firstIndex)) return undefined;
  return { sequence, firstIndex, fileName };
}

async function readDirectoryOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The segment files in `dir`, ordered by sequence; other files are ignored. */
export async function listSegments(dir: string): Promise<SegmentName[]> {
  const segments: SegmentName[] = [];
  for (const fileName of await readDirectoryOrEmpty(dir)) {
    const segment = parseSegmentFileName(fileName);
    if (segment !== undefined) segments.push(segment);
  }
  return segments.sort((a, b) => a.sequence - b.sequence);
}

/** Removes segments that a crash left half-created: they were never renamed into the log. */
export async function removeTemporaryFiles(dir: string): Promise<void> {
  for (const fileName of await readDirectoryOrEmpty(dir)) {
    if (fileName.endsWith(TEMPORARY_FILE_SUFFIX)) await unlink(join(dir, fileName));
  }
}

/**
 * Creates `dir/fileName` holding `content`, all or nothing: a crash leaves
 * either no segment or a complete, synced one.
 */
export async function createFileDurably(dir: string, fileName: string, content: Buffer, preallocateBytes = 0): Promise<void> {
  const temporaryPath = join(dir, fileName.slice(0, -SEGMENT_FILE_SUFFIX.length) + TEMPORARY_FILE_SUFFIX);
  const handle = await open(temporaryPath, 'wx');
  try {
    await writeAllAt(handle, [content], 0);
    if (preallocateBytes > content.length) await handle.truncate(preallocateBytes);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporaryPath, join(dir, fileName));
  await syncDirectory(dir);
}

/** writeAllAt on the calling thread: for small batches, where a thread-pool hop costs more than the write. */
export function writeAllAtSync(fd: number, buffers: readonly Buffer[], position: number): void {
  let queue = buffers.filter((buffer) => buffer.length > 0);
  while (queue.length > 0) {
    const chunk = queue.slice(0, BUFFERS_PER_WRITE_MAX);
    const bytesWritten = writevSync(fd, chunk, position);
    position += bytesWritten;
    queue = unwrittenPart(queue, bytesWritten);
  }
}

/** Writes every byte of `buffers` at `position`, retrying short writes. */
export async function writeAllAt(handle: FileHandle, buffers: readonly Buffer[], position: number): Promise<void> {
  let queue = buffers.filter((buffer) => buffer.length > 0);
  while (queue.length > 0) {
    const chunk = queue.slice(0, BUFFERS_PER_WRITE_MAX);
    const bytesWritten = (await handle.writev(chunk, position)).bytesWritten;
    position += bytesWritten;
    queue = unwrittenPart(queue, bytesWritten);
  }
}

/** Drops what a write of `bytesWritten` covered, keeping the unwritten part of a partly written buffer. */
function unwrittenPart(queue: readonly Buffer[], bytesWritten: number): Buffer[] {
  if (bytesWritten === 0) throw new Error('wal: write made no progress');
  let bytesLeft = bytesWritten;
  let written = 0;
  while (written < queue.length && bytesLeft >= queue[written]!.length) {
    bytesLeft -= queue[written]!.length;
    written += 1;
  }
  const rest = queue.slice(written);
  if (bytesLeft > 0) rest[0] = rest[0]!.subarray(bytesLeft);
  return rest;
}
