// Round trips through the WAL: save, close, reopen, compare. Covers overwritten
// tails, reading from a snapshot, segment cuts and releasing old segments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EntryType } from '../../src/raft/types.js';
import { WalNotFoundError, WalStateError, WriteAheadLog } from '../../src/wal/index.js';
import { makeEntries, makeEntry, makeTempDir } from './wal-test-helpers.js';

const METADATA = new TextEncoder().encode('node=1 cluster=7');

test('a new directory holds no log; after create it does, and create refuses to run twice', async (t) => {
  const dir = join(await makeTempDir(t), 'member', 'wal');
  assert.equal(await WriteAheadLog.exists(dir), false);
  const wal = await WriteAheadLog.create(dir, METADATA);
  await wal.close();
  assert.equal(await WriteAheadLog.exists(dir), true);
  await assert.rejects(WriteAheadLog.create(dir, METADATA), WalStateError);
  assert.deepEqual(await readdir(dir), ['0000000000000000-0000000000000000.wal']);
});

test('metadata, hard state and entries read back as saved', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA);
  const entries = [...makeEntries(1, 9), { index: 10, term: 1, type: EntryType.ConfChange, data: new Uint8Array(0) }];
  await wal.save({ term: 1, vote: 3, commit: 0 }, entries.slice(0, 4), true);
  await wal.save({ term: 1, vote: 3, commit: 7 }, entries.slice(4), true);
  await wal.close();

  const opened = await WriteAheadLog.open(dir);
  assert.deepEqual(opened.metadata, METADATA);
  assert.deepEqual(opened.hardState, { term: 1, vote: 3, commit: 7 });
  assert.deepEqual(opened.entries, entries);
  assert.equal(opened.snapshot, undefined);
  assert.equal(opened.repairedTailBytes, 0);

  // Appending after a reopen continues the same log.
  await opened.wal.save({ term: 2, vote: 0, commit: 10 }, makeEntries(11, 12, 2), true);
  await opened.wal.close();
  const reopened = await WriteAheadLog.open(dir);
  assert.deepEqual(reopened.entries, [...entries, ...makeEntries(11, 12, 2)]);
  assert.deepEqual(reopened.hardState, { term: 2, vote: 0, commit: 10 });
  await reopened.wal.close();
});

test('a log with no hard state reads back the zero hard state', async (t) => {
  const dir = await makeTempDir(t);
  await (await WriteAheadLog.create(dir, METADATA)).close();
  const opened = await WriteAheadLog.open(dir);
  assert.deepEqual(opened.hardState, { term: 0, vote: 0, commit: 0 });
  assert.deepEqual(opened.entries, []);
  await opened.wal.close();
});

test('an entry written at index i discards previously written entries from i on', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA);
  await wal.save({ term: 1, vote: 1, commit: 3 }, makeEntries(1, 10, 1), true);
  await wal.save({ term: 2, vote: 2, commit: 3 }, makeEntries(6, 8, 2), true);
  await wal.close();
  const opened = await WriteAheadLog.open(dir);
  assert.deepEqual(opened.entries, [...makeEntries(1, 5, 1), ...makeEntries(6, 8, 2)]);
  await opened.wal.close();
});

test('opening from a snapshot returns the entries after it and checks its marker', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA);
  await wal.save({ term: 1, vote: 1, commit: 10 }, makeEntries(1, 10), true);
  await wal.saveSnapshot({ index: 5, term: 1 });
  await wal.save(undefined, makeEntries(11, 12), true);
  await wal.close();

  const opened = await WriteAheadLog.open(dir, { fromSnapshot: { index: 5, term: 1 } });
  assert.deepEqual(opened.entries, makeEntries(6, 12));
  assert.deepEqual(opened.snapshot, { index: 5, term: 1 });
  await opened.wal.close();
  await assert.rejects(WriteAheadLog.open(dir, { fromSnapshot: { index: 5, term: 2 } }), WalNotFoundError);
  await assert.rejects(WriteAheadLog.open(dir, { fromSnapshot: { index: 6, term: 1 } }), WalNotFoundError);
});

test('a snapshot received from a leader lets the log continue past a gap', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA, { segmentSizeBytes: 512 });
  await wal.save({ term: 1, vote: 1, commit: 3 }, makeEntries(1, 3), true);
  await wal.saveSnapshot({ index: 100, term: 4 });
  await wal.save({ term: 4, vote: 0, commit: 105 }, makeEntries(101, 120, 4), true);
  await wal.close();
  const opened = await WriteAheadLog.open(dir, { fromSnapshot: { index: 100, term: 4 } });
  assert.deepEqual(opened.entries, makeEntries(101, 120, 4));
  // Segments cut after the snapshot are named past it.
  assert.ok(opened.wal.segmentFileNames.slice(1).every((name) => parseInt(name.slice(17, 33), 16) > 100));
  await opened.wal.close();
});

test('segments are cut at the size limit, named by sequence and first index, and read back whole', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA, { segmentSizeBytes: 4096 });
  for (let index = 1; index <= 300; index += 10) {
    await wal.save({ term: 1, vote: 1, commit: index }, makeEntries(index, index + 9), index % 20 === 1);
  }
  await wal.close();
  const names = wal.segmentFileNames;
  assert.ok(names.length >= 5, `expected several segments, got ${names.length}`);
  assert.deepEqual((await readdir(dir)).sort(), names);
  names.forEach((name, sequence) => assert.equal(parseInt(name.slice(0, 16), 16), sequence));
  // Each save is 10 entries, so each later segment starts right after a save.
  for (const name of names.slice(1)) assert.equal(parseInt(name.slice(17, 33), 16) % 10, 1);

  const opened = await WriteAheadLog.open(dir);
  assert.deepEqual(opened.entries, makeEntries(1, 300));
  assert.deepEqual(opened.hardState, { term: 1, vote: 1, commit: 291 });
  await opened.wal.close();
});

test('releaseLockTo deletes the segments before the one holding the snapshot index, and nothing needed', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA, { segmentSizeBytes: 2048 });
  for (let index = 1; index <= 200; index += 5) await wal.save({ term: 1, vote: 2, commit: index + 4 }, makeEntries(index, index + 4), true);
  await wal.saveSnapshot({ index: 150, term: 1 });
  // A cut runs after the save that filled the segment resolves; an empty
  // synced save queues behind it, so the segment list is settled after it.
  await wal.save(undefined, [], true);
  const before = wal.segmentFileNames;
  const released = await wal.releaseLockTo(150);
  const after = wal.segmentFileNames;
  assert.ok(released.length > 0);
  assert.deepEqual([...released, ...after], before);
  assert.deepEqual((await readdir(dir)).sort(), after);
  const firstKeptIndex = parseInt(after[0]!.slice(17, 33), 16);
  assert.ok(firstKeptIndex <= 150, 'the segment holding index 150 is kept');
  assert.ok(after.length === 1 || parseInt(after[1]!.slice(17, 33), 16) > 150, 'only that one among those at or below it');
  // Releasing again, or below what is gone, deletes nothing.
  assert.deepEqual(await wal.releaseLockTo(150), []);
  assert.deepEqual(await wal.releaseLockTo(3), []);
  await wal.save({ term: 1, vote: 2, commit: 201 }, [makeEntry(201)], true);
  await wal.close();

  const opened = await WriteAheadLog.open(dir, { fromSnapshot: { index: 150, term: 1 } });
  assert.deepEqual(opened.metadata, METADATA);
  assert.deepEqual(opened.hardState, { term: 1, vote: 2, commit: 201 });
  assert.deepEqual(opened.entries, makeEntries(151, 201));
  await opened.wal.close();
  await assert.rejects(WriteAheadLog.open(dir), WalNotFoundError);
});

test('a leftover temporary segment from a crash during a cut is ignored and removed', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA);
  await wal.save(undefined, makeEntries(1, 3), true);
  await wal.close();
  await writeFile(join(dir, '0000000000000001-0000000000000004.wal.tmp'), Buffer.from('half a segment'));
  const opened = await WriteAheadLog.open(dir);
  assert.deepEqual(opened.entries, makeEntries(1, 3));
  await opened.wal.close();
  assert.deepEqual(await readdir(dir), ['0000000000000000-0000000000000000.wal']);
});

test('save after close is refused', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA);
  await wal.close();
  await assert.rejects(wal.save(undefined, [makeEntry(1)], true), WalStateError);
});
