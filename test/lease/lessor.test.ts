import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyLeaseCheckpoint,
  applyLeaseGrant,
  applyLeaseRevoke,
  LeaseExistsError,
  LeaseNotFoundError,
  LeaseTtlTooLargeError,
  NotPrimaryError,
} from '../../src/lease/index.js';
import { EventType, type Event } from '../../src/mvcc/index.js';
import { bytes, put, withLessor } from './helpers.js';

const extendMs = 1000; // what the server passes to promote: the election timeout

describe('lessor: grant', () => {
  it(
    'grants with the requested TTL, raising short ones to the minimum',
    withLessor(({ lessor }) => {
      assert.deepEqual(applyLeaseGrant(lessor, { ID: 1, TTL: 60 }), { ID: 1, TTL: 60, error: '' });
      assert.deepEqual(applyLeaseGrant(lessor, { ID: 2, TTL: 1 }), { ID: 2, TTL: 2, error: '' });
      assert.deepEqual(applyLeaseGrant(lessor, { ID: 3, TTL: -5 }), { ID: 3, TTL: 2, error: '' });
      assert.equal(lessor.leaseCount, 3);
    }),
  );

  it(
    'refuses an ID in use, ID 0, and a TTL above MaxLeaseTTL with etcd errors',
    withLessor(({ lessor }) => {
      applyLeaseGrant(lessor, { ID: 7, TTL: 10 });
      assert.throws(() => applyLeaseGrant(lessor, { ID: 7, TTL: 10 }), (error: unknown) => error instanceof LeaseExistsError && error.message === 'etcdserver: lease already exists' && error.grpcCode === 'FailedPrecondition');
      assert.throws(() => applyLeaseGrant(lessor, { ID: 0, TTL: 10 }), LeaseNotFoundError);
      assert.throws(() => applyLeaseGrant(lessor, { ID: 8, TTL: 9_000_000_001 }), (error: unknown) => error instanceof LeaseTtlTooLargeError && error.message === 'etcdserver: too large lease TTL' && error.grpcCode === 'OutOfRange');
      assert.equal(applyLeaseGrant(lessor, { ID: 9, TTL: 9_000_000_000 }).TTL, 9_000_000_000);
      assert.equal(lessor.leaseCount, 2);
    }),
  );
});

describe('lessor: expiry on the primary', () => {
  it(
    'a follower lessor never expires leases and refuses renew and time-to-live',
    withLessor(async ({ lessor, clock }) => {
      applyLeaseGrant(lessor, { ID: 1, TTL: 5 });
      clock.advance(3_600_000);
      assert.deepEqual(lessor.expiredLeases(100), []);
      await assert.rejects(lessor.renew(1), NotPrimaryError);
      assert.throws(() => lessor.timeToLive(1, false), NotPrimaryError);
    }),
  );

  it(
    'reports expired leases soonest first, at most `limit`, and again after the retry interval',
    withLessor(
      ({ lessor, clock }) => {
        lessor.promote(0);
        applyLeaseGrant(lessor, { ID: 30, TTL: 30 });
        applyLeaseGrant(lessor, { ID: 10, TTL: 10 });
        applyLeaseGrant(lessor, { ID: 20, TTL: 20 });
        applyLeaseGrant(lessor, { ID: 11, TTL: 10 });
        clock.advance(9_999);
        assert.deepEqual(lessor.expiredLeases(100), []);
        clock.advance(1);
        assert.deepEqual(lessor.expiredLeases(1), [10]);
        assert.deepEqual(lessor.expiredLeases(100), [11]);
        // Not revoked yet: reported again only once the retry interval has passed.
        clock.advance(4_999);
        assert.deepEqual(lessor.expiredLeases(100), []);
        clock.advance(1);
        assert.deepEqual(lessor.expiredLeases(100), [10, 11]);
        // Now 10 and 11 are due again at the same time as 20 (ties by ID), then 30.
        clock.advance(15_000);
        assert.deepEqual(lessor.expiredLeases(100), [10, 11, 20, 30]);
      },
      { expiredLeaseRetryIntervalMs: 5_000 },
    ),
  );

  it(
    'renew restarts the full TTL and moves the lease in the expiry order',
    withLessor(async ({ lessor, clock }) => {
      lessor.promote(0);
      applyLeaseGrant(lessor, { ID: 1, TTL: 10 });
      applyLeaseGrant(lessor, { ID: 2, TTL: 10 });
      clock.advance(8_000);
      assert.equal(await lessor.renew(1), 10);
      assert.deepEqual(lessor.timeToLive(1, false), { id: 1, ttlSeconds: 10, remainingSeconds: 10, keys: [] });
      assert.equal(lessor.timeToLive(2, false).remainingSeconds, 2);
      assert.deepEqual(lessor.leaseIds(), [2, 1]);
      clock.advance(2_000);
      assert.deepEqual(lessor.expiredLeases(100), [2]);
      clock.advance(8_000);
      // 2 is reported again: its revoke was never applied.
      assert.deepEqual(lessor.expiredLeases(100), [2, 1]);
      await assert.rejects(lessor.renew(99), LeaseNotFoundError);
    }),
  );

  it(
    'renewing an expired lease waits for its revoke (not found) or for demotion (not primary)',
    withLessor(async ({ lessor, clock, store }) => {
      lessor.promote(0);
      applyLeaseGrant(lessor, { ID: 1, TTL: 5 });
      applyLeaseGrant(lessor, { ID: 2, TTL: 5 });
      clock.advance(5_000);
      let settled = false;
      const renewal = lessor.renew(1).finally(() => (settled = true));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(settled, false);
      applyLeaseRevoke(lessor, () => store.write(), { ID: 1 });
      await assert.rejects(renewal, LeaseNotFoundError);

      const second = lessor.renew(2);
      lessor.demote();
      await assert.rejects(second, NotPrimaryError);
    }),
  );

  it(
    'promote extends every lease by the given time; demote stops expiry until the next promote',
    withLessor(({ lessor, clock }) => {
      applyLeaseGrant(lessor, { ID: 1, TTL: 10 });
      clock.advance(60_000); // time on a follower does not count
      lessor.promote(extendMs);
      assert.equal(lessor.timeToLive(1, false).remainingSeconds, 11);
      clock.advance(10_999);
      assert.deepEqual(lessor.expiredLeases(10), []);
      lessor.demote();
      clock.advance(60_000);
      assert.deepEqual(lessor.expiredLeases(10), []);
      lessor.promote(extendMs);
      clock.advance(10_999);
      assert.deepEqual(lessor.expiredLeases(10), []);
      clock.advance(1);
      assert.deepEqual(lessor.expiredLeases(10), [1]);
    }),
  );

  it(
    'promote spreads a pile of leases expiring together over seconds at 3/4 of the revoke rate',
    withLessor(
      ({ lessor, clock }) => {
        for (let id = 1; id <= 40; id++) applyLeaseGrant(lessor, { ID: id, TTL: 10 });
        lessor.promote(0);
        // Revoke rate 20/s: at most 15 leases may expire within any second. As in
        // etcd, the 16th and later are pushed back by expiries / 15 seconds.
        const expiredPerSecond: number[] = [];
        for (let second = 9; second <= 14; second++) {
          clock.currentMs = 1_000_000 + second * 1000;
          expiredPerSecond.push(lessor.expiredLeases(1000).length);
        }
        assert.deepEqual(expiredPerSecond, [0, 15, 0, 15, 10, 0]);
      },
      { leaseRevokeRatePerSecond: 20, expiredLeaseRetryIntervalMs: 60_000 },
    ),
  );
});

describe('lessor: keys and revoke', () => {
  it(
    'follows keys as MVCC attaches, moves and deletes them',
    withLessor(({ lessor, store }) => {
      applyLeaseGrant(lessor, { ID: 1, TTL: 10 });
      applyLeaseGrant(lessor, { ID: 2, TTL: 10 });
      lessor.promote(0);
      put(store, 'b', 'x', 1);
      put(store, 'a', 'x', 1);
      put(store, 'c', 'x', 1);
      put(store, 'c', 'y', 2); // moves to lease 2
      put(store, 'd', 'x', 1);
      put(store, 'd', 'y', 0); // leaves its lease
      const deleteTxn = store.write();
      deleteTxn.deleteRange(bytes('b'), undefined);
      deleteTxn.end();
      assert.deepEqual(lessor.timeToLive(1, true).keys.map(String), ['a']);
      assert.deepEqual(lessor.timeToLive(2, true).keys.map(String), ['c']);
      assert.equal(lessor.leaseOfKey(bytes('c')), 2);
      assert.equal(lessor.leaseOfKey(bytes('d')), 0);
    }),
  );

  it(
    'keeps any key bytes exactly and lists them in byte order',
    withLessor(({ lessor, store }) => {
      applyLeaseGrant(lessor, { ID: 1, TTL: 10 });
      lessor.promote(0);
      // put() takes latin1 strings: one char per byte, including 0x00, 0x80 and 0xff.
      for (const key of ['\u00ff', 'a', '\u0000\u0001', '\u0080', 'a\u0000']) put(store, key, 'x', 1);
      assert.deepEqual(lessor.timeToLive(1, true).keys, [
        Buffer.from([0x00, 0x01]),
        Buffer.from('a'),
        Buffer.from([0x61, 0x00]),
        Buffer.from([0x80]),
        Buffer.from([0xff]),
      ]);
      assert.equal(lessor.leaseOfKey(Buffer.from([0xff])), 1);
      assert.equal(lessor.leaseOfKey(Buffer.from([0xc3, 0xbf])), 0); // 'ÿ' in UTF-8 is another key
    }),
  );

  it(
    'revoke deletes every attached key in one revision, in key order, and forgets the lease',
    withLessor(({ lessor, store }) => {
      applyLeaseGrant(lessor, { ID: 5, TTL: 10 });
      for (const key of ['k3', 'k1', 'k2']) put(store, key, 'v', 5);
      put(store, 'other', 'v', 0);
      const revisionBefore = store.currentRevision;
      const seen: Array<{ events: readonly Event[]; revision: number }> = [];
      store.onEvents((events, revision) => seen.push({ events, revision }));

      const { deletedKeys } = applyLeaseRevoke(lessor, () => store.write(), { ID: 5 });
      assert.deepEqual(deletedKeys.map(String), ['k1', 'k2', 'k3']);
      assert.equal(store.currentRevision, revisionBefore + 1);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.revision, revisionBefore + 1);
      assert.deepEqual(seen[0]!.events.map((event) => [event.type, String(event.kv.key)]), [
        [EventType.DELETE, 'k1'],
        [EventType.DELETE, 'k2'],
        [EventType.DELETE, 'k3'],
      ]);
      assert.equal(store.range(bytes('k'), bytes('l')).kvs.length, 0);
      assert.equal(store.range(bytes('other'), undefined).kvs.length, 1);
      assert.equal(lessor.lookup(5), undefined);
      assert.equal(lessor.leaseOfKey(bytes('k1')), 0);
      assert.throws(() => applyLeaseRevoke(lessor, () => store.write(), { ID: 5 }), (error: unknown) => error instanceof LeaseNotFoundError && error.message === 'etcdserver: requested lease not found' && error.grpcCode === 'NotFound');
    }),
  );

  it(
    'revoking a lease without keys changes no revision',
    withLessor(({ lessor, store }) => {
      applyLeaseGrant(lessor, { ID: 5, TTL: 10 });
      const revisionBefore = store.currentRevision;
      applyLeaseRevoke(lessor, () => store.write(), { ID: 5 });
      assert.equal(store.currentRevision, revisionBefore);
      assert.equal(lessor.leaseCount, 0);
    }),
  );

  it(
    'a revoked lease is no longer reported as expired',
    withLessor(({ lessor, store, clock }) => {
      lessor.promote(0);
      applyLeaseGrant(lessor, { ID: 1, TTL: 5 });
      applyLeaseGrant(lessor, { ID: 2, TTL: 5 });
      clock.advance(5_000);
      assert.deepEqual(lessor.expiredLeases(10), [1, 2]);
      applyLeaseRevoke(lessor, () => store.write(), { ID: 1 });
      clock.advance(10_000);
      assert.deepEqual(lessor.expiredLeases(10), [2]);
    }),
  );
});

describe('lessor: persistence', () => {
  it(
    'recovers leases, TTLs, checkpoints and attached keys from the backend',
    withLessor(async (fixture) => {
      applyLeaseGrant(fixture.lessor, { ID: 1, TTL: 60 });
      applyLeaseGrant(fixture.lessor, { ID: 2, TTL: 1 });
      applyLeaseGrant(fixture.lessor, { ID: 3, TTL: 30 });
      applyLeaseCheckpoint(fixture.lessor, { checkpoints: [{ ID: 1, remaining_TTL: 25 }] });
      put(fixture.store, 'held', 'v', 1);
      put(fixture.store, 'gone', 'v', 3);
      applyLeaseRevoke(fixture.lessor, () => fixture.store.write(), { ID: 3 });
      fixture.backend.batchTx().setConsistentIndex(10, 2);
      await fixture.reopen();

      const { lessor } = fixture;
      assert.deepEqual(lessor.leaseIds(), [1, 2]);
      assert.equal(lessor.lookup(1)!.ttlSeconds, 60);
      assert.equal(lessor.lookup(1)!.remainingTtlSeconds, 25);
      assert.equal(lessor.lookup(2)!.ttlSeconds, 2);
      assert.equal(lessor.leaseOfKey(bytes('held')), 1);
      // A promoted lessor starts from the checkpointed remainder.
      lessor.promote(extendMs);
      assert.equal(lessor.timeToLive(1, true).remainingSeconds, 26);
      assert.deepEqual(lessor.timeToLive(1, true).keys.map(String), ['held']);
    }),
  );

  it(
    'writes lease records into the current batch only (they commit with the applied index)',
    withLessor(({ lessor, backend }) => {
      applyLeaseGrant(lessor, { ID: 1, TTL: 60 });
      assert.equal(backend.range('lease', Buffer.alloc(0), undefined).length, 1);
      assert.ok(backend.batchTx().pendingWrites > 0);
    }),
  );
});

describe('lessor: checkpoints', () => {
  const checkpointOptions = (proposed: unknown[][]) => ({
    checkpointIntervalMs: 10_000,
    proposeCheckpoint: async (request: { checkpoints: unknown[] }) => {
      proposed.push(request.checkpoints);
    },
  });

  it('are due every interval for leases longer than it, with the remaining TTL rounded up', async () => {
    const proposed: unknown[][] = [];
    await withLessor(({ lessor, clock }) => {
      lessor.promote(0);
      applyLeaseGrant(lessor, { ID: 1, TTL: 60 });
      applyLeaseGrant(lessor, { ID: 2, TTL: 5 }); // shorter than the interval: never checkpointed
      clock.advance(9_999);
      assert.deepEqual(lessor.checkpointsDue(), []);
      clock.advance(1);
      const due = lessor.checkpointsDue();
      assert.deepEqual(due, [{ ID: 1, remaining_TTL: 50 }]);
      applyLeaseCheckpoint(lessor, { checkpoints: due }); // schedules the next one
      clock.advance(9_500);
      assert.deepEqual(lessor.checkpointsDue(), []);
      clock.advance(500);
      assert.deepEqual(lessor.checkpointsDue(), [{ ID: 1, remaining_TTL: 40 }]);
    }, checkpointOptions(proposed))();
  });

  it('keep the remaining TTL across a leader change, and a renew clears it through Raft first', async () => {
    const proposed: unknown[][] = [];
    let lessorRef: import('../../src/lease/index.js').Lessor | undefined;
    const options = {
      checkpointIntervalMs: 10_000,
      proposeCheckpoint: async (request: import('../../src/lease/index.js').LeaseCheckpointRequest) => {
        proposed.push(request.checkpoints);
        applyLeaseCheckpoint(lessorRef!, request); // as if committed and applied
      },
    };
    await withLessor(async ({ lessor, clock }) => {
      lessorRef = lessor;
      lessor.promote(0);
      applyLeaseGrant(lessor, { ID: 1, TTL: 60 });
      clock.advance(20_000);
      const due = lessor.checkpointsDue();
      assert.deepEqual(due, [{ ID: 1, remaining_TTL: 40 }]);
      applyLeaseCheckpoint(lessor, { checkpoints: due });
      lessor.demote();
      clock.advance(30_000);
      lessor.promote(extendMs); // without the checkpoint this would be 60 + 1
      assert.equal(lessor.timeToLive(1, false).remainingSeconds, 41);
      assert.equal(await lessor.renew(1), 60);
      assert.deepEqual(proposed, [[{ ID: 1, remaining_TTL: 0 }]]);
      assert.equal(lessor.lookup(1)!.remainingTtlSeconds, 0);
      assert.equal(lessor.timeToLive(1, false).remainingSeconds, 60);
      assert.equal(await lessor.renew(1), 60);
      assert.equal(proposed.length, 1); // nothing to clear the second time
    }, options)();
  });

  it(
    'are never due without a checkpointer or on a follower',
    withLessor(({ lessor, clock }) => {
      lessor.promote(0);
      applyLeaseGrant(lessor, { ID: 1, TTL: 600 });
      clock.advance(400_000);
      assert.deepEqual(lessor.checkpointsDue(), []);
    }),
  );
});
