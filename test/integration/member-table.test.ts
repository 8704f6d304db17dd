// The member table in the backend (etcd 3.5's `members` and `members_removed`
// buckets) on real members: a conf change and its applied index survive a
// kill together or not at all; a data dir whose buckets are empty (written
// before the table was kept there) restarts with its members and gets the
// buckets filled; a follower restored from the leader's snapshot gets the
// leader's table. Members run in this process (src/embed), on free ports.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, startMember, type Member } from 'etcd-ts';
import { Backend } from '../../src/backend/index.js';
import { MemberTableStore, type StoredMemberTable } from '../../src/server/membership/member-table-store.js';
import type { MemberRecord } from '../../src/server/membership/member-record.js';
import { parseId } from '../../src/server/membership/ids.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';
import { recordingLogger } from '../support/recording-logger.js';
import { putRequest } from '../server/apply/requests.js';

const jsonOf = (members: MemberRecord[]) => JSON.stringify(members, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
const byId = (a: MemberRecord, b: MemberRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** What a stopped member's backend holds: the table and the applied index. */
async function readBackend(member: Member): Promise<{ table: StoredMemberTable | undefined; appliedIndex: number }> {
  const backend = Backend.open(join(member.dataDir, 'member', 'snap'));
  try {
    return { table: new MemberTableStore(backend).read(), appliedIndex: backend.consistentIndex().index };
  } finally {
    await backend.close();
  }
}

/** A data dir as a build before the table was kept in the backend left it. */
async function emptyMemberBuckets(member: Member): Promise<void> {
  const backend = Backend.open(join(member.dataDir, 'member', 'snap'));
  try {
    for (const bucket of ['members', 'members_removed'] as const) {
      for (const { key } of backend.range(bucket, Buffer.alloc(0), undefined)) backend.batchTx().delete(bucket, key);
    }
  } finally {
    await backend.close();
  }
}

function serverOf(member: Member) {
  const server = member.server;
  assert.ok(server, `${member.name} is running`);
  return server;
}

async function learnerUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

describe('member table in the backend', { timeout: 120_000 }, () => {
  it('a conf change not yet committed to the backend is lost with its applied index in a kill, and replayed from the WAL', async () => {
    // An hour-long batch interval: nothing reaches the backend between a graceful stop and the kill.
    await using member = await startMember({ backendBatchInterval: '1h' });
    await member.stop(); // commits: the table with this member published
    const before = await readBackend(member);
    assert.deepEqual(before.table?.members.map((record) => record.name), [member.name]);

    await member.restart();
    const { member: learner } = await serverOf(member).membership.add([await learnerUrl()], true);
    const addIndex = serverOf(member).appliedIndex;
    await member.kill();
    const afterKill = await readBackend(member);
    assert.ok(afterKill.appliedIndex < addIndex, `applied index ${afterKill.appliedIndex} is before the conf change's ${addIndex}`);
    assert.equal(afterKill.table?.members.some((record) => record.id === learner.id), false, 'nor is the learner in the table');

    await member.restart();
    // The backend's table, then the conf change replayed from the WAL.
    const table = serverOf(member).members();
    assert.deepEqual(table.find((record) => record.id === parseId(member.id))?.isLearner, false);
    assert.deepEqual(table.find((record) => record.id === learner.id)?.isLearner, true);
    assert.equal(table.length, 2);
    await member.stop();
    const afterStop = await readBackend(member);
    assert.ok(afterStop.appliedIndex >= addIndex);
    assert.deepEqual(afterStop.table?.members.find((record) => record.id === learner.id), { id: learner.id, name: '', peerUrls: learner.peerUrls, clientUrls: [], isLearner: true });
  });

  it('a conf change committed to the backend is there with its applied index after a kill', async () => {
    // A batch of one write commits at the end of its apply section.
    await using member = await startMember({ backendBatchLimit: 1, backendBatchInterval: '1h' });
    const { member: learner } = await serverOf(member).membership.add([await learnerUrl()], true);
    const addIndex = serverOf(member).appliedIndex;
    await member.kill();
    const afterKill = await readBackend(member);
    assert.ok(afterKill.appliedIndex >= addIndex, `applied index ${afterKill.appliedIndex} covers the conf change's ${addIndex}`);
    assert.deepEqual(afterKill.table?.members.find((record) => record.id === learner.id)?.isLearner, true);
    await member.restart();
    assert.ok(serverOf(member).members().some((record) => record.id === learner.id && record.isLearner));
  });

  it('a data dir with empty member buckets restarts with its members, rebuilt from the snapshot record and the WAL, and gets the buckets filled', async () => {
    await using member = await startMember({ snapshotCount: 5 });
    const server = serverOf(member);
    const { member: removed } = await server.membership.add([await learnerUrl()], true);
    // Enough entries for a Raft snapshot that holds the first learner.
    const snapDir = join(member.dataDir, 'member', 'snap');
    let key = 0;
    await waitFor('a Raft snapshot', async () => {
      await server.put(putRequest(`key/${key++}`, 'v'));
      return readdirSync(snapDir).some((name) => name.endsWith('.snap'));
    });
    // Then, in the WAL after it: a removal, another learner, a peer URL update.
    await server.membership.remove(removed.id);
    const { member: kept } = await server.membership.add([await learnerUrl()], true);
    await server.membership.update(kept.id, [await learnerUrl()]);
    const expected = server.members().map((record) => structuredClone(record)).sort(byId);
    assert.equal(expected.length, 2);
    await member.stop();
    await emptyMemberBuckets(member);
    assert.equal((await readBackend(member)).table, undefined);

    await member.restart();
    assert.deepEqual(serverOf(member).members(), expected);
    await member.stop();
    const filled = await readBackend(member);
    assert.deepEqual(filled.table, { members: [...expected].sort((a, b) => Buffer.compare(Buffer.from(a.id.toString(16)), Buffer.from(b.id.toString(16)))), removedIds: [removed.id] });

    // From now on the backend is the source: it is read back as it is.
    await member.restart();
    assert.deepEqual(serverOf(member).members(), expected);
  });

  it('a follower restored from the leader\'s snapshot has the leader\'s member table, in memory and in its buckets', async () => {
    const logger = recordingLogger();
    // Changes while a member is down need the strict check off.
    // `logger` is both a flag (a string) and the embedding's Logger in the option types: cast to the latter.
    await using cluster = await startCluster({ size: 3, snapshotCount: 10, experimentalSnapshotCatchupEntries: 5, strictReconfigCheck: false, logger: logger as never });
    const leader = await cluster.waitLeader();
    const followerIndex = (cluster.indexOf(leader) + 1) % 3;
    const follower = cluster.members[followerIndex]!;
    await cluster.stop(followerIndex);

    const leaderServer = serverOf(leader);
    const { member: learner } = await leaderServer.membership.add([await learnerUrl()], true);
    for (let key = 0; key < 40; key++) await leaderServer.put(putRequest(`key/${key}`, 'v'));
    const leaderTable = leaderServer.members().map((record) => structuredClone(record));
    assert.ok(leaderTable.some((record) => record.id === learner.id));

    await cluster.restart(followerIndex);
    await waitFor('the follower to apply a snapshot from the leader', () => logger.lines.some((line) => line.msg === 'applied snapshot'));
    await waitFor('the follower to hold the leader\'s member table', () => jsonOf(serverOf(follower).members()) === jsonOf(leaderTable));
    await cluster.stop(followerIndex);
    const stored = await readBackend(follower);
    assert.deepEqual(stored.table?.members.sort(byId), leaderTable);
  });
});
