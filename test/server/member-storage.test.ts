// MemberStorage keeps the member table in the backend's buckets: changes go
// into the batch that records their entry's applied index; a restart reads
// the table back; a data dir from before (empty buckets) rebuilds it from the
// snapshot record and the log and writes it whole once the backend moves past
// its applied index; a snapshot from the leader brings the leader's table.
// A real WAL, real backends and real snapshot files.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/backend/index.js';
import { MemoryStorage } from '../../src/raft/index.js';
import { ConfChangeType, type ConfChange } from '../../src/raft/types.js';
import { WriteAheadLog } from '../../src/wal/index.js';
import { silentLogger } from '../../src/pkg/logger.js';
import { MemberStorage } from '../../src/server/member-storage.js';
import { encodeWalMetadata, type BootstrappedState } from '../../src/server/bootstrap/bootstrapped-state.js';
import { memberConfChange } from '../../src/server/membership/member-context.js';
import { formatId } from '../../src/server/membership/ids.js';
import { MemberTableStore, type StoredMemberTable } from '../../src/server/membership/member-table-store.js';
import { readSnapshots, type SnapshotMember, type SnapshotRecord } from '../../src/server/snapshot-files.js';
import type { MemberRecord } from '../../src/server/membership/member-record.js';

const directories: string[] = [];
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers.splice(0)) await close().catch(() => undefined);
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function temporaryDirectory(name: string): string {
  const directory = mkdtempSync(join(tmpdir(), `member-storage-${name}-`));
  directories.push(directory);
  return directory;
}

const LOCAL = 0x8e9e05c52164694dn;
const OTHER = 0x91bc3c398fb3c146n;
// Above 2^53, as most member ids are.
const LEARNER = 0xfedcba9876543211n;

const local: MemberRecord = { id: LOCAL, name: 'local', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], isLearner: false };
const other: MemberRecord = { id: OTHER, name: 'other', peerUrls: ['http://127.0.0.2:2380'], clientUrls: ['http://127.0.0.2:2379'], isLearner: false };

function asSnapshotMember(member: MemberRecord): SnapshotMember {
  return { id: formatId(member.id), name: member.name, peerUrls: member.peerUrls, clientUrls: member.clientUrls, isLearner: member.isLearner };
}

function addLearner(id: bigint, peerUrl: string): ConfChange {
  return memberConfChange(ConfChangeType.AddLearnerNode, { id: formatId(id), name: '', peerUrls: [peerUrl], isLearner: true });
}

function removeMember(id: bigint): ConfChange {
  return memberConfChange(ConfChangeType.RemoveNode, { id: formatId(id), name: '', peerUrls: [], isLearner: false });
}

function attributes(id: bigint, name: string, clientUrl: string) {
  return { member_ID: formatId(id), member_attributes: { name, client_urls: [clientUrl] } };
}

interface Harness {
  storage: MemberStorage;
  backend: Backend;
  snapDir: string;
}

/** A member's storage over the backend in `backendDirectory` (opened here) and a fresh WAL. */
async function openStorage(backendDirectory: string, snapshot: SnapshotRecord | undefined): Promise<Harness> {
  const backend = Backend.open(backendDirectory);
  closers.push(() => backend.close());
  const walDir = join(temporaryDirectory('wal'), 'wal');
  const wal = await WriteAheadLog.create(walDir, encodeWalMetadata({ memberId: formatId(LOCAL), clusterId: '1' }));
  closers.push(() => wal.close());
  const state: BootstrappedState = {
    mode: 'restart',
    memberId: LOCAL,
    clusterId: 1n,
    wal,
    raftLog: MemoryStorage.withConfState({ voters: [], learners: [] }),
    snapshot,
    joinedClusterMembers: [],
  };
  const snapDir = temporaryDirectory('snap');
  return { storage: new MemberStorage(state, new MemberTableStore(backend), snapDir, 5, silentLogger), backend, snapDir };
}

function storedTable(backend: Backend): StoredMemberTable | undefined {
  return new MemberTableStore(backend).read();
}

describe('member storage and the backend\'s member table', () => {
  it('writes a change into the batch of its applied index: committed together, or lost together', async () => {
    const directory = temporaryDirectory('backend');
    const seeded = Backend.open(directory);
    new MemberTableStore(seeded).writeAll({ members: [local, other], removedIds: [] });
    seeded.batchTx().setConsistentIndex(10, 2);
    await seeded.close();

    // Entry 11 adds a learner; the process dies before the batch commits.
    let harness = await openStorage(directory, undefined);
    assert.deepEqual(harness.storage.members(), [local, other]);
    harness.storage.applyMemberChange(addLearner(LEARNER, 'http://127.0.0.3:2380'), false);
    harness.storage.endApplySection(11, 10);
    harness.backend.batchTx().setConsistentIndex(11, 2);
    assert.equal(harness.backend.committedConsistentIndex().index, 10);
    harness.backend.batchTx().clear(); // what a kill -9 loses
    await harness.backend.close();
    let reopened = Backend.open(directory);
    assert.equal(reopened.consistentIndex().index, 10);
    assert.deepEqual(storedTable(reopened)?.members, [local, other], 'neither the learner nor index 11');
    await reopened.close();

    // The same entry again; this time the batch commits.
    harness = await openStorage(directory, undefined);
    harness.storage.applyMemberChange(addLearner(LEARNER, 'http://127.0.0.3:2380'), false);
    harness.storage.endApplySection(11, 10);
    harness.backend.batchTx().setConsistentIndex(11, 2);
    harness.backend.commit();
    harness.backend.batchTx().clear();
    await harness.backend.close();
    reopened = Backend.open(directory);
    assert.equal(reopened.consistentIndex().index, 11);
    const learner: MemberRecord = { id: LEARNER, name: '', peerUrls: ['http://127.0.0.3:2380'], clientUrls: [], isLearner: true };
    assert.deepEqual(storedTable(reopened)?.members, [local, other, learner], 'both the learner and index 11');
    await reopened.close();

    // A restart reads the table back; Raft delivers entry 11 again, which the table already has.
    harness = await openStorage(directory, undefined);
    assert.deepEqual(harness.storage.members(), [local, other, learner]);
    const replayed = harness.storage.applyMemberChange(removeMember(LEARNER), true);
    assert.equal(replayed.replayed, true);
    assert.deepEqual(harness.storage.members(), [local, other, learner], 'a change at or below the applied index is not applied twice');
    // Then a removal past it: gone from `members`, marked in `members_removed`.
    harness.storage.applyMemberChange(removeMember(LEARNER), false);
    harness.storage.setMemberAttributes(attributes(OTHER, 'renamed', 'http://127.0.0.2:3379'), false);
    harness.storage.endApplySection(13, 11);
    harness.backend.batchTx().setConsistentIndex(13, 2);
    await harness.backend.close();
    reopened = Backend.open(directory);
    assert.deepEqual(storedTable(reopened), {
      members: [local, { ...other, name: 'renamed', clientUrls: ['http://127.0.0.2:3379'] }],
      removedIds: [LEARNER],
    });
    await reopened.close();
  });

  it('rebuilds a table the backend does not hold from the snapshot record and the log, then writes it whole past the applied index', async () => {
    const directory = temporaryDirectory('backend');
    const seeded = Backend.open(directory);
    seeded.batchTx().setConsistentIndex(10, 2);
    await seeded.close();
    const snapshot: SnapshotRecord = { index: 5, term: 2, confState: { voters: [LOCAL, OTHER], learners: [] }, members: [local, other].map(asSnapshotMember) };

    const harness = await openStorage(directory, snapshot);
    assert.deepEqual(harness.storage.members(), [local, other], 'from the snapshot record');
    // Entries 6..10 are in the backend's data, but not in a table it has: applied to the table again.
    const added = harness.storage.applyMemberChange(addLearner(LEARNER, 'http://127.0.0.3:2380'), true);
    assert.equal(added.replayed, undefined);
    harness.storage.setMemberAttributes(attributes(LEARNER, 'learner', 'http://127.0.0.3:2379'), true);
    harness.storage.applyMemberChange(removeMember(OTHER), true);
    harness.storage.endApplySection(10, 10);
    assert.equal(storedTable(harness.backend), undefined, 'nothing written while the table is behind the backend');
    // Entry 11 takes the backend past 10: the whole table goes into that batch.
    harness.storage.setMemberAttributes(attributes(LOCAL, 'local', 'http://127.0.0.1:3379'), false);
    assert.equal(storedTable(harness.backend), undefined);
    harness.storage.endApplySection(11, 10);
    harness.backend.batchTx().setConsistentIndex(11, 2);
    const learner: MemberRecord = { id: LEARNER, name: 'learner', peerUrls: ['http://127.0.0.3:2380'], clientUrls: ['http://127.0.0.3:2379'], isLearner: true };
    const expected: StoredMemberTable = { members: [{ ...local, clientUrls: ['http://127.0.0.1:3379'] }, learner], removedIds: [OTHER] };
    assert.deepEqual(storedTable(harness.backend), expected);
    assert.deepEqual(harness.storage.removedMemberIds(), [OTHER]);
    await harness.backend.close();

    const reopened = await openStorage(directory, snapshot);
    assert.deepEqual(reopened.storage.members(), expected.members, 'the backend is the source once it holds the table, not the older snapshot record');
    assert.deepEqual(reopened.storage.removedMemberIds(), [OTHER]);
  });

  it('takes the member table of a snapshot from the leader out of the leader\'s database copy', async () => {
    const learner: MemberRecord = { id: LEARNER, name: 'learner', peerUrls: ['http://127.0.0.3:2380'], clientUrls: [], isLearner: true };
    const leader = Backend.open(temporaryDirectory('leader'));
    closers.push(() => leader.close());
    new MemberTableStore(leader).writeAll({ members: [local, other, learner], removedIds: [0x2an] });
    leader.batchTx().setConsistentIndex(40, 3);
    const database = await leader.snapshotBytes();

    const follower = await openStorage(temporaryDirectory('follower'), undefined);
    new MemberTableStore(follower.backend).writeAll({ members: [local], removedIds: [] });
    follower.backend.batchTx().setConsistentIndex(3, 1);
    follower.backend.commit();
    await follower.backend.restore(database);
    // The list the snapshot carries besides names only `local`: the copy's buckets win.
    const metadata = { index: 30, term: 3, confState: { voters: [LOCAL, OTHER], learners: [LEARNER] } };
    await follower.storage.saveReceivedSnapshot(metadata, [asSnapshotMember(local)]);
    assert.deepEqual(follower.storage.members(), [local, other, learner]);
    assert.deepEqual(follower.storage.removedMemberIds(), [0x2an]);
    // Entries up to the copy's index 40 are in its table already.
    assert.equal(follower.storage.applyMemberChange(removeMember(LEARNER), true).replayed, true);
    assert.deepEqual(follower.storage.members(), [local, other, learner]);
    const [record] = await readSnapshots(follower.snapDir);
    assert.equal(record?.index, 30);
    assert.deepEqual(record?.members.map((member) => member.id), [local, other, learner].map((member) => formatId(member.id)));

    // A copy without the buckets (from a build that kept none): the carried list serves.
    const older = Backend.open(temporaryDirectory('older-leader'));
    closers.push(() => older.close());
    older.batchTx().setConsistentIndex(50, 3);
    await follower.backend.restore(await older.snapshotBytes());
    await follower.storage.saveReceivedSnapshot({ ...metadata, index: 50 }, [local, other].map(asSnapshotMember));
    assert.deepEqual(follower.storage.members(), [local, other]);
  });
});
