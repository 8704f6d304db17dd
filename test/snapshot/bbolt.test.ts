import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BoltWriter } from '../../src/snapshot/bbolt-writer.js';
import { BoltFormatError, BoltReader } from '../../src/snapshot/bbolt-reader.js';
import { crc32c } from '../../src/mvcc/crc32c.js';

const etcdctl = '/usr/bin/etcdctl';

function withDirectory(run: (directory: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-bbolt-'));
    try {
      await run(directory);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

type Buckets = Map<string, [Buffer, Buffer][]>;

function sampleBuckets(): Buckets {
  const buckets: Buckets = new Map();
  const many: [Buffer, Buffer][] = [];
  // Enough entries for several leaf pages and a branch level, plus values larger than a page.
  for (let index = 0; index < 5000; index++) {
    const key = Buffer.alloc(17);
    key.writeBigUInt64BE(BigInt(index + 1), 0);
    key[8] = 0x5f;
    const value = index % 997 === 0 ? Buffer.alloc(10_000, index % 251) : Buffer.from(`value-${index}`);
    many.push([key, value]);
  }
  buckets.set('key', many);
  buckets.set('meta', [[Buffer.from('consistent_index'), Buffer.alloc(8, 1)]]);
  buckets.set('lease', []);
  buckets.set('alarm', []);
  return buckets;
}

function writeBuckets(path: string, buckets: Buckets): number {
  const writer = new BoltWriter(path);
  for (const [name, entries] of buckets) {
    writer.beginBucket(name);
    for (const [key, value] of entries) writer.put(key, value);
    writer.endBucket();
  }
  return writer.finish();
}

function readBuckets(path: string): Buckets {
  const reader = new BoltReader(path);
  try {
    const buckets: Buckets = new Map();
    for (const name of reader.bucketNames()) {
      const entries: [Buffer, Buffer][] = [];
      reader.forEach(name, (key, value) => entries.push([Buffer.from(key), Buffer.from(value)]));
      buckets.set(name.toString(), entries);
    }
    return buckets;
  } finally {
    reader.close();
  }
}

test('a bbolt file written here reads back with every bucket and entry', withDirectory((directory) => {
  const path = join(directory, 'db');
  const buckets = sampleBuckets();
  const size = writeBuckets(path, buckets);
  assert.equal(size % 4096, 0);
  const read = readBuckets(path);
  assert.deepEqual([...read.keys()], ['alarm', 'key', 'lease', 'meta']);
  for (const [name, entries] of buckets) assert.deepEqual(read.get(name), entries, name);
}));

test('the writer refuses keys out of order', withDirectory((directory) => {
  const writer = new BoltWriter(join(directory, 'db'));
  writer.beginBucket('key');
  writer.put(Buffer.from('b'), Buffer.from('1'));
  assert.throws(() => writer.put(Buffer.from('a'), Buffer.from('2')), /ascending/);
  writer.abort();
}));

test('the reader refuses a file that is not bbolt, and a truncated one', withDirectory((directory) => {
  const garbage = join(directory, 'garbage');
  writeFileSync(garbage, Buffer.alloc(8192, 7));
  assert.throws(() => new BoltReader(garbage), BoltFormatError);
  const path = join(directory, 'db');
  writeBuckets(path, sampleBuckets());
  const truncated = join(directory, 'truncated');
  writeFileSync(truncated, Buffer.alloc(0));
  assert.throws(() => new BoltReader(truncated), BoltFormatError);
  assert.throws(() => new BoltReader(path, 4096 * 5), /file size too small/);
}));

test('etcdctl snapshot status accepts a file written here (integrity check, hash, revision, keys)', { skip: !existsSync(etcdctl) }, withDirectory((directory) => {
  const path = join(directory, 'db');
  const buckets = sampleBuckets();
  const size = writeBuckets(path, buckets);
  const result = spawnSync(etcdctl, ['snapshot', 'status', path, '-w', 'json'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  assert.equal(result.status, 0, result.stderr);
  const status = JSON.parse(result.stdout) as { hash: number; revision: number; totalKey: number; totalSize: number };
  // etcdctl's hash: crc32c over, for each bucket in name order, the name then each key and value.
  const parts: Buffer[] = [];
  let totalKey = 0;
  for (const name of [...buckets.keys()].sort()) {
    parts.push(Buffer.from(name));
    for (const [key, value] of buckets.get(name)!) parts.push(key, value), totalKey++;
  }
  assert.equal(status.hash, crc32c(Buffer.concat(parts)));
  assert.equal(status.revision, 5000);
  assert.equal(status.totalKey, totalKey);
  assert.equal(status.totalSize, size);
}));
