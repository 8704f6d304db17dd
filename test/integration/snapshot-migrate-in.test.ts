// Migration in, and the round trip etcd -> etcd-ts -> etcd, with the real
// etcd 3.4 and etcdctl: a history on the real etcd (puts, deletes, a txn, a
// leased key, a compaction), `etcdctl snapshot save`, then
// - `etcd-ts snapshot restore` and etcd-ts started on that data dir serves
//   every key at every revision as etcd does, with the lease and the same HashKV;
// - a snapshot saved from that etcd-ts, restored by etcdctl, starts the real
//   etcd again with the same HashKV;
// - a data dir made by `etcdctl snapshot restore` starts etcd-ts directly;
// - bad input: a wrong sha256, a missing one, a file that is not bbolt, a
//   non-empty data dir, each refused with etcd's message, the input unchanged.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MemberProcess, stopAllMembers, SERVER_ENTRY } from '../support/member-process.js';
import { ServerProcess, type MemberKind } from '../support/server-process.js';
import { etcdctl, etcdctlOk, ETCDCTL_BINARY } from '../support/etcdctl.js';
import { connect } from '../support/grpc-client.js';
import { freePort } from '../support/free-port.js';

const LEASE_ID = 0x4321;

const STEPS: { args: string[]; stdin?: string }[] = [
  { args: ['put', 'foo', 'bar'] },
  { args: ['put', 'foo', 'bar2'] },
  { args: ['put', 'a', '1'] },
  { args: ['put', 'leased', 'v', `--lease=${LEASE_ID.toString(16)}`] },
  { args: ['del', 'a'] },
  { args: ['txn'], stdin: 'value("foo") = "bar2"\n\nput t1 x\nput t2 y\nput foo bar3\n\n\n' },
  { args: ['compaction', '3'] },
  { args: ['put', 'foo', 'bar4'] },
  { args: ['del', 't1'] },
];

const env = { ...process.env, ETCDCTL_API: '3' };

function etcdTs(args: string[]) {
  return spawnSync(process.execPath, [SERVER_ENTRY, ...args], { encoding: 'utf8' });
}

async function getAll(endpoint: string, extra: string[] = []): Promise<string> {
  const result = await etcdctl(endpoint, ['get', '', '--prefix', '-w', 'json', ...extra]);
  if (result.code !== 0) return `error ${result.stderr.split('\n').filter((line) => line.startsWith('Error')).join(' ')}`;
  const parsed = JSON.parse(result.stdout) as { header: { revision: number }; kvs?: unknown[] };
  return JSON.stringify({ revision: parsed.header.revision, kvs: parsed.kvs ?? [] });
}

async function hashKv(endpoint: string): Promise<{ hash: number; compact: number; revision: number }> {
  const [entry] = JSON.parse(await etcdctlOk(endpoint, ['endpoint', 'hashkv', '-w', 'json'])) as { HashKV: { hash: number; compact_revision: number; header: { revision: number } } }[];
  return { hash: entry!.HashKV.hash, compact: entry!.HashKV.compact_revision, revision: entry!.HashKV.header.revision };
}

describe('snapshot migration in and the round trip with the real etcd 3.4', { timeout: 300_000 }, () => {
  const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-migrate-'));
  const started: ServerProcess[] = [];
  let reference: MemberProcess;
  const etcdFile = join(directory, 'etcd.db');

  /** Starts a one-member `kind` on `dataDir` with the given peer URL, and returns its endpoint. */
  async function startOn(kind: MemberKind, dataDir: string, name: string, peerUrl: string): Promise<{ endpoint: string; process: ServerProcess }> {
    const clientUrl = `http://127.0.0.1:${await freePort()}`;
    const process = new ServerProcess(kind, [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${name}=${peerUrl}`,
    ]);
    started.push(process);
    await process.waitReady(`${kind} on ${dataDir}`);
    return { endpoint: clientUrl.replace('http://', ''), process };
  }

  before(async () => {
    reference = await MemberProcess.start({ kind: 'etcd' });
    const client = connect(reference.endpoint);
    await client.lease.LeaseGrant({ TTL: 3600, ID: LEASE_ID });
    client.close();
    for (const step of STEPS) await etcdctlOk(reference.endpoint, step.args, { stdin: step.stdin });
    await etcdctlOk(reference.endpoint, ['snapshot', 'save', etcdFile]);
  });
  after(async () => {
    for (const process of started) await process.signalAndWait('SIGKILL');
    await stopAllMembers();
    rmSync(directory, { recursive: true, force: true });
  });

  it('etcd-ts snapshot status reads etcd\'s snapshot as etcdctl does', () => {
    for (const format of ['json', 'table', 'simple']) {
      const ours = etcdTs(['snapshot', 'status', etcdFile, '-w', format]);
      const theirs = spawnSync(ETCDCTL_BINARY, ['snapshot', 'status', etcdFile, '-w', format], { encoding: 'utf8', env });
      assert.equal(ours.status, 0, ours.stderr);
      assert.equal(ours.stdout, theirs.stdout, format);
    }
  });

  it('restores etcd\'s snapshot into etcd-ts and back into the real etcd with the same history', async () => {
    const dataDir = join(directory, 'ours');
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const restore = etcdTs(['snapshot', 'restore', etcdFile, '--data-dir', dataDir, '--name', 'm1', '--initial-cluster', `m1=${peerUrl}`, '--initial-cluster-token', 'tok', '--initial-advertise-peer-urls', peerUrl]);
    assert.equal(restore.status, 0, restore.stderr);
    const ours = await startOn('etcd-ts', dataDir, 'm1', peerUrl);
    assert.equal(await getAll(ours.endpoint), await getAll(reference.endpoint));
    for (const revision of [2, 3, 5, 7, 9]) {
      assert.equal(await getAll(ours.endpoint, [`--rev=${revision}`]), await getAll(reference.endpoint, [`--rev=${revision}`]), `revision ${revision}`);
    }
    assert.match(await etcdctlOk(ours.endpoint, ['lease', 'list']), new RegExp(LEASE_ID.toString(16).padStart(16, '0')));
    assert.deepEqual(await hashKv(ours.endpoint), await hashKv(reference.endpoint));

    // Back to the real etcd: save from etcd-ts, restore with etcdctl, start etcd.
    const ourFile = join(directory, 'ours.db');
    await etcdctlOk(ours.endpoint, ['snapshot', 'save', ourFile]);
    const backDir = join(directory, 'back');
    const backPeerUrl = `http://127.0.0.1:${await freePort()}`;
    const back = spawnSync(ETCDCTL_BINARY, ['snapshot', 'restore', ourFile, `--data-dir=${backDir}`, '--name=b1', `--initial-cluster=b1=${backPeerUrl}`, `--initial-advertise-peer-urls=${backPeerUrl}`], { encoding: 'utf8', env });
    assert.equal(back.status, 0, back.stderr);
    const etcdAgain = await startOn('etcd', backDir, 'b1', backPeerUrl);
    assert.deepEqual(await hashKv(etcdAgain.endpoint), await hashKv(reference.endpoint));
    assert.equal(await getAll(etcdAgain.endpoint, ['--rev=5']), await getAll(reference.endpoint, ['--rev=5']));
  });

  it('starts etcd-ts directly on a data dir made by etcdctl snapshot restore, and logs the import', async () => {
    const dataDir = join(directory, 'etcdctl-restored');
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const restore = spawnSync(ETCDCTL_BINARY, ['snapshot', 'restore', etcdFile, `--data-dir=${dataDir}`, '--name=e1', `--initial-cluster=e1=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`], { encoding: 'utf8', env });
    assert.equal(restore.status, 0, restore.stderr);
    const ours = await startOn('etcd-ts', dataDir, 'e1', peerUrl);
    assert.match(ours.process.output, /imported the bbolt backend of an etcd data dir/);
    assert.equal(await getAll(ours.endpoint), await getAll(reference.endpoint));
    assert.deepEqual(await hashKv(ours.endpoint), await hashKv(reference.endpoint));
    assert.ok(existsSync(join(dataDir, 'member', 'etcd-import', 'snap', 'db')));
  });

  it('a member added after the restore catches up from a snapshot of the imported data', async () => {
    const dataDir = join(directory, 'grow');
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const restore = etcdTs(['snapshot', 'restore', etcdFile, '--data-dir', dataDir, '--name', 'g1', '--initial-cluster', `g1=${peerUrl}`, '--initial-advertise-peer-urls', peerUrl]);
    assert.equal(restore.status, 0, restore.stderr);
    const first = await startOn('etcd-ts', dataDir, 'g1', peerUrl);
    const secondPeerUrl = `http://127.0.0.1:${await freePort()}`;
    await etcdctlOk(first.endpoint, ['member', 'add', 'g2', `--peer-urls=${secondPeerUrl}`]);
    const secondClientUrl = `http://127.0.0.1:${await freePort()}`;
    const second = new ServerProcess('etcd-ts', [
      '--name=g2',
      `--data-dir=${join(directory, 'grow2')}`,
      `--listen-client-urls=${secondClientUrl}`,
      `--advertise-client-urls=${secondClientUrl}`,
      `--listen-peer-urls=${secondPeerUrl}`,
      `--initial-advertise-peer-urls=${secondPeerUrl}`,
      `--initial-cluster=g1=${peerUrl},g2=${secondPeerUrl}`,
      '--initial-cluster-state=existing',
    ]);
    started.push(second);
    await second.waitReady('the added member');
    assert.match(second.output, /applied snapshot/);
    const endpoint = secondClientUrl.replace('http://', '');
    // Serializable: what the new member itself holds.
    assert.equal(await getAll(endpoint, ['--consistency=s']), await getAll(first.endpoint));
    assert.deepEqual(await hashKv(endpoint), await hashKv(first.endpoint));
  });

  it('refuses bad input with etcd\'s messages and leaves the input unchanged', async () => {
    const original = readFileSync(etcdFile);
    const wrongHash = join(directory, 'wrong-hash.db');
    const corrupted = Buffer.from(original);
    corrupted[corrupted.length - 1]! ^= 0xff;
    writeFileSync(wrongHash, corrupted);
    let result = etcdTs(['snapshot', 'restore', wrongHash, '--data-dir', join(directory, 'x1')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^Error: expected sha256 \[/);
    assert.ok(!existsSync(join(directory, 'x1')));
    assert.deepEqual(readFileSync(wrongHash), corrupted);
    // The same file with --skip-hash-check restores.
    result = etcdTs(['snapshot', 'restore', wrongHash, '--data-dir', join(directory, 'x2'), '--skip-hash-check']);
    assert.equal(result.status, 0, result.stderr);

    const noHash = join(directory, 'no-hash.db');
    writeFileSync(noHash, original.subarray(0, original.length - 32));
    result = etcdTs(['snapshot', 'restore', noHash, '--data-dir', join(directory, 'x3')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /snapshot missing hash but --skip-hash-check=false/);

    const notBolt = join(directory, 'not-bolt.db');
    writeFileSync(notBolt, Buffer.alloc(8192, 0x41));
    result = etcdTs(['snapshot', 'restore', notBolt, '--data-dir', join(directory, 'x4'), '--skip-hash-check']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^Error: invalid database/);
    assert.ok(!existsSync(join(directory, 'x4')));

    const truncated = join(directory, 'truncated.db');
    writeFileSync(truncated, original.subarray(0, 3 * 4096));
    result = etcdTs(['snapshot', 'restore', truncated, '--data-dir', join(directory, 'x5'), '--skip-hash-check']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^Error: file size too small/);

    const nonEmpty = join(directory, 'x6');
    mkdirSync(nonEmpty);
    writeFileSync(join(nonEmpty, 'something'), 'x');
    result = etcdTs(['snapshot', 'restore', etcdFile, '--data-dir', nonEmpty]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `Error: data-dir "${nonEmpty}" exists\n`);
    assert.deepEqual(readFileSync(etcdFile), original);
  });
});
