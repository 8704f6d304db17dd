// --experimental-corrupt-check-time on real three-member clusters. An intact
// cluster checks every second and raises nothing. When one member's backend
// is changed offline (a value byte of a key-bucket entry flipped, as etcd's
// e2e TestEtcdCorruptHash does with bbolt) and the member restarted, the
// leader's next pass finds the differing hash, raises CORRUPT through Raft
// (member id 0, as etcd 3.4.23), `etcdctl alarm list` shows it on every
// member, and puts are refused with "etcdserver: corrupt cluster".

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Backend } from '../../src/backend/index.js';
import { decodeKeyValue, encodeKeyValue, encodeRevisionKey } from '../../src/mvcc/index.js';
import { Cluster, stopAllClusters, type ClusterMember } from '../support/cluster-process.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';

const FLAGS = ['--experimental-corrupt-check-time', '1s'];

interface LogRecord {
  msg?: string;
  [field: string]: unknown;
}

function findLog(output: string, msg: string): LogRecord[] {
  const records: LogRecord[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const record = JSON.parse(line) as LogRecord;
      if (record.msg === msg) records.push(record);
    } catch {
      // a partial line
    }
  }
  return records;
}

async function statusOf(member: ClusterMember): Promise<{ revision: number; leader: string; memberId: string }> {
  const out = await etcdctlOk(member.endpoint, ['endpoint', 'status', '-w', 'json']);
  const revision = /"revision":(\d+)/.exec(out);
  const leader = /"leader":(\d+)/.exec(out);
  const memberId = /"member_id":(\d+)/.exec(out);
  assert.ok(revision && leader && memberId, out);
  return { revision: Number(revision[1]), leader: leader[1]!, memberId: memberId[1]! };
}

async function leaderOf(cluster: Cluster): Promise<ClusterMember> {
  return waitFor('a leader', async () => {
    for (const member of cluster.members) {
      if (member.state !== 'running') continue;
      const status = await statusOf(member);
      if (status.leader === status.memberId) return member;
    }
    return undefined;
  });
}

/** Flips the first value byte of the entry at revision {main, 0} in a stopped member's backend. */
async function corruptValueAt(member: ClusterMember, main: number, key: string): Promise<void> {
  const backend = Backend.open(join(member.dataDir, 'member', 'snap'));
  try {
    const revisionKey = encodeRevisionKey({ main, sub: 0 });
    const stored = backend.get('key', revisionKey);
    assert.ok(stored, `revision ${main} is not in ${member.name}'s backend`);
    const keyValue = decodeKeyValue(Buffer.from(stored));
    assert.equal(keyValue.key.toString(), key);
    const value = Buffer.from(keyValue.value);
    value[0] = value[0]! ^ 0x01;
    backend.batchTx().put('key', revisionKey, encodeKeyValue({ ...keyValue, key: Buffer.from(keyValue.key), value }));
  } finally {
    await backend.close();
  }
}

async function putRevision(member: ClusterMember, key: string, value: string): Promise<number> {
  const out = await etcdctlOk(member.endpoint, ['put', key, value, '-w', 'json']);
  const match = /"revision":(\d+)/.exec(out);
  assert.ok(match, out);
  return Number(match[1]);
}

describe('--experimental-corrupt-check-time', { timeout: 180_000 }, () => {
  after(stopAllClusters);

  it('an intact cluster checks its peers every interval and raises nothing', async () => {
    const cluster = await Cluster.start({ size: 3, extraFlags: FLAGS });
    try {
      const leader = await leaderOf(cluster);
      for (let i = 0; i < 20; i++) await etcdctlOk(leader.endpoint, ['put', `key${i}`, `value${i}`]);
      await etcdctlOk(leader.endpoint, ['compact', '5']);
      // Three passes that each compared both peers.
      await waitFor(
        'three passes comparing two peers',
        () => findLog(leader.output, 'finished peer corruption check').filter((record) => record['number-of-peers-checked'] === 2).length >= 3,
        { timeoutMs: 30_000 },
      );
      for (const member of cluster.members) {
        assert.equal(findLog(member.output, 'enabled corruption checking').length, 1, member.output.slice(-3000));
        assert.equal(findLog(member.output, 'enabled corruption checking')[0]!['interval'], '1s');
        assert.deepEqual(findLog(member.output, 'same compact revision then hashes must match'), []);
      }
      // Followers do not check.
      for (const member of cluster.members.filter((member) => member !== leader)) {
        assert.deepEqual(findLog(member.output, 'finished peer corruption check'), []);
      }
      assert.equal((await etcdctlOk(leader.endpoint, ['alarm', 'list'])).trim(), '');
      await etcdctlOk(leader.endpoint, ['put', 'still', 'writable']);
    } finally {
      await cluster.stop();
    }
  });

  it('raises CORRUPT when a member restarted on changed data differs, and the cluster refuses puts', async () => {
    const cluster = await Cluster.start({ size: 3, extraFlags: FLAGS });
    try {
      const leader = await leaderOf(cluster);
      for (let i = 0; i < 10; i++) await etcdctlOk(leader.endpoint, ['put', `key${i}`, `value${i}`]);
      const fooRevision = await putRevision(leader, 'foo', 'bar');
      const victim = cluster.members.find((member) => member !== leader)!;
      const victimId = BigInt((await statusOf(victim)).memberId).toString(16);
      await waitFor('the follower at the leader revision', async () => (await statusOf(victim)).revision === fooRevision || undefined);
      assert.equal((await etcdctlOk(leader.endpoint, ['alarm', 'list'])).trim(), '');

      await victim.stop();
      await corruptValueAt(victim, fooRevision, 'foo');
      await victim.start();

      // Whoever leads now finds the differing member and raises the alarm through Raft.
      await waitFor('the CORRUPT alarm on every member', async () => {
        for (const member of cluster.members) {
          const alarms = (await etcdctlOk(member.endpoint, ['alarm', 'list'])).trim();
          // etcdctl prints the AlarmMember as Go's protobuf text, which leaves out member id 0.
          assert.ok(alarms === '' || alarms === 'alarm:CORRUPT', `${member.name}: ${alarms}`);
          if (alarms === '') return undefined;
        }
        return true;
      }, { timeoutMs: 30_000 }).catch(async (error: unknown) => {
        const outputs = cluster.members.map((member) => `--- ${member.name}\n${member.output.slice(-3000)}`).join('\n');
        throw new Error(`${String(error)}\n${outputs}`);
      });

      const currentLeader = await leaderOf(cluster);
      const warnings = findLog(currentLeader.output, 'same compact revision then hashes must match');
      assert.ok(warnings.length >= 1, currentLeader.output.slice(-4000));
      if (currentLeader !== victim) assert.equal(warnings[0]!['follower-peer-id'], victimId);
      assert.notEqual(warnings[0]!['leader-hash'], warnings[0]!['follower-hash']);
      assert.ok(findLog(currentLeader.output, 'alarm raised').some((record) => record['alarm'] === 'CORRUPT'), currentLeader.output.slice(-4000));

      for (const member of cluster.members) {
        const put = await etcdctl(member.endpoint, ['put', 'after', 'corrupt']);
        assert.notEqual(put.code, 0, `${member.name} accepted a put: ${put.stdout}`);
        assert.match(put.stderr, /etcdserver: corrupt cluster/);
      }
    } finally {
      await cluster.stop();
    }
  });
});
