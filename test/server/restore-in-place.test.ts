// A follower's state machine restored in place from a leader's database copy
// (what EtcdServer does with a Raft snapshot): the same StateMachine, KVStore,
// Lessor and WatchableStore objects go on, and open watchers resume from their
// own next revision against the new history: each event once, in revision
// order; a watcher whose next revision is now compacted gets the compacted
// response. "leader" and "follower" are two state machines applying the same
// entries; the follower stops part way, then restores the leader's export.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StateMachine } from '../../src/server/state-machine.js';
import type { InternalRaftRequest } from '../../src/server/internal-request.js';
import type { Event } from '../../src/mvcc/index.js';
import type { WatchResponse, WatchStream } from '../../src/mvcc/watch/index.js';
import { VirtualScheduler } from '../mvcc/watch/virtual-scheduler.js';
import { describe as describeEvent, takeAll } from '../mvcc/watch/watch-fixture.js';
import { deleteRequest, putRequest, rangeRequest } from './apply/requests.js';
import { removeStateMachineDirectories, testStateMachineOptions } from './state-machine-options.js';

after(removeStateMachineDirectories);

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const header = (revision: number) => ({ cluster_id: '1', member_id: '1', revision, raft_term: 1 });

/** A state machine applying "log entries" one per apply section, as EtcdServer does. */
class Member {
  appliedIndex = 0;
  readonly scheduler = new VirtualScheduler();
  readonly machine: StateMachine;

  constructor(name: string) {
    this.machine = StateMachine.open(testStateMachineOptions(`restore-in-place-${name}`, { backendBatchIntervalMs: 3_600_000, watchScheduler: this.scheduler }));
  }

  async apply(entries: InternalRaftRequest[]): Promise<void> {
    for (const entry of entries) {
      const outcome = this.machine.apply(entry, header);
      this.appliedIndex++;
      this.machine.endApplySection(this.appliedIndex, 1);
      if (outcome instanceof Error) throw outcome;
      await outcome; // a physical compaction: until its steps ran
    }
  }
}

const put = (key: string, value: string, lease = 0): InternalRaftRequest => ({ put: putRequest(key, value, { lease }) });
const del = (key: string): InternalRaftRequest => ({ delete_range: deleteRequest(key) });
const grant = (id: number): InternalRaftRequest => ({ lease_grant: { ID: id, TTL: 600 } });
const revoke = (id: number): InternalRaftRequest => ({ lease_revoke: { ID: id } });
const compact = (revision: number): InternalRaftRequest => ({ compaction: { revision, physical: true } });

/** Entries both members apply: revisions 2..8. */
const commonPrefix: InternalRaftRequest[] = [
  grant(100),
  put('a', '1'), // 2
  put('b', '1'), // 3
  put('c', '1'), // 4
  put('a', '2'), // 5
  put('leased', 'x', 100), // 6
  del('b'), // 7
  put('d', '1'), // 8
];

/** Entries only the leader applies before the follower restores its copy: revisions 9..15 and a compaction. */
function leaderOnly(compactAt: number): InternalRaftRequest[] {
  return [
    put('a', '3'), // 9
    put('c', '2'), // 10
    del('c'), // 11
    put('e', '1'), // 12
    compact(compactAt),
    put('a', '4'), // 13
    grant(200),
    put('leased', 'y', 100), // 14
    put('zz', '1'), // 15
  ];
}

interface WatchSpec {
  name: string;
  stream: WatchStream;
  id: number;
  matches(key: string): boolean;
  from: number;
  prevKv?: boolean;
  noPut?: boolean;
}

/** Every event the leader's store produced, with prev_kv where the key had a value. */
function recordHistory(member: Member): Event[] {
  const history: Event[] = [];
  member.machine.store.onEvents((events) => history.push(...events), { withPrevKv: true });
  return history;
}

/** What a watcher must have received in all: the history from its start revision, each event once, in order. */
function expected(history: readonly Event[], spec: WatchSpec): string[] {
  return history
    .filter((event) => event.kv.mod_revision >= spec.from && spec.matches(event.kv.key.toString('latin1')))
    .filter((event) => !(spec.noPut === true && event.type === 0))
    .map((event) => describeEvent(spec.prevKv === true ? event : { type: event.type, kv: event.kv }));
}

/** Takes the queued responses of every stream, by watch (stream, id). */
function collect(streams: WatchStream[], into: Map<WatchStream, WatchResponse[]>): void {
  for (const stream of streams) into.set(stream, [...(into.get(stream) ?? []), ...takeAll(stream)]);
}

function received(responses: Map<WatchStream, WatchResponse[]>, spec: WatchSpec): WatchResponse[] {
  return (responses.get(spec.stream) ?? []).filter((response) => response.watchId === spec.id);
}

function eventsOf(responses: readonly WatchResponse[]): string[] {
  return responses.flatMap((response) => response.events.map(describeEvent));
}

describe('a state machine restored in place from a snapshot', () => {
  it('keeps its objects; synced, behind and future watchers each get exactly the events after their next revision', async () => {
    const leader = new Member('leader');
    const follower = new Member('follower');
    const { machine } = follower;
    const objects = [machine.backend, machine.store, machine.lessor, machine.watchableStore];
    try {
      const history = recordHistory(leader);
      const first = machine.watchableStore.newStream();
      const second = machine.watchableStore.newStream();
      const streams = [first, second];
      // Synced watchers opened at revision 1: they see the common prefix live.
      const specs: WatchSpec[] = [
        { name: 'range [a, z)', stream: first, id: first.watch({ key: bytes('a'), end: bytes('z') }), matches: (key) => key >= 'a' && key < 'z', from: 2 },
        { name: 'key a with prev_kv', stream: first, id: first.watch({ key: bytes('a'), prevKv: true }), matches: (key) => key === 'a', from: 2, prevKv: true },
        { name: 'deletes of c', stream: second, id: second.watch({ key: bytes('c'), filters: { noPut: true } }), matches: (key) => key === 'c', from: 2, noPut: true },
        // A future start revision: synced, waiting for revision 13.
        { name: 'key a from 13', stream: second, id: second.watch({ key: bytes('a'), startRevision: 13 }), matches: (key) => key === 'a', from: 13 },
        // Still ahead of the restored store (at 15): back to synced, with nothing to catch up.
        { name: 'every key from 17', stream: second, id: second.watch({ key: bytes('\0'), end: 'unbounded', startRevision: 17 }), matches: () => true, from: 17 },
      ];
      await leader.apply(commonPrefix);
      await follower.apply(commonPrefix);
      // Behind: asks for history from revision 3; no catch-up pass has run yet.
      specs.push({ name: 'every key from 3', stream: second, id: second.watch({ key: bytes('\0'), end: 'unbounded', startRevision: 3 }), matches: () => true, from: 3 });
      assert.deepEqual(machine.watchableStore.watcherCounts, { synced: 5, unsynced: 1, victims: 0 });
      const responses = new Map<WatchStream, WatchResponse[]>();
      collect(streams, responses);
      const prefixHistory = history.filter((event) => event.kv.mod_revision <= 8);
      assert.equal(prefixHistory.length, 7);
      assert.deepEqual(eventsOf(received(responses, specs[0]!)), expected(prefixHistory, specs[0]!), 'the prefix arrived live');

      await leader.apply(leaderOnly(3));
      const database = await leader.machine.exportDatabase();
      await machine.restore(database);

      assert.deepEqual([machine.backend, machine.store, machine.lessor, machine.watchableStore], objects, 'the same objects');
      assert.equal(machine.currentRevision(), 15);
      assert.equal(machine.store.compactRevision, 3);
      assert.equal(machine.consistentIndex(), leader.appliedIndex, "the consistent index is the copy's");
      assert.deepEqual(machine.watchableStore.watcherCounts, { synced: 0, unsynced: 6, victims: 0 }, 'every watcher catches up');
      const everything = (member: Member) => member.machine.range(rangeRequest('\0', { range_end: Buffer.from([0]) })).kvs.map((kv) => `${kv.key}=${kv.value}@${kv.mod_revision}`);
      assert.deepEqual(everything(follower), everything(leader));
      // Leases came with the copy, and leased keys are attached to them again.
      assert.ok(machine.lessor.lookup(200) !== undefined);
      assert.equal(machine.lessor.leaseOfKey(bytes('leased')), 100);

      follower.scheduler.advance(1_000);
      assert.deepEqual(machine.watchableStore.watcherCounts, { synced: 6, unsynced: 0, victims: 0 });
      // Both go on from the same log: a put and a lease revoke (which deletes the leased key).
      follower.appliedIndex = leader.appliedIndex;
      const next = [put('a', '5'), revoke(100)]; // 16, 17
      await leader.apply(next);
      await follower.apply(next);
      follower.scheduler.advance(1_000);
      collect(streams, responses);

      for (const spec of specs) {
        const mine = received(responses, spec);
        assert.deepEqual(eventsOf(mine), expected(history, spec), spec.name);
        assert.ok(mine.every((response) => response.compactRevision === 0), `${spec.name}: not compacted`);
        const revisions = mine.flatMap((response) => response.events.map((event) => event.kv.mod_revision));
        assert.deepEqual(revisions, [...revisions].sort((a, b) => a - b), `${spec.name}: in revision order`);
      }
      assert.ok(eventsOf(received(responses, specs[0]!)).includes('DELETE leased@17'), 'revoking the recovered lease deleted its key');
      assert.deepEqual(eventsOf(received(responses, specs[4]!)), ['DELETE leased@17']);
      assert.equal(machine.currentRevision(), 17);
    } finally {
      await follower.machine.close();
      await leader.machine.close();
    }
  });

  it('a watcher whose next revision is below the new compaction gets the compacted response; a later one continues', async () => {
    const leader = new Member('leader');
    const follower = new Member('follower');
    const { machine } = follower;
    try {
      const history = recordHistory(leader);
      const stream = machine.watchableStore.newStream();
      const synced = stream.watch({ key: bytes('a'), end: bytes('z') }); // next revision 9 after the prefix
      const future = stream.watch({ key: bytes('\0'), end: 'unbounded', startRevision: 11 });
      await leader.apply(commonPrefix);
      await follower.apply(commonPrefix);
      const behind = stream.watch({ key: bytes('a'), startRevision: 2 });
      const before = takeAll(stream);
      assert.equal(eventsOf(before.filter((response) => response.watchId === synced)).length, 7);

      await leader.apply(leaderOnly(10));
      await machine.restore(await leader.machine.exportDatabase());
      assert.equal(machine.store.compactRevision, 10);
      follower.scheduler.advance(1_000);
      const after = takeAll(stream);

      for (const id of [synced, behind]) {
        const mine = after.filter((response) => response.watchId === id);
        assert.deepEqual(mine.map((response) => [response.compactRevision, response.events.length]), [[10, 0]], `watch ${id}: one compacted response`);
      }
      const spec: WatchSpec = { name: 'every key from 11', stream, id: future, matches: () => true, from: 11 };
      assert.deepEqual(eventsOf(after.filter((response) => response.watchId === future)), expected(history, spec));
      assert.deepEqual(machine.watchableStore.watcherCounts, { synced: 1, unsynced: 0, victims: 0 });
      // The stream stays open: the surviving watcher gets the next write live, and new watchers can be added.
      const fresh = stream.watch({ key: bytes('a') });
      follower.appliedIndex = leader.appliedIndex;
      await follower.apply([put('a', '5')]); // 16
      const live = takeAll(stream).sort((a, b) => a.watchId - b.watchId);
      assert.deepEqual(
        live.map((response) => [response.watchId, eventsOf([response])]),
        [
          [future, ['PUT a=5@16']],
          [fresh, ['PUT a=5@16']],
        ].sort((a, b) => (a[0] as number) - (b[0] as number)),
      );
    } finally {
      await follower.machine.close();
      await leader.machine.close();
    }
  });

  it('a physical compaction running on the follower stops; the restored store compacts and serves the copy', async () => {
    const leader = new Member('leader');
    const follower = new Member('follower');
    const { machine } = follower;
    try {
      await leader.apply(commonPrefix);
      await follower.apply(commonPrefix);
      await leader.apply([compact(6), ...leaderOnly(10).filter((entry) => entry.compaction === undefined)]);
      const database = await leader.machine.exportDatabase();
      // The follower applies a compaction; the restore comes before its first step ran.
      const pending = machine.apply(compact(6), header) as Promise<unknown>;
      follower.appliedIndex++;
      machine.endApplySection(follower.appliedIndex, 1);
      const restoring = machine.restore(database);
      await assert.rejects(pending, /compaction stopped/);
      await restoring;
      assert.equal(machine.store.compactRevision, 6);
      assert.equal(machine.currentRevision(), 15);
      await machine.store.compactionsFinished();
      // A compaction through the restored store works on the new contents.
      follower.appliedIndex = leader.appliedIndex;
      await follower.apply([compact(12)]);
      assert.equal(machine.store.compactRevision, 12);
      assert.deepEqual(machine.range(rangeRequest('a')).kvs.map((kv) => kv.value.toString()), ['4']);
    } finally {
      await follower.machine.close();
      await leader.machine.close();
    }
  });
});
