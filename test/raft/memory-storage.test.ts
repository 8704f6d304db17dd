import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactedError, EntryType, decodeConfChange, MemoryStorage, SnapshotOutOfDateError, UnavailableError, type Entry } from '../../src/raft/index.js';

const entry = (index: number, term: number, size = 0): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array(size) });

test('MemoryStorage: append truncates a conflicting tail', () => {
  const storage = new MemoryStorage();
  storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
  storage.append([entry(2, 2)]);
  assert.equal(storage.lastIndex(), 2);
  assert.equal(storage.term(2), 2);
  assert.throws(() => storage.append([entry(5, 2)]), /missing log entries/);
});

test('MemoryStorage: snapshot and compaction', () => {
  const storage = MemoryStorage.withConfState({ voters: [1], learners: [] });
  storage.append([1, 2, 3, 4, 5].map((index) => entry(index, 1, 10)));
  storage.createSnapshot(3, { voters: [1, 2], learners: [] }, new Uint8Array([7]));
  storage.compact(3);
  assert.equal(storage.firstIndex(), 4);
  assert.equal(storage.term(3), 1, 'the snapshot point keeps its term');
  assert.throws(() => storage.term(2), CompactedError);
  assert.throws(() => storage.entries(3, 5, Infinity), CompactedError);
  assert.throws(() => storage.term(9), UnavailableError);
  assert.equal(storage.entries(4, 6, 1).length, 1, 'size bound, but at least one entry');
  assert.equal(storage.entries(4, 6, 52).length, 2);
  assert.deepEqual(storage.initialState().confState, { voters: [1, 2], learners: [] });
  assert.throws(() => storage.createSnapshot(2, { voters: [1], learners: [] }, new Uint8Array(0)), SnapshotOutOfDateError);
});

test('MemoryStorage: applySnapshot replaces the log', () => {
  const storage = new MemoryStorage();
  storage.append([entry(1, 1), entry(2, 1)]);
  storage.applySnapshot({ metadata: { index: 10, term: 3, confState: { voters: [1], learners: [] } }, data: new Uint8Array(0) });
  assert.equal(storage.firstIndex(), 11);
  assert.equal(storage.lastIndex(), 10);
  assert.throws(() => storage.applySnapshot(storage.snapshot()), SnapshotOutOfDateError);
});

test('MemoryStorage.bootstrap: one committed AddNode entry per voter, voters known from the start', () => {
  const storage = MemoryStorage.bootstrap([3, 1, 2]);
  assert.deepEqual(storage.initialState(), { hardState: { term: 1, vote: 0, commit: 3 }, confState: { voters: [1, 2, 3], learners: [] } });
  assert.equal(storage.firstIndex(), 1);
  assert.equal(storage.lastIndex(), 3);
  assert.deepEqual(
    storage.entries(1, 4, Infinity).map((entry) => [entry.type, decodeConfChange(entry.data).nodeId]),
    [[EntryType.ConfChange, 3], [EntryType.ConfChange, 1], [EntryType.ConfChange, 2]],
  );
});
