import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactedError } from '../../src/mvcc/index.js';
import { bytes, deleteRange, indexedRevisions, keysOf, put, storedRevisions, withStore } from './helpers.js';

test('compaction keeps the newest version at or below the revision and drops the rest', withStore(async ({ store, backend }) => {
  put(store, 'a', 'a1'); // 2
  put(store, 'a', 'a2'); // 3
  put(store, 'b', 'b1'); // 4
  deleteRange(store, 'b'); // 5
  put(store, 'c', 'c1'); // 6
  deleteRange(store, 'c'); // 7
  put(store, 'a', 'a3'); // 8
  const compaction = store.compact(6);
  assert.equal(store.compactRevision, 6);
  await compaction.done;
  // a: 3 is the newest <= 6, kept; b deleted at 5 < 6: gone; c: deleted at 7 > 6: put at 6 kept.
  assert.deepEqual(storedRevisions(backend), ['3_0', '6_0', '7_0t', '8_0']);
  assert.deepEqual(storedRevisions(backend), indexedRevisions(store));
  assert.equal(store.range(bytes('a'), undefined, { revision: 6 }).kvs[0]?.value.toString(), 'a2');
  assert.deepEqual(keysOf(store.range(Buffer.from([0]), Buffer.from([0]), { revision: 6 }).kvs), ['a', 'c']);
  assert.throws(() => store.range(bytes('a'), undefined, { revision: 5 }), CompactedError);
  const a = store.range(bytes('a'), undefined).kvs[0]!;
  assert.deepEqual([a.create_revision, a.version], [2, 3], 'create revision and version survive compaction');
}));

test('a tombstone exactly at the compaction revision is kept, as etcd does', withStore(async ({ store, backend }) => {
  put(store, 'a', '1'); // 2
  deleteRange(store, 'a'); // 3
  await store.compact(3).done;
  assert.deepEqual(storedRevisions(backend), ['3_0t']);
  assert.equal(store.range(bytes('a'), undefined).count, 0);
  put(store, 'x', '1'); // 4
  await store.compact(4).done;
  assert.deepEqual(storedRevisions(backend), ['4_0']);
  assert.equal(store.indexedKeyCount, 1);
}));

test('compaction progress and revision survive restarts; compacting everything keeps the revision', withStore(async (fixture) => {
  put(fixture.store, 'a', '1'); // 2
  deleteRange(fixture.store, 'a'); // 3
  put(fixture.store, 'b', '1'); // 4
  deleteRange(fixture.store, 'b'); // 5
  await fixture.store.compact(5).done;
  assert.deepEqual(storedRevisions(fixture.backend), ['5_0t']);
  await fixture.reopen();
  assert.equal(fixture.store.compactRevision, 5);
  assert.equal(fixture.store.currentRevision, 5);
  assert.throws(() => fixture.store.compact(5), CompactedError);
  assert.equal(put(fixture.store, 'c', '1'), 6);
}));

test('a compaction interrupted by a crash is finished at the next open', withStore(async (fixture) => {
  const pendingSteps: (() => void)[] = [];
  await fixture.reopen({ compactionBatchSize: 2, scheduleCompactionStep: (step) => pendingSteps.push(step) });
  for (let index = 0; index < 10; index++) put(fixture.store, 'k', String(index)); // revisions 2..11
  fixture.store.compact(10);
  await new Promise((resolve) => setImmediate(resolve)); // the runner queues its first step
  pendingSteps.shift()!(); // one step: deletes 2 revisions, commits, schedules the next
  assert.equal(storedRevisions(fixture.backend).length, 8);
  // "Crash": the remaining steps never run; reopen from what is on disk.
  await fixture.reopen();
  assert.equal(fixture.store.compactRevision, 10, 'the scheduled compaction is in force at open');
  assert.equal(storedRevisions(fixture.backend).length, 8, 'its physical part runs in the background');
  await fixture.store.compactionsFinished();
  assert.deepEqual(storedRevisions(fixture.backend), ['10_0', '11_0']);
  await fixture.reopen();
  assert.equal(fixture.store.compactRevision, 10);
  assert.equal(fixture.store.range(bytes('k'), undefined, { revision: 10 }).kvs[0]?.value.toString(), '8');
}));
