// Torn-tail repair and corruption detection on open. A torn or garbage tail of
// the last segment is cut off at the last intact record; damage followed by
// intact records, or in any earlier segment, is an error naming file and offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFile, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WalCorruptionError, WriteAheadLog } from '../../src/wal/index.js';
import { makeEntries, makeEntry, makeTempDir } from './wal-test-helpers.js';

const METADATA = new TextEncoder().encode('node=1');
// These tests read the file's size to know where records end, so segments
// are not preallocated here; preallocation.test.ts covers preallocated ones.
const UNPREALLOCATED = { preallocate: false } as const;
const FIRST_SEGMENT = '0000000000000000-0000000000000000.wal';

interface WrittenLog {
  dir: string;
  segmentPath: string;
  /** File size after each save, in order. */
  sizesAfterSaveBytes: number[];
}

/** A one-segment log: entries 1..4 with a hard state, then entry 5, then a hard state alone. */
async function writeSmallLog(dir: string): Promise<WrittenLog> {
  const segmentPath = join(dir, FIRST_SEGMENT);
  const wal = await WriteAheadLog.create(dir, METADATA, UNPREALLOCATED);
  const sizesAfterSaveBytes: number[] = [];
  const saves: Array<() => Promise<void>> = [
    () => wal.save({ term: 1, vote: 1, commit: 2 }, makeEntries(1, 4), true),
    () => wal.save(undefined, [makeEntry(5)], true),
    () => wal.save({ term: 1, vote: 1, commit: 5 }, [], true),
  ];
  for (const save of saves) {
    await save();
    sizesAfterSaveBytes.push((await stat(segmentPath)).size);
  }
  await wal.close();
  return { dir, segmentPath, sizesAfterSaveBytes };
}

test('a last record torn at every byte offset is cut off, keeping exactly the complete records', async (t) => {
  const log = await writeSmallLog(await makeTempDir(t));
  const original = await readFile(log.segmentPath);
  const [afterFirstBytes, afterEntryBytes, afterHardStateBytes] = log.sizesAfterSaveBytes as [number, number, number];
  assert.equal(original.length, afterHardStateBytes);

  for (let lengthBytes = afterFirstBytes; lengthBytes <= afterHardStateBytes; lengthBytes += 1) {
    await writeFile(log.segmentPath, original.subarray(0, lengthBytes));
    const opened = await WriteAheadLog.open(log.dir, UNPREALLOCATED);
    const keptBytes = lengthBytes >= afterHardStateBytes ? afterHardStateBytes : lengthBytes >= afterEntryBytes ? afterEntryBytes : afterFirstBytes;
    const context = `file cut to ${lengthBytes} bytes`;
    assert.deepEqual(opened.entries, makeEntries(1, keptBytes >= afterEntryBytes ? 5 : 4), context);
    assert.deepEqual(opened.hardState, { term: 1, vote: 1, commit: keptBytes === afterHardStateBytes ? 5 : 2 }, context);
    assert.equal(opened.repairedTailBytes, lengthBytes - keptBytes, context);
    assert.equal((await stat(log.segmentPath)).size, keptBytes, context);
    await opened.wal.close();
  }
});

test('after a repair the log appends where the intact records end', async (t) => {
  const log = await writeSmallLog(await makeTempDir(t));
  const [, afterEntryBytes] = log.sizesAfterSaveBytes as [number, number, number];
  const original = await readFile(log.segmentPath);
  await writeFile(log.segmentPath, original.subarray(0, afterEntryBytes + 5));
  const opened = await WriteAheadLog.open(log.dir, UNPREALLOCATED);
  await opened.wal.save({ term: 2, vote: 2, commit: 6 }, [makeEntry(6, 2)], true);
  await opened.wal.close();
  const reopened = await WriteAheadLog.open(log.dir, UNPREALLOCATED);
  assert.deepEqual(reopened.entries, [...makeEntries(1, 5), makeEntry(6, 2)]);
  assert.deepEqual(reopened.hardState, { term: 2, vote: 2, commit: 6 });
  assert.equal(reopened.repairedTailBytes, 0);
  await reopened.wal.close();
});

for (const [label, tail] of [
  ['7 random bytes', randomBytes(7)],
  ['100 random bytes', randomBytes(100)],
  ['64 KiB of random bytes', randomBytes(64 * 1024)],
  ['0xff bytes', Buffer.alloc(4096, 0xff)],
  ['a zero byte then random bytes', Buffer.concat([Buffer.alloc(1), randomBytes(50)])],
] as const) {
  test(`${label} appended to the last segment are cut off`, async (t) => {
    const log = await writeSmallLog(await makeTempDir(t));
    const sizeBytes = log.sizesAfterSaveBytes[2]!;
    await appendFile(log.segmentPath, tail);
    const opened = await WriteAheadLog.open(log.dir, UNPREALLOCATED);
    assert.deepEqual(opened.entries, makeEntries(1, 5));
    assert.equal(opened.repairedTailBytes, tail.length);
    assert.equal((await stat(log.segmentPath)).size, sizeBytes);
    await opened.wal.close();
  });
}

for (const [label, tail] of [
  ['1 zero byte', Buffer.alloc(1)],
  ['12 zero bytes', Buffer.alloc(12)],
  ['a zeroed MiB (preallocated space)', Buffer.alloc(1024 * 1024)],
] as const) {
  test(`${label} after the last record are its clean end, left in place`, async (t) => {
    const log = await writeSmallLog(await makeTempDir(t));
    const sizeBytes = log.sizesAfterSaveBytes[2]!;
    await appendFile(log.segmentPath, tail);
    const opened = await WriteAheadLog.open(log.dir, UNPREALLOCATED);
    assert.deepEqual(opened.entries, makeEntries(1, 5));
    assert.equal(opened.repairedTailBytes, 0);
    assert.equal((await stat(log.segmentPath)).size, sizeBytes + tail.length);
    // Appends go where the records end, over the zeros.
    await opened.wal.save(undefined, [makeEntry(6)], true);
    await opened.wal.close();
    const reopened = await WriteAheadLog.open(log.dir, UNPREALLOCATED);
    assert.deepEqual(reopened.entries, makeEntries(1, 6));
    await reopened.wal.close();
  });
}

test('a flipped byte followed by intact records is corruption naming the file and offset', async (t) => {
  const log = await writeSmallLog(await makeTempDir(t));
  const [afterFirstBytes] = log.sizesAfterSaveBytes as [number, number, number];
  const bytes = await readFile(log.segmentPath);
  // The entry-5 record starts where the first save ended; damage a payload byte.
  bytes[afterFirstBytes + 30]! ^= 0x10;
  await writeFile(log.segmentPath, bytes);
  const error = await WriteAheadLog.open(log.dir, UNPREALLOCATED).then(
    () => assert.fail('open should fail'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof WalCorruptionError);
  assert.equal(error.filePath, log.segmentPath);
  assert.equal(error.offsetBytes, afterFirstBytes);
  assert.match(error.message, /intact record follows/);
  // Nothing was truncated.
  assert.equal((await stat(log.segmentPath)).size, bytes.length);
});

test('damage in a segment that is not the last is corruption, even at its end', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA, { ...UNPREALLOCATED, segmentSizeBytes: 1024 });
  for (let index = 1; index <= 60; index += 1) await wal.save({ term: 1, vote: 1, commit: index }, [makeEntry(index)], true);
  await wal.close();
  const names = wal.segmentFileNames;
  assert.ok(names.length >= 3);
  const middlePath = join(dir, names[1]!);
  const bytes = await readFile(middlePath);

  await writeFile(middlePath, bytes.subarray(0, bytes.length - 3));
  await assert.rejects(WriteAheadLog.open(dir, UNPREALLOCATED), (error: unknown) => error instanceof WalCorruptionError && error.filePath === middlePath);

  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 9]! ^= 0x01;
  await writeFile(middlePath, flipped);
  await assert.rejects(WriteAheadLog.open(dir, UNPREALLOCATED), (error: unknown) => error instanceof WalCorruptionError && error.filePath === middlePath);
});

test('a missing segment in the middle of the log is detected', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA, { ...UNPREALLOCATED, segmentSizeBytes: 1024 });
  for (let index = 1; index <= 60; index += 1) await wal.save(undefined, [makeEntry(index)], true);
  await wal.close();
  await unlink(join(dir, wal.segmentFileNames[1]!));
  await assert.rejects(WriteAheadLog.open(dir, UNPREALLOCATED), WalCorruptionError);
});

test('a torn write whose later sectors landed but an earlier one stayed zero is repaired', async (t) => {
  const dir = await makeTempDir(t);
  const segmentPath = join(dir, FIRST_SEGMENT);
  const wal = await WriteAheadLog.create(dir, METADATA, UNPREALLOCATED);
  await wal.save(undefined, makeEntries(1, 2), true);
  const syncedBytes = (await stat(segmentPath)).size;
  // One unsynced batch of ~8 KiB: the device may persist its sectors in any order.
  await wal.save(undefined, makeEntries(3, 100, 1, 64), false);
  await wal.close();
  const bytes = await readFile(segmentPath);
  const zeroedSector = Math.ceil((syncedBytes + 1000) / 512) * 512;
  bytes.fill(0, zeroedSector, zeroedSector + 512);
  await writeFile(segmentPath, bytes);
  const opened = await WriteAheadLog.open(dir, UNPREALLOCATED);
  const kept = opened.entries.length;
  assert.ok(kept >= 2 && kept < 100, `kept ${kept} entries`);
  assert.deepEqual(opened.entries, [...makeEntries(1, 2), ...makeEntries(3, kept, 1, 64)]);
  assert.ok((await stat(segmentPath)).size <= zeroedSector);
  await opened.wal.close();
});
