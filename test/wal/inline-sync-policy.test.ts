// When the WAL syncs on the event loop instead of the thread pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InlineSyncPolicy } from '../../src/wal/inline-sync-policy.js';

const options = { maxAverageMs: 1, maxBatchBytes: 1000, smoothing: 0.5 };

test('a fresh policy syncs on the pool until syncs have been seen to be fast', () => {
  const policy = new InlineSyncPolicy(options);
  assert.equal(policy.shouldSyncInline(100), false);
  policy.recordSync(0.2);
  policy.recordSync(0.2);
  assert.equal(policy.shouldSyncInline(100), true);
  assert.equal(policy.shouldSyncInline(1001), false, 'a large batch always goes to the pool');
});

test('slow syncs send syncs back to the pool, and fast ones bring them back', () => {
  const policy = new InlineSyncPolicy(options);
  for (let i = 0; i < 5; i++) policy.recordSync(0.15);
  assert.equal(policy.shouldSyncInline(10), true);
  policy.recordSync(20); // one very slow sync is enough
  assert.equal(policy.shouldSyncInline(10), false);
  let fastSyncs = 0;
  while (!policy.shouldSyncInline(10)) {
    policy.recordSync(0.15);
    fastSyncs++;
  }
  assert.ok(fastSyncs >= 4 && fastSyncs <= 8, `back inline after ${fastSyncs} fast syncs`);
});
