// Maintenance.Snapshot against the real etcd 3.4 tools: the same history on
// etcd-ts and on the real etcd, then `etcdctl snapshot save` from both. The
// files' `key` and `lease` buckets and compaction revisions must be equal byte
// for byte (read with our bbolt reader), `etcdctl snapshot status` must accept
// ours with the right revision, key count and hash, and the file must end with
// the sha256 of the rest. Then migration out: `etcdctl snapshot restore` of our
// snapshot, and the real etcd started on that data dir serves every key with
// the same revisions, versions, create revisions and leases, and the same HashKV.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { ServerProcess } from '../support/server-process.js';
import { etcdctl, etcdctlOk, ETCDCTL_BINARY } from '../support/etcdctl.js';
import { connect, type EtcdGrpcClient } from '../support/grpc-client.js';
import { freePort } from '../support/free-port.js';
import { BoltReader } from '../../src/snapshot/bbolt-reader.js';
import { crc32c } from '../../src/mvcc/crc32c.js';

const LEASE_ID = 0x1234;

const STEPS: { args: string[]; stdin?: string }[] = [
  { args: ['put', 'foo', 'bar'] },
  { args: ['put', 'foo', 'bar2'] },
  { args: ['put', 'a', '1'] },
  { args: ['put', 'leased', 'v', `--lease=${LEASE_ID.toString(16)}`] },
  { args: ['del', 'a'] },
  { args: ['put', 'a', 'again'] },
  { args: ['txn'], stdin: 'value("foo") = "bar2"\n\nput t1 x\nput t2 y\nput foo bar3\n\n\n' },
  { args: ['compaction', '4'] },
  { args: ['put', 'foo', 'bar4'] },
  { args: ['del', 't', '--prefix'] },
  { args: ['put', 'k\u00e9y', 'v\u00e4lue'] },
];

function bucket(reader: BoltReader, name: string): [string, string][] {
  const entries: [string, string][] = [];
  reader.forEach(name, (key, value) => entries.push([key.toString('hex'), value.toString('hex')]));
  return entries;
}

/** etcdctl's snapshot status numbers, computed from the file with our reader. */
function statusOf(path: string, size: number): { hash: number; revision: number; totalKey: number } {
  const reader = new BoltReader(path, size);
  try {
    let hash = 0;
    let revision = 0;
    let totalKey = 0;
    for (const name of reader.bucketNames()) {
      hash = crc32c(name, hash);
      reader.forEach(name, (key, value) => {
        hash = crc32c(value, crc32c(key, hash));
        if (name.toString() === 'key') revision = Number(key.readBigUInt64BE(0));
        totalKey++;
      });
    }
    return { hash, revision, totalKey };
  } finally {
    reader.close();
  }
}

interface KvJson {
  header: { revision: number };
  kvs?: { key: string; create_revision: number; mod_revision: number; version: number; value: string; lease?: number }[];
}

async function getAll(endpoint: string, extra: string[] = []): Promise<string> {
  const result = await etcdctl(endpoint, ['get', '', '--prefix', '-w', 'json', ...extra]);
  if (result.code !== 0) return `error ${result.stderr.split('\n').filter((line) => line.startsWith('Error')).join(' ')}`;
  const parsed = JSON.parse(result.stdout) as KvJson;
  return JSON.stringify({ revision: parsed.header.revision, kvs: parsed.kvs ?? [] });
}

describe('snapshots in etcd format against the real etcd 3.4', { timeout: 240_000 }, () => {
  const members: MemberProcess[] = [];
  const clients: EtcdGrpcClient[] = [];
  const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-snapshot-'));
  let restored: ServerProcess | undefined;

  before(async () => {
    members.push(...(await Promise.all([MemberProcess.start({ kind: 'etcd-ts' }), MemberProcess.start({ kind: 'etcd' })])));
    for (const member of members) clients.push(connect(member.endpoint));
    for (const client of clients) await client.lease.LeaseGrant({ TTL: 3600, ID: LEASE_ID });
    for (const step of STEPS) await Promise.all(members.map((member) => etcdctlOk(member.endpoint, step.args, { stdin: step.stdin })));
  });
  after(async () => {
    for (const client of clients) client.close();
    await restored?.signalAndWait('SIGKILL');
    await stopAllMembers();
    rmSync(directory, { recursive: true, force: true });
  });

  it('saves a snapshot that equals etcd\'s in its key and lease buckets and that etcdctl accepts', async () => {
    const [ours, reference] = members as [MemberProcess, MemberProcess];
    const ourFile = join(directory, 'ours.db');
    const referenceFile = join(directory, 'etcd.db');
    await etcdctlOk(ours.endpoint, ['snapshot', 'save', ourFile]);
    await etcdctlOk(reference.endpoint, ['snapshot', 'save', referenceFile]);

    // The trailing sha256 of everything before it, as etcd sends it.
    const bytes = readFileSync(ourFile);
    assert.equal(bytes.length % 512, 32);
    const size = bytes.length - 32;
    assert.deepEqual(bytes.subarray(size), createHash('sha256').update(bytes.subarray(0, size)).digest());

    const ourReader = new BoltReader(ourFile, size);
    const referenceReader = new BoltReader(referenceFile, readFileSync(referenceFile).length - 32);
    try {
      assert.deepEqual(bucket(ourReader, 'key'), bucket(referenceReader, 'key'));
      assert.deepEqual(bucket(ourReader, 'lease'), bucket(referenceReader, 'lease'));
      const compaction = (reader: BoltReader) => bucket(reader, 'meta').filter(([key]) => Buffer.from(key, 'hex').toString().endsWith('CompactRev'));
      assert.deepEqual(compaction(ourReader), compaction(referenceReader));
      assert.equal(compaction(ourReader).length, 2);
      for (const name of ['key', 'meta', 'lease', 'alarm', 'cluster', 'members', 'members_removed', 'auth', 'authUsers', 'authRoles']) {
        assert.ok(ourReader.bucketNames().some((bucketName) => bucketName.toString() === name), name);
      }
      assert.equal(bucket(ourReader, 'members').length, 1);
    } finally {
      ourReader.close();
      referenceReader.close();
    }

    const status = spawnSync(ETCDCTL_BINARY, ['snapshot', 'status', ourFile, '-w', 'json'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
    assert.equal(status.status, 0, status.stderr);
    const reported = JSON.parse(status.stdout) as { hash: number; revision: number; totalKey: number; totalSize: number };
    const expected = statusOf(ourFile, size);
    assert.deepEqual({ hash: reported.hash, revision: reported.revision, totalKey: reported.totalKey, totalSize: reported.totalSize }, { ...expected, totalSize: size });
    const referenceStatus = spawnSync(ETCDCTL_BINARY, ['snapshot', 'status', referenceFile, '-w', 'json'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
    assert.equal((JSON.parse(referenceStatus.stdout) as { revision: number }).revision, reported.revision);
  });

  it('restores with etcdctl into a data dir the real etcd starts on and serves with the same history (migration out)', async () => {
    const [ours] = members as [MemberProcess];
    const ourFile = join(directory, 'ours.db');
    const dataDir = join(directory, 'restored');
    const clientUrl = `http://127.0.0.1:${await freePort()}`;
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const restore = spawnSync(
      ETCDCTL_BINARY,
      ['snapshot', 'restore', ourFile, `--data-dir=${dataDir}`, '--name=restored', `--initial-cluster=restored=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`],
      { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } },
    );
    assert.equal(restore.status, 0, restore.stderr);
    restored = new ServerProcess('etcd', [
      '--name=restored',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=restored=${peerUrl}`,
    ]);
    await restored.waitReady('the real etcd on the restored data dir');
    const endpoint = clientUrl.replace('http://', '');
    assert.equal(await getAll(endpoint), await getAll(ours.endpoint));
    for (const revision of [3, 4, 5, 8, 10]) {
      assert.equal(await getAll(endpoint, [`--rev=${revision}`]), await getAll(ours.endpoint, [`--rev=${revision}`]), `at revision ${revision}`);
    }
    const leases = await etcdctlOk(endpoint, ['lease', 'list']);
    assert.match(leases, new RegExp(LEASE_ID.toString(16).padStart(16, '0')));
    const hashkv = async (target: string) => (JSON.parse(await etcdctlOk(target, ['endpoint', 'hashkv', '-w', 'json'])) as { HashKV: { hash: number; compact_revision: number } }[])[0]!.HashKV;
    const [theirs, mine] = await Promise.all([hashkv(endpoint), hashkv(ours.endpoint)]);
    assert.deepEqual({ hash: theirs.hash, compact: theirs.compact_revision }, { hash: mine.hash, compact: mine.compact_revision });
  });

  it('carries users, roles and permissions to the real etcd (auth on)', async () => {
    const [ours] = members as [MemberProcess];
    for (const args of [['user', 'add', 'root:rootpw'], ['role', 'add', 'r1'], ['role', 'grant-permission', 'r1', 'readwrite', 'foo'], ['user', 'add', 'u1:u1pw'], ['user', 'grant-role', 'u1', 'r1'], ['auth', 'enable']]) {
      await etcdctlOk(ours.endpoint, args);
    }
    const authFile = join(directory, 'auth.db');
    await etcdctlOk(ours.endpoint, ['--user=root:rootpw', 'snapshot', 'save', authFile]);
    const dataDir = join(directory, 'restored-auth');
    const clientUrl = `http://127.0.0.1:${await freePort()}`;
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const restore = spawnSync(ETCDCTL_BINARY, ['snapshot', 'restore', authFile, `--data-dir=${dataDir}`, '--name=a1', `--initial-cluster=a1=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`], {
      encoding: 'utf8',
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    assert.equal(restore.status, 0, restore.stderr);
    await restored?.signalAndWait('SIGKILL');
    restored = new ServerProcess('etcd', [
      '--name=a1',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=a1=${peerUrl}`,
    ]);
    await restored.waitReady('the real etcd on the restored data dir with auth');
    const endpoint = clientUrl.replace('http://', '');
    assert.match(await etcdctlOk(endpoint, ['--user=u1:u1pw', 'get', 'foo']), /^foo\n/);
    assert.match((await etcdctl(endpoint, ['get', 'foo'])).stderr, /user name is empty/);
    assert.match((await etcdctl(endpoint, ['--user=u1:u1pw', 'put', 'bar', 'x'])).stderr, /permission denied/);
    assert.match(await etcdctlOk(endpoint, ['--user=root:rootpw', 'role', 'get', 'r1']), /KV Read:\n\tfoo\nKV Write:\n\tfoo/);
    assert.equal(await etcdctlOk(endpoint, ['--user=root:rootpw', 'user', 'list']), 'root\nu1\n');
  });
});
