// Backend.restore: the database replaced in place by a copy from another
// backend (a Raft snapshot), in the same Backend object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/backend/index.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const keysOf = (backend: Backend): string[] => backend.range('key', bytes(''), undefined).map((entry) => `${entry.key}=${entry.value}`);

function withTwoBackends(run: (source: Backend, target: Backend, targetDirectory: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), 'etcd-ts-backend-restore-'));
    const source = Backend.open(join(root, 'source'));
    const target = Backend.open(join(root, 'target'));
    try {
      await run(source, target, join(root, 'target'));
    } finally {
      await source.close();
      await target.close();
      rmSync(root, { recursive: true, force: true });
    }
  };
}

test('restore replaces the contents in place: same batch object, pending writes dropped, the copy\'s consistent index', withTwoBackends(async (source, target, targetDirectory) => {
  source.batchTx().put('key', bytes('a'), bytes('from-source'));
  source.batchTx().put('key', bytes('b'), bytes('from-source'));
  source.batchTx().setConsistentIndex(40, 3);
  const copy = await source.snapshotBytes();

  target.batchTx().put('key', bytes('old'), bytes('committed'));
  target.batchTx().setConsistentIndex(10, 2);
  target.commit();
  const batch = target.batchTx();
  batch.put('key', bytes('pending'), bytes('dropped'));
  batch.setConsistentIndex(12, 2);
  let swapped: string[] | undefined;
  await target.restore(copy, () => (swapped = keysOf(target)));

  assert.deepEqual(swapped, ['a=from-source', 'b=from-source'], 'afterSwap sees the new contents');
  assert.equal(target.batchTx(), batch, 'the same batch object');
  assert.ok(batch.isEmpty(), 'pending writes of the old contents are gone');
  assert.deepEqual(target.consistentIndex(), { index: 40, term: 3 });
  assert.deepEqual(target.committedConsistentIndex(), { index: 40, term: 3 });
  assert.deepEqual(keysOf(target), ['a=from-source', 'b=from-source']);
  // It goes on as usual, and the file on disk is the new one.
  target.batchTx().put('key', bytes('c'), bytes('after'));
  target.batchTx().setConsistentIndex(41, 3);
  target.commit();
  assert.deepEqual(readdirSync(targetDirectory).filter((name) => name.includes('tmp')), [], 'no temporary file left');
  await target.close();
  const reopened = Backend.open(targetDirectory);
  try {
    assert.deepEqual(keysOf(reopened), ['a=from-source', 'b=from-source', 'c=after']);
    assert.deepEqual(reopened.consistentIndex(), { index: 41, term: 3 });
  } finally {
    await reopened.close();
  }
}));

test('a copy and a sync of the old contents under way when a restore starts finish whole', withTwoBackends(async (source, target) => {
  source.batchTx().put('key', bytes('new'), bytes('1'));
  source.batchTx().setConsistentIndex(9, 1);
  const copy = await source.snapshotBytes();
  for (let index = 0; index < 2000; index++) target.batchTx().put('key', bytes(`old-${String(index).padStart(5, '0')}`), Buffer.alloc(512, 1));
  target.batchTx().setConsistentIndex(5, 1);
  const oldCopy = target.snapshotBytes();
  const sync = target.forceSync();
  await target.restore(copy);
  await sync;
  // The copy taken before the restore holds the old contents, whole.
  const root = mkdtempSync(join(tmpdir(), 'etcd-ts-backend-restore-copy-'));
  const other = Backend.open(root);
  try {
    await other.restore(await oldCopy);
    assert.equal(other.range('key', bytes(''), undefined).length, 2000);
    assert.deepEqual(other.consistentIndex(), { index: 5, term: 1 });
  } finally {
    await other.close();
    rmSync(root, { recursive: true, force: true });
  }
  assert.deepEqual(keysOf(target), ['new=1']);
}));

test('a closed backend refuses a restore', withTwoBackends(async (source, target) => {
  const copy = await source.snapshotBytes();
  await target.close();
  await assert.rejects(target.restore(copy), /backend is closed/);
}));
