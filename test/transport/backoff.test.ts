// Reconnect delays: doubling from the initial delay up to the cap, back to
// the start after a success.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../src/transport/index.js';

describe('backoff', () => {
  it('doubles up to the cap and resets', () => {
    const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => backoff.next()),
      [100, 200, 400, 800, 1000, 1000],
    );
    backoff.reset();
    assert.equal(backoff.next(), 100);
  });

  it('rejects a cap below the initial delay', () => {
    assert.throws(() => new Backoff({ initialDelayMs: 10, maxDelayMs: 5 }));
  });
});
