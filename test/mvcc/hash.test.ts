import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactedError, Crc32c, FutureRevisionError, crc32c, decodeRevisionKey, hashBackend, hashKv, type KeyIndex, type KVStore } from '../../src/mvcc/index.js';
import type { Backend } from '../../src/backend/index.js';
import { bytes, deleteRange, put, seededRandom, withStore } from './helpers.js';

// ---- CRC-32C ----

/** Bit-at-a-time CRC-32C, the textbook definition, to check the sliced tables against. */
function bitwiseCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

test('CRC-32C gives the standard check values (RFC 3720 B.4 and the catalogue check)', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  assert.equal(crc32c(Buffer.alloc(32, 0x00)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, index) => index))), 0x46dd794e);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, index) => 31 - index))), 0x113fdb5c);
});

test('CRC-32C agrees with the bitwise definition for every length and any split into writes', () => {
  const random = seededRandom(7);
  for (let length = 0; length < 70; length++) {
    const data = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
    const expected = bitwiseCrc32c(data);
    assert.equal(crc32c(data), expected, `length ${length}`);
    const split = Math.floor(random() * (length + 1));
    assert.equal(new Crc32c().write(data.subarray(0, split)).write(data.subarray(split)).sum(), expected, `length ${length} split ${split}`);
  }
});

// ---- HashKV: values from the real etcd 3.4.23 ----

test('HashKV equals etcd 3.4 for an empty store and after one put', withStore(({ store }) => {
  // `etcdctl endpoint hashkv -w json` on a fresh etcd 3.4.23: the CRC-32C of "key" alone.
  assert.deepEqual(hashKv(store, 0), { hash: 1084519789, compactRevision: -1, hashRevision: 1, currentRevision: 1 });
  put(store, 'foo', 'bar'); // 2
  // The same etcd after `etcdctl put foo bar`.
  assert.deepEqual(hashKv(store, 0), { hash: 3305255506, compactRevision: -1, hashRevision: 2, currentRevision: 2 });
  assert.equal(hashKv(store, 2).hash, 3305255506);
  assert.deepEqual(hashKv(store, 1), { hash: 1084519789, compactRevision: -1, hashRevision: 1, currentRevision: 2 });
}));

test('HashKV refuses a compacted or a future revision with etcd\'s errors', withStore(async ({ store }) => {
  put(store, 'a', '1'); // 2
  put(store, 'a', '2'); // 3
  put(store, 'b', '1'); // 4
  assert.throws(() => hashKv(store, 5), (error: unknown) => {
    assert.ok(error instanceof FutureRevisionError);
    assert.equal(error.message, 'mvcc: required revision is a future revision');
    assert.equal(error.grpcCode, 'OutOfRange');
    return true;
  });
  await store.compact(3).done;
  for (const revision of [1, 2, 3]) {
    assert.throws(() => hashKv(store, revision), (error: unknown) => {
      assert.ok(error instanceof CompactedError);
      assert.equal(error.message, 'mvcc: required revision has been compacted');
      assert.equal(error.grpcCode, 'OutOfRange');
      return true;
    });
  }
  assert.equal(hashKv(store, 4).compactRevision, 3);
  assert.equal(hashKv(store, 0).hashRevision, 4);
  assert.equal(hashKv(store, -1).hashRevision, 4, 'a negative revision means the current one, as in etcd');
}));

// ---- HashKV: against a literal transcription of etcd's rule ----

/** etcd 3.4 keyIndex.keep over the materialized generations (closed ones, then the open one). */
function etcdKeep(keyIndex: KeyIndex, atRevision: number, available: Set<string>): void {
  const generations = keyIndex.generations;
  if (generations.length === 1 && generations[0]!.revisions.length === 0) return;
  let generationIndex = 0;
  while (generationIndex < generations.length - 1) {
    const revisions = generations[generationIndex]!.revisions;
    if (revisions[revisions.length - 1]!.main > atRevision) break;
    generationIndex++;
  }
  const revisions = generations[generationIndex]!.revisions;
  let revisionIndex = -1;
  for (let index = revisions.length - 1; index >= 0; index--) {
    if (revisions[index]!.main <= atRevision) {
      available.add(`${revisions[index]!.main}_${revisions[index]!.sub}`);
      revisionIndex = index;
      break;
    }
  }
  if (revisions.length > 0 && revisionIndex === revisions.length - 1 && generationIndex !== generations.length - 1) {
    available.delete(`${revisions[revisionIndex]!.main}_${revisions[revisionIndex]!.sub}`);
  }
}

/**
 * etcd 3.4 HashByRev's loop, written out plainly over the backend's key bucket as
 * etcd 3.4.23 would hold it: without tombstones at or below the compact revision
 * (3.4.23's compaction deletes a tombstone at exactly the compaction revision,
 * which ours keeps).
 */
function referenceHash(store: KVStore, backend: Backend, atRevision: number): number {
  const keep = new Set<string>();
  for (const keyIndex of (store as unknown as { index: { keyIndexes(): Iterable<KeyIndex> } }).index.keyIndexes()) etcdKeep(keyIndex, atRevision, keep);
  const hasher = new Crc32c().write(Buffer.from('key'));
  for (const { key, value } of backend.range('key', Buffer.alloc(0), undefined)) {
    const { revision, tombstone } = decodeRevisionKey(key);
    if (revision.main > atRevision) continue;
    if (tombstone && revision.main <= store.compactRevision) continue;
    if (revision.main <= store.compactRevision && keep.size > 0 && !keep.has(`${revision.main}_${revision.sub}`)) continue;
    hasher.write(key).write(value);
  }
  return hasher.sum();
}

test('HashKV follows etcd\'s rule over random histories, before, during and after physical compaction', async () => {
  for (let seed = 1; seed <= 30; seed++) {
    const pendingSteps: (() => void)[] = [];
    await withStore(
      async ({ store, backend }) => {
        const random = seededRandom(seed);
        const keys = ['a', 'b', 'c', 'd', 'e'];
        const check = (context: string): void => {
          for (let revision = Math.max(store.compactRevision + 1, 1); revision <= store.currentRevision; revision++) {
            assert.equal(hashKv(store, revision).hash, referenceHash(store, backend, revision), `seed ${seed} ${context} rev ${revision}`);
          }
        };
        put(store, 'anchor', 'always live'); // keeps etcd's keep set non-empty
        for (let step = 0; step < 60; step++) {
          const choice = random();
          const key = keys[Math.floor(random() * keys.length)]!;
          if (choice < 0.5) put(store, key, `v${step}`, random() < 0.2 ? 0x1234 : 0);
          else if (choice < 0.7) deleteRange(store, key);
          else if (choice < 0.85) {
            const txn = store.write(); // several changes in one main revision
            txn.put(bytes(key), bytes(`t${step}`), 0);
            txn.deleteRange(bytes(key), undefined);
            txn.put(bytes(key), bytes(`u${step}`), 0);
            txn.put(bytes(keys[(keys.indexOf(key) + 1) % keys.length]!), bytes(`w${step}`), 0);
            txn.end();
          } else if (store.currentRevision > store.compactRevision + 1) {
            const target = store.compactRevision + 1 + Math.floor(random() * (store.currentRevision - store.compactRevision));
            const compaction = store.compact(target);
            check(`step ${step} compaction ${target} scheduled`);
            // The hash at a revision depends on the compact revision, not on how far the
            // deletion of compacted revisions has come.
            const hashesBefore = new Map<number, number>();
            for (let revision = target + 1; revision <= store.currentRevision; revision++) hashesBefore.set(revision, hashKv(store, revision).hash);
            // Run the physical deletion one step (of 2 revisions) at a time.
            await new Promise((resolve) => setImmediate(resolve));
            while (pendingSteps.length > 0) {
              pendingSteps.shift()!();
              check(`step ${step} compaction ${target} in progress`);
              await new Promise((resolve) => setImmediate(resolve));
            }
            await compaction.done;
            check(`step ${step} compaction ${target} done`);
            for (const [revision, hash] of hashesBefore) {
              assert.equal(hashKv(store, revision).hash, hash, `seed ${seed}: the physical compaction at ${target} changed the hash at ${revision}`);
            }
          }
        }
        check('end');
      },
      { compactionBatchSize: 2, scheduleCompactionStep: (step) => pendingSteps.push(step) },
    )();
  }
});

test('a tombstone kept at the compaction revision is not hashed while the keep set has entries', withStore(async ({ store, backend }) => {
  put(store, 'live', '1'); // 2
  put(store, 'gone', '1'); // 3
  deleteRange(store, 'gone'); // 4
  const before = hashKv(store, 4).hash;
  await store.compact(4).done;
  // Our compaction keeps the tombstone at exactly the compaction revision (as etcd
  // 3.4.34+/3.5.15+ do; 3.4.23 deletes it); etcd's keep rule leaves it out of the hash.
  assert.equal(backend.range('key', Buffer.alloc(0), undefined).length, 2);
  const after = hashKv(store, 0);
  assert.equal(after.compactRevision, 4);
  assert.equal(after.hash, referenceHash(store, backend, 4));
  const expected = new Crc32c().write(Buffer.from('key'));
  const [live] = backend.range('key', Buffer.alloc(0), undefined);
  expected.write(live!.key).write(live!.value);
  assert.equal(after.hash, expected.sum());
  assert.notEqual(before, after.hash, 'before the compaction, revisions 3 and 4 are history to hash');
}));

test('with no key live, a tombstone at the compaction revision is not hashed either: etcd 3.4.23 deleted it', withStore(async ({ store }) => {
  // Real etcd 3.4.23: put a, del a, `compaction --physical 3`, then `endpoint hashkv`
  // after each further step.
  put(store, 'a', '1'); // 2
  deleteRange(store, 'a'); // 3
  await store.compact(3).done;
  assert.equal(hashKv(store, 0).hash, 1084519789);
  put(store, 'b', '1'); // 4
  assert.equal(hashKv(store, 0).hash, 3584256279);
  deleteRange(store, 'b'); // 5
  assert.equal(hashKv(store, 0).hash, 789700534);
}));

test('Maintenance.Hash covers every bucket but skips the consistent index and term', withStore(({ store, backend }) => {
  const first = hashBackend(backend);
  assert.equal(first, hashBackend(backend), 'deterministic');
  backend.batchTx().put('meta', Buffer.from('consistent_index'), Buffer.alloc(8, 7));
  backend.batchTx().put('meta', Buffer.from('term'), Buffer.alloc(8, 9));
  assert.equal(hashBackend(backend), first, 'consistent_index and term are ignored');
  put(store, 'k', 'v');
  assert.notEqual(hashBackend(backend), first);
}));
