import type { LeaseId } from '../../src/lease/index.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyLeaseCheckpoint, applyLeaseGrant, applyLeaseRevoke, LeaseUpkeep, type LeaseCheckpointRequest, type Lessor } from '../../src/lease/index.js';
import { withLessor } from './helpers.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('LeaseUpkeep', () => {
  it(
    'proposes revokes of expired leases, a bounded number at a time, and nothing on a follower',
    withLessor(async ({ lessor, store, clock }) => {
      const proposals: Array<{ id: LeaseId; done: () => void }> = [];
      const upkeep = new LeaseUpkeep({
        lessor,
        maxPendingRevokes: 2,
        proposeRevoke: (id) =>
          new Promise<void>((resolve) =>
            proposals.push({
              id,
              done: () => {
                applyLeaseRevoke(lessor, () => store.write(), { ID: id });
                resolve();
              },
            }),
          ),
      });
      for (let id = 1; id <= 5; id++) applyLeaseGrant(lessor, { ID: id, TTL: 5 });
      clock.advance(10_000);
      upkeep.tick();
      assert.equal(proposals.length, 0, 'a follower proposes nothing');

      lessor.promote(0);
      clock.advance(5_000);
      upkeep.tick();
      assert.deepEqual(proposals.map((proposal) => proposal.id), [1, 2]);
      upkeep.tick(); // the queue still holds 3..5: no new work taken, no slot free
      assert.equal(proposals.length, 2);
      proposals[0]!.done();
      await settle();
      assert.deepEqual(proposals.map((proposal) => proposal.id), [1, 2, 3]);
      for (const proposal of proposals.slice(1)) proposal.done();
      await settle();
      assert.deepEqual(proposals.map((proposal) => proposal.id), [1, 2, 3, 4, 5]);
      assert.equal(upkeep.pendingRevokeCount, 2);
      for (const proposal of proposals.slice(3)) proposal.done();
      await settle();
      assert.equal(lessor.leaseCount, 0);
      assert.equal(upkeep.pendingRevokeCount, 0);
    }),
  );

  it(
    'retries a revoke whose proposal failed after the lessor retry interval',
    withLessor(
      async ({ lessor, clock }) => {
        const proposed: LeaseId[] = [];
        const errors: unknown[] = [];
        const upkeep = new LeaseUpkeep({
          lessor,
          proposeRevoke: async (id) => {
            proposed.push(id);
            throw new Error('etcdserver: leader changed');
          },
          onError: (error) => errors.push(error),
        });
        lessor.promote(0);
        applyLeaseGrant(lessor, { ID: 1, TTL: 5 });
        clock.advance(5_000);
        upkeep.tick();
        await settle();
        upkeep.tick();
        assert.deepEqual(proposed, [1]);
        clock.advance(1_000);
        upkeep.tick();
        assert.deepEqual(proposed, [1, 1]);
        assert.equal(errors.length, 1);
      },
      { expiredLeaseRetryIntervalMs: 1_000 },
    ),
  );

  it('proposes due checkpoints, one request in flight at a time', async () => {
    const requests: LeaseCheckpointRequest[] = [];
    let lessorRef: Lessor | undefined;
    await withLessor(
      async ({ lessor, clock }) => {
        lessorRef = lessor;
        const upkeep = new LeaseUpkeep({
          lessor,
          proposeRevoke: async () => undefined,
          proposeCheckpoint: async (request) => {
            requests.push(request);
            applyLeaseCheckpoint(lessorRef!, request);
          },
        });
        lessor.promote(0);
        applyLeaseGrant(lessor, { ID: 1, TTL: 60 });
        applyLeaseGrant(lessor, { ID: 2, TTL: 60 });
        clock.advance(10_000);
        upkeep.tick();
        await settle();
        assert.deepEqual(requests, [{ checkpoints: [{ ID: 1, remaining_TTL: 50 }, { ID: 2, remaining_TTL: 50 }] }]);
        upkeep.tick();
        assert.equal(requests.length, 1);
      },
      { checkpointIntervalMs: 10_000, proposeCheckpoint: async () => undefined },
    )();
  });
});
