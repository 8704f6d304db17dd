import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Backend } from '../../src/backend/index.js';

function withTemporaryDirectory(run: (directory: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-backend-'));
    try {
      await run(directory);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const keysOf = (entries: { key: Buffer }[]): string[] => entries.map((entry) => entry.key.toString('latin1'));

test('a new backend is empty with consistent index 0', withTemporaryDirectory(async (directory) => {
  const backend = Backend.open(directory);
  assert.deepEqual(backend.consistentIndex(), { index: 0, term: 0 });
  assert.equal(backend.get('key', bytes('a')), undefined);
  assert.deepEqual(backend.range('key', bytes(''), undefined), []);
  await backend.close();
}));

test('reads see uncommitted writes; commit persists data and consistent index together', withTemporaryDirectory(async (directory) => {
  const backend = Backend.open(directory);
  const batch = backend.batchTx();
  batch.put('key', bytes('a'), bytes('1'));
  batch.put('lease', bytes('a'), bytes('lease-a'));
  batch.setConsistentIndex(7, 2);
  assert.deepEqual(backend.get('key', bytes('a')), bytes('1'));
  assert.equal(backend.get('meta', bytes('a')), undefined, 'buckets are separate');
  assert.deepEqual(backend.consistentIndex(), { index: 7, term: 2 });
  assert.deepEqual(backend.committedConsistentIndex(), { index: 0, term: 0 });
  backend.commit();
  assert.deepEqual(backend.committedConsistentIndex(), { index: 7, term: 2 });
  await backend.close();

  const reopened = Backend.open(directory);
  assert.deepEqual(reopened.consistentIndex(), { index: 7, term: 2 });
  assert.deepEqual(reopened.get('key', bytes('a')), bytes('1'));
  assert.deepEqual(reopened.get('lease', bytes('a')), bytes('lease-a'));
  await reopened.close();
}));

test('range merges committed and pending writes in key order with [start, end) and limit', withTemporaryDirectory(async (directory) => {
  const backend = Backend.open(directory);
  for (const key of ['b', 'd', 'f', 'h']) backend.batchTx().put('key', bytes(key), bytes(key.toUpperCase()));
  backend.commit();
  const batch = backend.batchTx();
  batch.put('key', bytes('a'), bytes('A'));
  batch.put('key', bytes('e'), bytes('E'));
  batch.put('key', bytes('f'), bytes('F2'));
  batch.delete('key', bytes('d'));
  batch.put('key', bytes('z'), bytes('Z'));
  assert.deepEqual(keysOf(backend.range('key', bytes('a'), undefined)), ['a', 'b', 'e', 'f', 'h', 'z']);
  assert.deepEqual(keysOf(backend.range('key', bytes('b'), bytes('h'))), ['b', 'e', 'f']);
  assert.deepEqual(keysOf(backend.range('key', bytes('a'), undefined, 3)), ['a', 'b', 'e']);
  assert.deepEqual(backend.range('key', bytes('f'), bytes('g'))[0]?.value, bytes('F2'));
  assert.equal(backend.get('key', bytes('d')), undefined);
  backend.commit();
  assert.deepEqual(keysOf(backend.range('key', bytes(''), undefined)), ['a', 'b', 'e', 'f', 'h', 'z']);
  const values = backend.range('key', bytes(''), undefined).map((entry) => entry.value.toString());
  assert.deepEqual(values, ['A', 'B', 'E', 'F2', 'H', 'Z'], 'returned buffers stay valid');
  await backend.close();
}));

test('binary keys order bytewise, including 0x00 and 0xff', withTemporaryDirectory(async (directory) => {
  const backend = Backend.open(directory);
  const keys = [Buffer.from([0]), Buffer.from([0, 0]), Buffer.from([1]), Buffer.from([0x7f]), Buffer.from([0x80]), Buffer.from([0xff, 0])];
  for (const key of [...keys].reverse()) backend.batchTx().put('key', key, Buffer.from([1]));
  backend.commit();
  backend.batchTx().put('key', Buffer.from([0x80, 1]), Buffer.from([2]));
  const found = backend.range('key', Buffer.alloc(0), undefined).map((entry) => entry.key.toString('hex'));
  assert.deepEqual(found, ['00', '0000', '01', '7f', '80', '8001', 'ff00']);
  await backend.close();
}));

test('consistent index must not decrease within a batch', withTemporaryDirectory(async (directory) => {
  const backend = Backend.open(directory);
  backend.batchTx().setConsistentIndex(5, 1);
  assert.throws(() => backend.batchTx().setConsistentIndex(4, 1));
  await backend.close();
}));

test('forceSync, sizes and defrag', withTemporaryDirectory(async (directory) => {
  const backend = Backend.open(directory);
  const value = Buffer.alloc(1000, 7);
  for (let index = 0; index < 3000; index++) backend.batchTx().put('key', bytes(`k${index}`), value);
  backend.batchTx().setConsistentIndex(1, 1);
  await backend.forceSync();
  const sizeFull = backend.sizeBytes();
  assert.ok(sizeFull > 3_000_000, `size ${sizeFull}`);
  for (let index = 0; index < 3000; index++) backend.batchTx().delete('key', bytes(`k${index}`));
  backend.batchTx().put('key', bytes('kept'), bytes('yes'));
  backend.commit();
  assert.ok(backend.sizeInUseBytes() < sizeFull / 4, `in use ${backend.sizeInUseBytes()} of ${sizeFull}`);
  await backend.defrag();
  assert.ok(backend.sizeBytes() < sizeFull / 4, `after defrag ${backend.sizeBytes()}`);
  assert.deepEqual(backend.get('key', bytes('kept')), bytes('yes'));
  assert.deepEqual(backend.consistentIndex(), { index: 1, term: 1 });
  await backend.close();
}));

test('kill -9 right after commit keeps data and consistent index together', withTemporaryDirectory(async (directory) => {
  // A child process commits batches in a loop and is killed with SIGKILL mid-way.
  const backendModule = new URL('../../src/backend/index.js', import.meta.url).href;
  const script = `
    import { Backend } from ${JSON.stringify(backendModule)};
    const backend = Backend.open(${JSON.stringify(directory)});
    for (let index = 1; index <= 400; index++) {
      for (let key = 0; key < 20; key++) backend.batchTx().put('key', Buffer.from('k' + key), Buffer.from(String(index)));
      backend.batchTx().setConsistentIndex(index, 1);
      backend.commit();
      if (index === 200) process.kill(process.pid, 'SIGKILL');
    }
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(result.signal, 'SIGKILL', result.stderr);
  const backend = Backend.open(directory);
  const { index } = backend.consistentIndex();
  assert.equal(index, 200);
  for (let key = 0; key < 20; key++) assert.equal(backend.get('key', bytes(`k${key}`))?.toString(), String(index));
  await backend.close();
}));
