import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppliedIndexWaiter } from '../../src/server/applied-index-waiter.js';
import { LinearizableReads } from '../../src/server/linearizable-reads.js';

describe('linearizable reads', () => {
  it('waits for the applied index to reach the confirmed read index', async () => {
    const applied = new AppliedIndexWaiter(3);
    const issued: Uint8Array[] = [];
    const reads = new LinearizableReads({ requestReadIndex: (context) => issued.push(context) }, applied, { retryIntervalMs: 1000, timeoutMs: 5000 });
    let done = false;
    const read = reads.waitUntilLinearizable().then(() => (done = true));
    assert.equal(issued.length, 1);
    reads.onReadState(issued[0]!, 5);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(done, false, 'must not proceed before index 5 is applied');
    applied.advanceTo(4);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(done, false);
    applied.advanceTo(5);
    await read;
    assert.equal(done, true);
    reads.stop();
  });

  it('batches reads that arrive during a round into the next round', async () => {
    const applied = new AppliedIndexWaiter(10);
    const issued: Uint8Array[] = [];
    const reads = new LinearizableReads({ requestReadIndex: (context) => issued.push(context) }, applied, { retryIntervalMs: 1000, timeoutMs: 5000 });
    const first = reads.waitUntilLinearizable();
    const second = reads.waitUntilLinearizable();
    const third = reads.waitUntilLinearizable();
    assert.equal(issued.length, 1, 'one round in flight at a time');
    reads.onReadState(issued[0]!, 10);
    await first;
    assert.equal(issued.length, 2, 'the waiting reads start one more round together');
    // An answer for a stale context is ignored.
    reads.onReadState(issued[0]!, 10);
    reads.onReadState(issued[1]!, 10);
    await Promise.all([second, third]);
    reads.stop();
  });

  it('a read index known at once (a sole voter) skips the round but still waits for apply', async () => {
    const applied = new AppliedIndexWaiter(6);
    const issued: Uint8Array[] = [];
    let immediate: number | undefined = 7;
    const reads = new LinearizableReads(
      { requestReadIndex: (context) => issued.push(context), immediateReadIndex: () => immediate },
      applied,
      { retryIntervalMs: 1000, timeoutMs: 5000 },
    );
    let done = false;
    const read = reads.waitUntilLinearizable().then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(done, false, 'index 7 is not applied yet');
    applied.advanceTo(7);
    await read;
    assert.equal(issued.length, 0, 'no ReadIndex round');
    immediate = undefined;
    const later = reads.waitUntilLinearizable();
    assert.equal(issued.length, 1, 'without one, a round');
    reads.onReadState(issued[0]!, 7);
    await later;
    reads.stop();
  });

  it('times out when no read index is confirmed', async () => {
    const applied = new AppliedIndexWaiter(0);
    const reads = new LinearizableReads({ requestReadIndex: () => { throw new Error('no leader'); } }, applied, { retryIntervalMs: 5, timeoutMs: 30 });
    await assert.rejects(reads.waitUntilLinearizable(), /etcdserver: request timed out/);
    reads.stop();
  });
});
