import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuplicateWatchIdError, WatcherRangeEmptyError } from '../../../src/mvcc/watch/index.js';
import { bytes, deleteRange, describe, describeAll, finishCompaction, put, takeAll, withWatchableStore } from './watch-fixture.js';

test('a synced watcher gets one response per revision, with the header revision of the write', withWatchableStore(({ store, watchable, scheduler }) => {
  const stream = watchable.newStream();
  const id = stream.watch({ key: bytes('a') });
  assert.equal(id, 0);
  put(store, 'a', '1'); // 2
  put(store, 'b', '1'); // 3: not watched
  const txn = store.write();
  txn.put(bytes('a'), bytes('2'), 0);
  txn.deleteRange(bytes('a'), undefined);
  txn.end(); // 4: two events, one response
  let readable = 0;
  stream.onReadable = () => readable++;
  scheduler.runDue();
  assert.equal(readable, 1);
  const responses = takeAll(stream);
  assert.deepEqual(responses.map((response) => [response.watchId, response.revision, response.events.length]), [
    [0, 2, 1],
    [0, 4, 2],
  ]);
  assert.deepEqual(describeAll(responses), ['PUT a=1@2', 'PUT a=2@4', 'DELETE a@4']);
  assert.deepEqual(watchable.watcherCounts, { synced: 1, unsynced: 0, victims: 0 });
}));

test('single key, [key, end) and from-key ranges', withWatchableStore(({ store, watchable }) => {
  const stream = watchable.newStream();
  const single = stream.watch({ key: bytes('b') });
  const range = stream.watch({ key: bytes('b'), end: bytes('d') });
  const fromKey = stream.watch({ key: bytes('c'), end: 'unbounded' });
  for (const key of ['a', 'b', 'bb', 'c', 'd', 'zz']) put(store, key, 'v');
  const seen = new Map<number, string[]>();
  for (const response of takeAll(stream)) {
    seen.set(response.watchId, [...(seen.get(response.watchId) ?? []), ...response.events.map((event) => event.kv.key.toString())]);
  }
  assert.deepEqual(seen.get(single), ['b']);
  assert.deepEqual(seen.get(range), ['b', 'bb', 'c']);
  assert.deepEqual(seen.get(fromKey), ['c', 'd', 'zz']);
}));

test('a watcher from an old revision catches up from history, then gets live events without gap or duplicate', withWatchableStore(({ store, watchable, scheduler }) => {
  put(store, 'k', '1'); // 2
  put(store, 'k', '2'); // 3
  deleteRange(store, 'k'); // 4
  put(store, 'other', 'x'); // 5
  const stream = watchable.newStream();
  stream.watch({ key: bytes('k'), startRevision: 3 });
  assert.deepEqual(watchable.watcherCounts, { synced: 0, unsynced: 1, victims: 0 });
  put(store, 'k', '3'); // 6: written while the watcher is unsynced
  assert.deepEqual(takeAll(stream), [], 'nothing before the catch-up pass');
  scheduler.runDue();
  assert.deepEqual(watchable.watcherCounts, { synced: 1, unsynced: 0, victims: 0 });
  put(store, 'k', '4'); // 7: live
  const responses = takeAll(stream);
  assert.deepEqual(describeAll(responses), ['PUT k=2@3', 'DELETE k@4', 'PUT k=3@6', 'PUT k=4@7']);
  assert.deepEqual(responses.map((response) => response.revision), [6, 7], 'catch-up response carries the current revision');
}));

test('catch-up reads history in bounded batches while writes continue', withWatchableStore(({ store, watchable, scheduler }) => {
  for (let index = 0; index < 20; index++) put(store, 'k', String(index)); // 2..21
  const stream = watchable.newStream();
  stream.watch({ key: bytes('k'), startRevision: 2 });
  const events: string[] = [];
  const headerRevisions: number[] = [];
  for (let round = 0; round < 20 && watchable.watcherCounts.synced === 0; round++) {
    scheduler.runNextDue(); // one catch-up pass
    put(store, 'k', `live${round}`);
    for (const response of takeAll(stream)) {
      headerRevisions.push(response.revision);
      events.push(...response.events.map(describe));
      assert.ok(response.events.every((event) => event.kv.mod_revision <= response.revision));
    }
  }
  assert.equal(watchable.watcherCounts.synced, 1);
  put(store, 'k', 'end');
  events.push(...describeAll(takeAll(stream)));
  const revisions = events.map((event) => Number(event.split('@')[1]));
  assert.deepEqual(revisions, Array.from({ length: revisions.length }, (_, index) => index + 2), 'every revision once, in order');
  assert.ok(headerRevisions.length > 3, 'several batches');
  assert.deepEqual([...headerRevisions].sort((a, b) => a - b), headerRevisions);
}, { syncBatchRevisionsMax: 4 }));

test('NOPUT and NODELETE filters', withWatchableStore(({ store, watchable, scheduler }) => {
  put(store, 'k', '1'); // 2
  deleteRange(store, 'k'); // 3
  const stream = watchable.newStream();
  const noPut = stream.watch({ key: bytes('k'), startRevision: 1, filters: { noPut: true } });
  const noDelete = stream.watch({ key: bytes('k'), startRevision: 1, filters: { noDelete: true } });
  scheduler.runDue();
  put(store, 'k', '2'); // 4
  deleteRange(store, 'k'); // 5
  const byWatcher = (id: number) => describeAll(takeAllFor(id));
  const responses = takeAll(stream);
  const takeAllFor = (id: number) => responses.filter((response) => response.watchId === id);
  assert.deepEqual(byWatcher(noPut), ['DELETE k@3', 'DELETE k@5']);
  assert.deepEqual(byWatcher(noDelete), ['PUT k=1@2', 'PUT k=2@4']);
  assert.ok(responses.every((response) => response.events.length > 0), 'a revision filtered to nothing sends nothing');
}));

test('prev_kv only for watchers that asked, from history and live; none on creation', withWatchableStore(({ store, watchable, scheduler }) => {
  put(store, 'k', '1'); // 2
  put(store, 'k', '2'); // 3
  const stream = watchable.newStream();
  const withPrev = stream.watch({ key: bytes('k'), startRevision: 2, prevKv: true });
  const withoutPrev = stream.watch({ key: bytes('k'), startRevision: 2 });
  scheduler.runDue();
  deleteRange(store, 'k'); // 4
  put(store, 'k', '3'); // 5: a new creation
  const responses = takeAll(stream);
  const of = (id: number) => describeAll(responses.filter((response) => response.watchId === id));
  assert.deepEqual(of(withPrev), ['PUT k=1@2', 'PUT k=2@3 prev=1', 'DELETE k@4 prev=2', 'PUT k=3@5']);
  assert.deepEqual(of(withoutPrev), ['PUT k=1@2', 'PUT k=2@3', 'DELETE k@4', 'PUT k=3@5']);
}));

test('a start revision below the compaction gets a compacted response and the watcher is dropped', withWatchableStore(async ({ store, watchable, scheduler }) => {
  for (let index = 0; index < 5; index++) put(store, 'k', String(index)); // 2..6
  await finishCompaction(store.compact(5), scheduler);
  const stream = watchable.newStream();
  const compacted = stream.watch({ key: bytes('k'), startRevision: 3 });
  const atCompaction = stream.watch({ key: bytes('k'), startRevision: 5 });
  scheduler.runDue();
  const responses = takeAll(stream);
  assert.deepEqual(responses.filter((response) => response.watchId === compacted), [
    { watchId: compacted, events: [], revision: 0, compactRevision: 5 },
  ]);
  assert.deepEqual(describeAll(responses.filter((response) => response.watchId === atCompaction)), ['PUT k=3@5', 'PUT k=4@6']);
  assert.deepEqual(watchable.watcherCounts, { synced: 1, unsynced: 0, victims: 0 });
  put(store, 'k', 'after');
  assert.deepEqual(takeAll(stream).map((response) => response.watchId), [atCompaction]);
  assert.equal(stream.cancel(compacted), true, 'the stream still knows the id, as etcd');
  assert.equal(stream.cancel(compacted), false);
}));

test('a slow consumer makes its watcher a victim; it catches up later without loss, others are not held up', withWatchableStore(({ store, watchable, scheduler }) => {
  const slow = watchable.newStream();
  const fast = watchable.newStream();
  slow.watch({ key: bytes('k') });
  fast.watch({ key: bytes('k') });
  const fastEvents: string[] = [];
  for (let index = 0; index < 10; index++) {
    put(store, 'k', String(index)); // 2..11
    fastEvents.push(...describeAll(takeAll(fast)));
  }
  assert.equal(fastEvents.length, 10);
  assert.equal(slow.queuedResponseCount, 2, 'the queue never exceeds its capacity');
  assert.deepEqual(watchable.watcherCounts, { synced: 1, unsynced: 0, victims: 1 });
  scheduler.advance(100); // victims retried: still full
  assert.deepEqual(watchable.watcherCounts, { synced: 1, unsynced: 0, victims: 1 });
  const slowEvents: string[] = [];
  for (let round = 0; round < 50 && (slowEvents.length < 12 || watchable.watcherCounts.synced < 2); round++) {
    const response = slow.take();
    if (response !== undefined) slowEvents.push(...response.events.map(describe));
    if (round === 5) put(store, 'k', 'during'); // 12
    if (round === 6) put(store, 'k', 'during2'); // 13
    scheduler.advance(10);
  }
  slowEvents.push(...describeAll(takeAll(slow)));
  assert.deepEqual(watchable.watcherCounts, { synced: 2, unsynced: 0, victims: 0 });
  assert.deepEqual(slowEvents, [...fastEvents, 'PUT k=during@12', 'PUT k=during2@13']);
}, { streamQueueCapacity: 2 }));

test('progress notifications: only for synced watchers, skipped after an event response', withWatchableStore(({ store, watchable, scheduler }) => {
  put(store, 'k', '1'); // 2
  const stream = watchable.newStream({ progressNotifyIntervalMs: 1000 });
  const id = stream.watch({ key: bytes('k'), progressNotify: true });
  scheduler.advance(1000);
  assert.deepEqual(takeAll(stream), [{ watchId: id, events: [], revision: 2, compactRevision: 0 }]);
  put(store, 'k', '2'); // 3
  assert.equal(takeAll(stream).length, 1);
  scheduler.advance(1000); // an event response went out in this interval: no progress
  assert.deepEqual(takeAll(stream), []);
  put(store, 'other', 'x'); // 4
  scheduler.advance(1000);
  assert.deepEqual(takeAll(stream), [{ watchId: id, events: [], revision: 4, compactRevision: 0 }]);
  const unsyncedStream = watchable.newStream({ progressNotifyIntervalMs: 1000 });
  unsyncedStream.watch({ key: bytes('k'), startRevision: 2, progressNotify: true });
  unsyncedStream.onReadable = () => undefined;
  assert.equal(unsyncedStream.queuedResponseCount, 0);
}));

test('a progress request waits until every watcher of the stream is synced', withWatchableStore(({ store, watchable, scheduler }) => {
  put(store, 'k', '1'); // 2
  put(store, 'k', '2'); // 3
  const stream = watchable.newStream();
  stream.requestProgressAll();
  assert.deepEqual(takeAll(stream), [{ watchId: -1, events: [], revision: 3, compactRevision: 0 }], 'no watchers: answered at once');
  stream.watch({ key: bytes('k'), startRevision: 2 });
  stream.requestProgressAll();
  assert.equal(stream.queuedResponseCount, 0, 'deferred: the watcher is unsynced');
  scheduler.runDue();
  const responses = takeAll(stream);
  assert.deepEqual(responses.map((response) => [response.watchId, response.events.length, response.revision]), [
    [0, 2, 3],
    [-1, 0, 3],
  ]);
}));

test('watch ids: automatic ids skip used ones, duplicates and empty ranges are refused', withWatchableStore(({ watchable }) => {
  const stream = watchable.newStream();
  assert.equal(stream.watch({ key: bytes('a'), id: 1 }), 1);
  assert.equal(stream.watch({ key: bytes('a') }), 0);
  assert.equal(stream.watch({ key: bytes('a') }), 2);
  assert.throws(() => stream.watch({ key: bytes('a'), id: 2 }), DuplicateWatchIdError);
  assert.throws(() => stream.watch({ key: bytes('b'), end: bytes('a') }), WatcherRangeEmptyError);
  assert.throws(() => stream.watch({ key: bytes('b'), end: bytes('b') }), WatcherRangeEmptyError);
  assert.equal(stream.cancel(7), false);
}));

test('cancel drops queued responses; closing a stream removes its watchers', withWatchableStore(({ store, watchable }) => {
  const stream = watchable.newStream();
  const a = stream.watch({ key: bytes('a') });
  const b = stream.watch({ key: bytes('b') });
  put(store, 'a', '1');
  put(store, 'b', '1');
  assert.equal(stream.cancel(a), true);
  assert.deepEqual(takeAll(stream).map((response) => response.watchId), [b]);
  put(store, 'a', '2');
  assert.equal(stream.queuedResponseCount, 0);
  stream.close();
  assert.deepEqual(watchable.watcherCounts, { synced: 0, unsynced: 0, victims: 0 });
  put(store, 'b', '2');
  assert.equal(stream.take(), undefined);
}));

test('a future start revision delivers nothing before it', withWatchableStore(({ store, watchable }) => {
  const stream = watchable.newStream();
  stream.watch({ key: bytes('k'), startRevision: 4 });
  put(store, 'k', '1'); // 2
  put(store, 'k', '2'); // 3
  put(store, 'k', '3'); // 4
  assert.deepEqual(describeAll(takeAll(stream)), ['PUT k=3@4']);
}));
