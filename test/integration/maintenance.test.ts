// Defragment, the space quota and alarms, and automatic compaction, on real
// member processes with the real etcdctl (3.4):
// - `etcdctl defrag` (and `--cluster`) keeps every key, value and revision,
//   and the file does not grow;
// - past --quota-backend-bytes a put is refused with etcd's error, the member
//   raises NOSPACE through Raft, and every member of a three-member cluster
//   then refuses puts, txns with puts and lease grants, while reads, deletes,
//   compaction and defrag work; `alarm list` shows it on every member,
//   /health reports it; `alarm disarm` lets writes in again; the alarm
//   survives a restart (the `alarm` bucket);
// - the same scenario on the real etcd 3.4 gives the same etcdctl output;
// - --auto-compaction-mode revision and periodic compact on their own.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { MemberProcess, stopAllMembers, type MemberKind } from '../support/member-process.js';
import { Cluster, stopAllClusters } from '../support/cluster-process.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';
import * as grpc from '@grpc/grpc-js';
import { connect } from '../support/grpc-client.js';
import { loadGrpcPackage } from '../../src/proto/index.js';

const NO_SPACE = 'etcdserver: mvcc: database space exceeded';
// Small enough to fill in a few dozen 4 KiB puts on either backend, large enough for an empty database.
const QUOTA = 13 * 4096;

after(async () => {
  await stopAllClusters();
  await stopAllMembers();
});

async function getJson(endpoint: string, args: string[]): Promise<{ kvs?: Array<Record<string, unknown>>; header: { revision: number } }> {
  return JSON.parse(await etcdctlOk(endpoint, ['get', ...args, '-w', 'json'])) as never;
}

async function health(endpoint: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${endpoint}/health`);
  return { status: response.status, body: (await response.text()).trim() };
}

/** Puts 4 KiB values until the quota refuses one; returns the refusal's stderr. */
async function fillUntilRefused(endpoint: string): Promise<string> {
  const value = 'b'.repeat(4096);
  for (let attempt = 0; attempt < 200; attempt++) {
    const result = await etcdctl(endpoint, ['put', `fill${attempt % 4}`, value]);
    if (result.code !== 0) return result.stderr;
  }
  throw new Error('the quota never refused a put');
}

function lastErrorLine(stderr: string): string {
  return stderr.trim().split('\n').filter((line) => line.startsWith('Error:')).pop() ?? '';
}

async function memberIdOf(endpoint: string): Promise<string> {
  // From the JSON text: member ids do not fit a JS number.
  return /"member_id":(\d+)/.exec(await etcdctlOk(endpoint, ['endpoint', 'status', '-w', 'json']))![1]!;
}

describe('defragment', () => {
  it('keeps every key, value and revision; the file does not grow', async () => {
    const member = await MemberProcess.start();
    const endpoint = member.endpoint;
    for (let i = 0; i < 50; i++) await etcdctlOk(endpoint, ['put', `key${i % 10}`, `value-${i}-${'x'.repeat(2000)}`]);
    await etcdctlOk(endpoint, ['del', 'key3']);
    await etcdctlOk(endpoint, ['compact', '30', '--physical']);
    const before = await getJson(endpoint, ['', '--prefix']);
    const history = await getJson(endpoint, ['key5', '--rev=45']);
    const file = join(member.dataDir, 'member', 'snap', 'data.mdb');
    const sizeBefore = statSync(file).size;

    assert.match(await etcdctlOk(endpoint, ['defrag']), /Finished defragmenting etcd member\[127\.0\.0\.1:\d+\]/);
    const sizeAfter = statSync(file).size;
    assert.ok(sizeAfter <= sizeBefore, `defrag grew the file: ${sizeBefore} -> ${sizeAfter}`);
    assert.deepEqual(await getJson(endpoint, ['', '--prefix']), before);
    assert.deepEqual(await getJson(endpoint, ['key5', '--rev=45']), history);
    assert.match(member.output, /"msg":"defragmenting"/);
    assert.match(member.output, /"msg":"finished defragmenting directory".*"current-db-size-bytes-diff"/);

    // Writes after a defrag land in the new file and survive a restart.
    await etcdctlOk(endpoint, ['put', 'after', 'defrag']);
    await member.restart();
    assert.deepEqual((await getJson(endpoint, ['key', '--prefix'])).kvs, before.kvs);
    assert.equal(await etcdctlOk(endpoint, ['get', 'after', '--print-value-only']), 'defrag\n');
  });
});

describe('defragment under load', () => {
  it('serves reads and writes while the copy runs; reports the latencies', async (t) => {
    const member = await MemberProcess.start();
    const client = connect(member.endpoint, { deadlineMs: 30_000 });
    const etcdserverpb = loadGrpcPackage()['etcdserverpb'] as grpc.GrpcObject;
    const maintenance = new (etcdserverpb['Maintenance'] as grpc.ServiceClientConstructor)(member.endpoint, grpc.credentials.createInsecure());
    try {
      // About 24 MB of values, then most of it deleted and compacted away.
      const value = Buffer.alloc(1024, 120);
      for (let batch = 0; batch < 240; batch++) {
        const success = [];
        for (let i = 0; i < 100; i++) success.push({ request_put: { key: Buffer.from(`load/${batch}/${i}`), value } });
        await client.kv.Txn({ compare: [], success, failure: [] });
      }
      await client.kv.DeleteRange({ key: Buffer.from('load/1'), range_end: Buffer.from('load/2') });
      const { header } = (await client.kv.Put({ key: Buffer.from('marker'), value: Buffer.from('m') })) as { header: { revision: number } };
      await client.kv.Compact({ revision: header.revision, physical: true });
      const sizeBefore = statSync(join(member.dataDir, 'member', 'snap', 'data.mdb')).size;

      let defragDone = false;
      const startedMs = performance.now();
      const defrag = new Promise<void>((resolve, reject) =>
        maintenance.makeUnaryRequest(
          '/etcdserverpb.Maintenance/Defragment',
          (request: Buffer) => request,
          (response: Buffer) => response,
          Buffer.alloc(0),
          { deadline: Date.now() + 60_000 },
          (error) => (error ? reject(error) : resolve()),
        ),
      ).finally(() => (defragDone = true));
      const readLatencies: number[] = [];
      let writes = 0;
      while (!defragDone) {
        const readStarted = performance.now();
        await client.kv.Range({ key: Buffer.from('load/5/5') });
        readLatencies.push(performance.now() - readStarted);
        await client.kv.Put({ key: Buffer.from(`during/${writes++}`), value: Buffer.from('w') });
      }
      await defrag;
      const defragMs = performance.now() - startedMs;
      const sizeAfter = statSync(join(member.dataDir, 'member', 'snap', 'data.mdb')).size;
      readLatencies.sort((a, b) => a - b);
      const maxRead = readLatencies[readLatencies.length - 1] ?? 0;
      t.diagnostic(
        `defrag ${defragMs.toFixed(0)} ms, ${sizeBefore} -> ${sizeAfter} bytes; ${readLatencies.length} reads and ${writes} writes meanwhile, ` +
          `read latency median ${(readLatencies[readLatencies.length >> 1] ?? 0).toFixed(1)} ms, max ${maxRead.toFixed(1)} ms`,
      );
      // 111 of the 240 batches were deleted (load/1, load/1x, load/1xx).
      assert.ok(sizeAfter < sizeBefore * 0.75, `${sizeBefore} -> ${sizeAfter}`);
      // Every write made during the defrag is there, and survives a restart.
      const counted = (await client.kv.Range({ key: Buffer.from('during/'), range_end: Buffer.from('during0'), count_only: true })) as { count: number | string };
      assert.equal(Number(counted.count), writes);
      client.close();
      await member.restart();
      const reconnected = connect(member.endpoint);
      const recounted = (await reconnected.kv.Range({ key: Buffer.from('during/'), range_end: Buffer.from('during0'), count_only: true })) as { count: number | string };
      assert.equal(Number(recounted.count), writes);
      const kept = (await reconnected.kv.Range({ key: Buffer.from('load/'), range_end: Buffer.from('load0'), count_only: true })) as { count: number | string };
      assert.equal(Number(kept.count), 240 * 100 - 100 * 111);
      reconnected.close();
    } finally {
      client.close();
      maintenance.close();
    }
  });
});

describe('space quota and alarms', () => {
  it('NOSPACE on a three-member cluster: raised, refused everywhere, disarmed, survives restarts', async () => {
    // Room for an empty LMDB file (about 40 KiB with etcd's buckets) and what a restart adds, after a defrag.
    const cluster = await Cluster.start({ size: 3, extraFlags: [`--quota-backend-bytes=${32 * 4096}`] });
    const [first, second, third] = cluster.members;
    await etcdctlOk(first!.endpoint, ['put', 'small', 'a'.repeat(64)]);
    const refusal = await fillUntilRefused(first!.endpoint);
    assert.equal(lastErrorLine(refusal), `Error: ${NO_SPACE}`);
    assert.match(refusal, /code = ResourceExhausted/);
    const raisedBy = await memberIdOf(first!.endpoint);

    for (const member of cluster.members) {
      // The alarm reached every member through Raft.
      // (A follower whose own file is past the quota when it refuses a put raises its own NOSPACE too, as in etcd.)
      await waitFor(`the alarm on ${member.name}`, async () => (await etcdctlOk(member.endpoint, ['alarm', 'list'])).includes(`memberID:${raisedBy} alarm:NOSPACE \n`));
      assert.deepEqual(await health(member.endpoint), { status: 503, body: '{"health":"false","reason":"ALARM NOSPACE"}' });
      // Writes are refused on every member, whatever its own size.
      assert.equal(lastErrorLine((await etcdctl(member.endpoint, ['put', 'k', 'v'])).stderr), `Error: ${NO_SPACE}`);
      const txn = await etcdctl(member.endpoint, ['txn'], { stdin: '\nput t v\n\n\n' });
      assert.match(txn.stderr, /database space exceeded/);
      assert.match((await etcdctl(member.endpoint, ['lease', 'grant', '10'])).stderr, /database space exceeded/);
      // Reads are served.
      assert.equal(await etcdctlOk(member.endpoint, ['get', 'small', '--print-value-only']), `${'a'.repeat(64)}\n`);
    }
    const status = JSON.parse(await etcdctlOk(second!.endpoint, ['endpoint', 'status', '-w', 'json'])) as Array<{ Status: { errors?: string[] } }>;
    assert.ok(status[0]!.Status.errors?.includes(`memberID:${raisedBy} alarm:NOSPACE `), JSON.stringify(status));

    // Deletes, a txn without puts, compaction and defrag still work.
    await etcdctlOk(second!.endpoint, ['del', 'fill1']);
    await etcdctl(second!.endpoint, ['txn'], { stdin: '\ndel fill2\n\n\n' }).then((result) => assert.equal(result.code, 0, result.stderr));
    await etcdctlOk(first!.endpoint, ['del', 'fill', '--prefix']);
    const revision = (await getJson(third!.endpoint, ['small'])).header.revision;
    await etcdctlOk(third!.endpoint, ['compact', String(revision), '--physical']);
    assert.equal((await etcdctlOk(first!.endpoint, ['defrag', '--cluster'])).trim().split('\n').length, 3);

    // The alarm survives a restart of the whole cluster.
    for (const member of cluster.members) await member.stop();
    for (const member of cluster.members) member.spawn();
    await Promise.all(cluster.members.map((member) => member.waitReady()));
    for (const member of cluster.members) {
      await waitFor(`the alarm on ${member.name} after restart`, async () => (await etcdctlOk(member.endpoint, ['alarm', 'list'])).includes(`memberID:${raisedBy} alarm:NOSPACE \n`));
    }
    assert.equal(lastErrorLine((await etcdctl(third!.endpoint, ['put', 'k', 'v'])).stderr), `Error: ${NO_SPACE}`);

    // Disarmed: writes are allowed again on every member.
    const alarmsBefore = await etcdctlOk(second!.endpoint, ['alarm', 'list']);
    assert.equal(await etcdctlOk(second!.endpoint, ['alarm', 'disarm']), alarmsBefore);
    for (const member of cluster.members) {
      await waitFor(`no alarm on ${member.name}`, async () => (await etcdctlOk(member.endpoint, ['alarm', 'list'])) === '');
      const put = await etcdctl(member.endpoint, ['put', `after-${member.name}`, 'v']);
      assert.equal(put.code, 0, `${put.stderr} (file sizes ${cluster.members.map((m) => statSync(join(m.dataDir, 'member', 'snap', 'data.mdb')).size).join(', ')})`);
      assert.deepEqual(await health(member.endpoint), { status: 200, body: '{"health":"true","reason":""}' });
    }
    assert.match(first!.allOutput, /"msg":"alarm raised","alarm":"NOSPACE"/);
    assert.match(second!.allOutput, /"msg":"alarm disarmed","alarm":"NOSPACE"/);
  });

  it('the same etcdctl output as the real etcd 3.4 (refused put, alarm list, disarm)', async () => {
    const outputs: Record<MemberKind, string[]> = { etcd: [], 'etcd-ts': [] };
    for (const kind of ['etcd', 'etcd-ts'] as const) {
      const member = await MemberProcess.start({ kind, extraFlags: [`--quota-backend-bytes=${QUOTA}`] });
      const id = await memberIdOf(member.endpoint);
      const normalize = (text: string) => text.split(id).join('<ID>');
      outputs[kind].push(lastErrorLine(await fillUntilRefused(member.endpoint)));
      outputs[kind].push(normalize(await etcdctlOk(member.endpoint, ['alarm', 'list'])));
      outputs[kind].push(normalize(await etcdctlOk(member.endpoint, ['alarm', 'list', '-w', 'json'])).replace(/"(cluster_id|member_id|revision|raft_term)":\d+/g, '"$1":0'));
      outputs[kind].push(lastErrorLine((await etcdctl(member.endpoint, ['put', 'x', 'y'])).stderr));
      outputs[kind].push(lastErrorLine((await etcdctl(member.endpoint, ['lease', 'grant', '5'])).stderr));
      outputs[kind].push(normalize(await etcdctlOk(member.endpoint, ['alarm', 'disarm'])));
      outputs[kind].push(await etcdctlOk(member.endpoint, ['alarm', 'list']));
      await member.destroy();
    }
    assert.deepEqual(outputs['etcd-ts'], outputs.etcd);
  });
});

describe('automatic compaction', () => {
  it('revision mode keeps the last N revisions', async () => {
    const member = await MemberProcess.start({
      extraFlags: ['--auto-compaction-mode=revision', '--auto-compaction-retention=5'],
      env: { ETCDTS_TEST_REVISION_COMPACTION_INTERVAL_MS: '300' },
    });
    for (let i = 0; i < 20; i++) await etcdctlOk(member.endpoint, ['put', 'key', `v${i}`]);
    // Revision 21 now: the compactor compacts at 16.
    await waitFor('the automatic compaction', async () => /"msg":"completed auto revision compaction","revision":16/.test(member.output));
    assert.match((await etcdctl(member.endpoint, ['get', 'key', '--rev=15'])).stderr, /required revision has been compacted/);
    assert.equal(await etcdctlOk(member.endpoint, ['get', 'key', '--rev=16', '--print-value-only']), 'v14\n');
    assert.match(member.output, /"msg":"starting auto revision compaction","revision":16,"revision-compaction-retention":5/);
  });

  it('periodic mode compacts at the revision of one period ago', async () => {
    const member = await MemberProcess.start({ extraFlags: ['--auto-compaction-mode=periodic', '--auto-compaction-retention=1s'] });
    for (let i = 0; i < 5; i++) await etcdctlOk(member.endpoint, ['put', 'key', `v${i}`]);
    await waitFor('the automatic compaction', async () => /"msg":"completed auto periodic compaction"/.test(member.output), { timeoutMs: 10_000 });
    assert.match(member.output, /"msg":"starting auto periodic compaction","revision":\d+,"compact-period":"1s"/);
  });

  it('refuses an unknown mode or a bad retention', async () => {
    await assert.rejects(MemberProcess.start({ extraFlags: ['--auto-compaction-mode=hourly', '--auto-compaction-retention=1'] }));
    await assert.rejects(MemberProcess.start({ extraFlags: ['--auto-compaction-retention=abc'] }));
  });
});
