// Group commit: saves that arrive while a write or fdatasync is in flight
// share the next one, and no save resolves before its bytes are synced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteAheadLog } from '../../src/wal/index.js';
import type { WalObserver } from '../../src/wal/index.js';
import { makeEntries, makeEntry, makeTempDir } from './wal-test-helpers.js';

const METADATA = new TextEncoder().encode('node=1');

/** Tracks how far the file is written and how far a completed fdatasync covers. */
class DurabilityTracker implements WalObserver {
  writtenEndBytes = 0;
  durableEndBytes = 0;
  private syncCoversBytes = 0;

  onWrite(_fileName: string, offsetBytes: number, lengthBytes: number): void {
    this.writtenEndBytes = offsetBytes + lengthBytes;
  }
  onSyncStart(): void {
    this.syncCoversBytes = this.writtenEndBytes;
  }
  onSyncEnd(): void {
    this.durableEndBytes = this.syncCoversBytes;
  }
}

test('100 concurrent saves share fewer fdatasyncs, and each resolves only once its bytes are synced', async (t) => {
  const dir = await makeTempDir(t);
  const tracker = new DurabilityTracker();
  const wal = await WriteAheadLog.create(dir, METADATA, { observer: tracker });
  await wal.save({ term: 1, vote: 1, commit: 0 }, [makeEntry(1)], true);
  const syncsBefore = wal.syncCount;

  const saveCount = 100;
  // Every save has the same size, so save i ends at a known offset.
  const firstOffsetBytes = tracker.writtenEndBytes;
  const saves = makeEntries(2, saveCount + 1, 1, 40).map((entry) => wal.save(undefined, [entry], true));
  // What a completed fdatasync covered at the moment each save resolved (no I/O
  // completes between a resolution and its callback).
  const resolvedAt: number[] = [];
  await Promise.all(saves.map((save, position) => save.then(() => { resolvedAt[position] = tracker.durableEndBytes; })));
  const recordBytes = (tracker.writtenEndBytes - firstOffsetBytes) / saveCount;
  assert.ok(Number.isInteger(recordBytes));
  resolvedAt.forEach((durableEndBytes, position) => {
    assert.ok(durableEndBytes >= firstOffsetBytes + (position + 1) * recordBytes, `save ${position} resolved before its bytes were synced`);
  });

  const syncs = wal.syncCount - syncsBefore;
  t.diagnostic(`${saveCount} saves, ${syncs} fdatasyncs, ${wal.writeCount} writes`);
  assert.ok(syncs >= 1 && syncs < saveCount, `expected fewer than ${saveCount} syncs, got ${syncs}`);
  await wal.close();

  const opened = await WriteAheadLog.open(dir);
  assert.deepEqual(opened.entries, [makeEntry(1), ...makeEntries(2, saveCount + 1, 1, 40)]);
  await opened.wal.close();
});

test('saves that need no sync are written without fdatasync, and a later synced save covers them', async (t) => {
  const dir = await makeTempDir(t);
  const tracker = new DurabilityTracker();
  const wal = await WriteAheadLog.create(dir, METADATA, { observer: tracker });
  const syncsBefore = wal.syncCount;
  for (let index = 1; index <= 20; index += 1) await wal.save(undefined, [makeEntry(index)], false);
  assert.equal(wal.syncCount, syncsBefore);
  await wal.save(undefined, [], true);
  assert.equal(wal.syncCount, syncsBefore + 1);
  assert.equal(tracker.durableEndBytes, tracker.writtenEndBytes);
  // Nothing new to sync: no fdatasync.
  await wal.save(undefined, [], true);
  assert.equal(wal.syncCount, syncsBefore + 1);
  await wal.close();
});

test('saves issued from resolution callbacks are not stranded', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA);
  // Each writer starts its next save the moment its previous one resolves.
  let nextIndex = 1;
  const writer = async (): Promise<void> => {
    while (nextIndex <= 200) await wal.save({ term: 1, vote: 1, commit: nextIndex - 1 }, [makeEntry(nextIndex++)], true);
  };
  await Promise.all([writer(), writer(), writer(), writer()]);
  await wal.close();
  const opened = await WriteAheadLog.open(dir);
  assert.deepEqual(opened.entries, makeEntries(1, 200));
  await opened.wal.close();
});

test('after a failed fdatasync every queued and later save is rejected, and close still releases the file', async (t) => {
  const dir = await makeTempDir(t);
  let failSyncs = false;
  const wal = await WriteAheadLog.create(dir, METADATA, {
    observer: {
      onSyncStart: () => {
        if (failSyncs) throw new Error('injected EIO');
      },
    },
  });
  await wal.save(undefined, [makeEntry(1)], true);
  failSyncs = true;
  const results = await Promise.allSettled(makeEntries(2, 11).map((entry) => wal.save(undefined, [entry], true)));
  assert.ok(results.every((result) => result.status === 'rejected' && /injected EIO/.test(String(result.reason))));
  await assert.rejects(wal.save(undefined, [makeEntry(12)], false), /injected EIO/);
  await wal.close();
  // What was synced before the failure is still there.
  const opened = await WriteAheadLog.open(dir);
  assert.deepEqual(opened.entries.slice(0, 1), [makeEntry(1)]);
  await opened.wal.close();
});

test('entries that are not contiguous within one save are refused', async (t) => {
  const dir = await makeTempDir(t);
  const wal = await WriteAheadLog.create(dir, METADATA);
  await assert.rejects(wal.save(undefined, [makeEntry(1), makeEntry(3)], true), RangeError);
  await wal.close();
});
