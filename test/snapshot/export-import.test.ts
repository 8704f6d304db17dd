// Our backend -> bbolt file -> our backend: every bucket's entries survive,
// the membership buckets come from the member table, and the consistent index
// is left out on import (the restored member's bootstrap sets it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Backend, bucketNames } from '../../src/backend/index.js';
import { exportLmdbCopyToBolt, membersEntries } from '../../src/snapshot/export.js';
import { BoltReader } from '../../src/snapshot/bbolt-reader.js';
import { checkSnapshotHash, importBoltIntoBackend, SnapshotHashError } from '../../src/snapshot/import.js';
import { encodeRevisionKey } from '../../src/mvcc/revision.js';

function withDirectory(run: (directory: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-snapshot-'));
    try {
      await run(directory);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

const member = { id: 0x2e1259d415f2a040n, name: 'm1', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], isLearner: false };

test('a backend exported to bbolt and imported again keeps its buckets', withDirectory(async (directory) => {
  const source = Backend.open(join(directory, 'source'));
  for (let revision = 1; revision <= 3000; revision++) {
    source.batchTx().put('key', encodeRevisionKey({ main: revision, sub: 0 }), Buffer.from(`value of ${revision}`.repeat(revision % 7)));
  }
  source.batchTx().put('lease', Buffer.from('0000000000001234', 'hex'), Buffer.from([0x08, 0xb4, 0x24, 0x10, 0x3c]));
  source.batchTx().put('auth', Buffer.from('authEnabled'), Buffer.from([0]));
  source.batchTx().put('meta', Buffer.from('finishedCompactRev'), encodeRevisionKey({ main: 10, sub: 0 }));
  source.batchTx().setConsistentIndex(77, 3);
  source.commit();
  const copyDirectory = join(directory, 'copy');
  const copyFile = await source.snapshotCopyInto(copyDirectory);
  const boltFile = join(directory, 'snapshot.db');
  const size = await exportLmdbCopyToBolt(copyFile, boltFile, { members: [member] });

  const reader = new BoltReader(boltFile);
  try {
    assert.deepEqual(reader.bucketNames().map(String), [...bucketNames].sort());
    const members: [Buffer, Buffer][] = [];
    reader.forEach('members', (key, value) => members.push([Buffer.from(key), Buffer.from(value)]));
    assert.deepEqual(members, membersEntries([member]));
    assert.equal(members[0]![1].toString(), '{"id":3319814642761637952,"peerURLs":["http://127.0.0.1:2380"],"name":"m1","clientURLs":["http://127.0.0.1:2379"]}');
    assert.equal(reader.meta.pageCount * 4096, size);
  } finally {
    reader.close();
  }

  const target = join(directory, 'target');
  const result = await importBoltIntoBackend(boltFile, size, target);
  assert.equal(result.revision, 3000);
  const imported = Backend.open(target);
  try {
    for (const name of ['key', 'lease', 'auth', 'alarm', 'authUsers', 'authRoles'] as const) {
      assert.deepEqual(imported.range(name, Buffer.alloc(0), undefined), source.range(name, Buffer.alloc(0), undefined), name);
    }
    assert.deepEqual(imported.range('members', Buffer.alloc(0), undefined), []);
    assert.deepEqual(imported.get('meta', Buffer.from('finishedCompactRev')), encodeRevisionKey({ main: 10, sub: 0 }));
    assert.deepEqual(imported.consistentIndex(), { index: 0, term: 0 });
  } finally {
    await imported.close();
    await source.close();
  }
}));

test('the sha256 trailer is checked as etcdctl checks it', withDirectory(async (directory) => {
  const body = Buffer.alloc(4096 * 2, 5);
  const withHash = join(directory, 'with-hash');
  writeFileSync(withHash, Buffer.concat([body, createHash('sha256').update(body).digest()]));
  assert.equal(checkSnapshotHash(withHash, false), body.length);
  const wrong = Buffer.from(readFileSync(withHash));
  wrong[0] ^= 1;
  writeFileSync(withHash, wrong);
  assert.throws(() => checkSnapshotHash(withHash, false), (error: Error) => error instanceof SnapshotHashError && /^expected sha256 \[\d+( \d+){31}\], got \[/.test(error.message));
  assert.equal(checkSnapshotHash(withHash, true), body.length);
  const withoutHash = join(directory, 'without-hash');
  writeFileSync(withoutHash, body);
  assert.throws(() => checkSnapshotHash(withoutHash, false), /snapshot missing hash but --skip-hash-check=false/);
  assert.equal(checkSnapshotHash(withoutHash, true), body.length);
}));
