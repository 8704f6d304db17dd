// Preallocated segments: each segment file is extended ahead of its records
// (up to the segment size), zeros after the last record are its clean end,
// a finished segment is trimmed to its records, and a torn write in the
// preallocated space is still cut off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { WriteAheadLog } from '../../src/wal/index.js';
import { makeEntries, makeTempDir } from './wal-test-helpers.js';

const METADATA = new TextEncoder().encode('node=1');
const SEGMENT_BYTES = 64 * 1024;
const OPTIONS = { segmentSizeBytes: SEGMENT_BYTES };

async function segmentSizes(dir: string): Promise<number[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.wal')).sort();
  return Promise.all(names.map(async (name) => (await stat(join(dir, name))).size));
}

test('a new log is one segment of the segment size; reopening finds its records and no torn tail', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA, OPTIONS);
  assert.deepEqual(await segmentSizes(dir), [SEGMENT_BYTES]);
  await wal.save({ term: 1, vote: 1, commit: 3 }, makeEntries(1, 10), true);
  await wal.close();
  const opened = await WriteAheadLog.open(dir, OPTIONS);
  assert.deepEqual(opened.entries, makeEntries(1, 10));
  assert.deepEqual(opened.hardState, { term: 1, vote: 1, commit: 3 });
  assert.equal(opened.repairedTailBytes, 0);
  await opened.wal.save(undefined, makeEntries(11, 20), true);
  await opened.wal.close();
  assert.deepEqual(await segmentSizes(dir), [SEGMENT_BYTES]);
  const reopened = await WriteAheadLog.open(dir, OPTIONS);
  assert.deepEqual(reopened.entries, makeEntries(1, 20));
  await reopened.wal.close();
});

test('a cut trims the finished segment to its records and preallocates the next', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA, OPTIONS);
  // About 80 bytes per entry: 1,000 entries span two segments.
  for (let first = 1; first <= 1000; first += 50) await wal.save(undefined, makeEntries(first, first + 49), true);
  await wal.close();
  const sizes = await segmentSizes(dir);
  assert.equal(sizes.length, 2);
  assert.ok(sizes[0]! >= SEGMENT_BYTES && sizes[0]! < SEGMENT_BYTES + 8 * 1024, `finished segment trimmed to its records: ${sizes[0]}`);
  assert.equal(sizes[1], SEGMENT_BYTES);
  const opened = await WriteAheadLog.open(dir, OPTIONS);
  assert.deepEqual(opened.entries, makeEntries(1, 1000));
  await opened.wal.close();
});

test('a finished segment whose trim was lost (zeros after its records) still reads', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA, OPTIONS);
  for (let first = 1; first <= 1000; first += 50) await wal.save(undefined, makeEntries(first, first + 49), true);
  await wal.close();
  const first = (await readdir(dir)).filter((name) => name.endsWith('.wal')).sort()[0]!;
  await truncate(join(dir, first), 2 * SEGMENT_BYTES);
  const opened = await WriteAheadLog.open(dir, OPTIONS);
  assert.deepEqual(opened.entries, makeEntries(1, 1000));
  await opened.wal.close();
});

test('a torn write in the preallocated space is cut off, and the segment is preallocated again', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA, OPTIONS);
  await wal.save(undefined, makeEntries(1, 5), true);
  await wal.close();
  const [name] = (await readdir(dir)).filter((entry) => entry.endsWith('.wal'));
  // Part of a later, unsynced write: sectors that landed, past zeros that did not.
  const handle = await open(join(dir, name!), 'r+');
  await handle.write(Buffer.alloc(700, 0x5a), 0, 700, SEGMENT_BYTES / 2);
  await handle.close();
  const opened = await WriteAheadLog.open(dir, OPTIONS);
  assert.deepEqual(opened.entries, makeEntries(1, 5));
  assert.ok(opened.repairedTailBytes > SEGMENT_BYTES / 2, `cut ${opened.repairedTailBytes} bytes`);
  assert.deepEqual(await segmentSizes(dir), [SEGMENT_BYTES]);
  await opened.wal.save(undefined, makeEntries(6, 8), true);
  await opened.wal.close();
  const reopened = await WriteAheadLog.open(dir, OPTIONS);
  assert.deepEqual(reopened.entries, makeEntries(1, 8));
  assert.equal(reopened.repairedTailBytes, 0);
  await reopened.wal.close();
});

test('a large segment is extended a few MB ahead of its records, not to its full size at once', async (t) => {
  const dir = await makeTempDir(t);
  const segmentSizeBytes = 64 * 1024 * 1024;
  const wal = await WriteAheadLog.create(dir, METADATA, { segmentSizeBytes });
  const [created] = await segmentSizes(dir);
  assert.ok(created! > 1024 * 1024 && created! < 8 * 1024 * 1024, `created at ${created} bytes`);
  // ~6 MB of records: past the first preallocation.
  for (let first = 1; first <= 6000; first += 100) await wal.save(undefined, makeEntries(first, first + 99, 1, 1000), true);
  const [grown] = await segmentSizes(dir);
  assert.ok(grown! > 6 * 1000 * 1000 && grown! < segmentSizeBytes, `grown to ${grown} bytes`);
  await wal.close();
  const opened = await WriteAheadLog.open(dir, { segmentSizeBytes });
  assert.equal(opened.entries.length, 6000);
  assert.equal(opened.repairedTailBytes, 0);
  await opened.wal.close();
});
