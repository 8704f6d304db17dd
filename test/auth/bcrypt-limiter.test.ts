import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BcryptLimiter } from '../../src/auth/bcrypt-limiter.js';

describe('BcryptLimiter', () => {
  it('runs at most N operations at once, the rest in arrival order', async () => {
    const limiter = new BcryptLimiter(2);
    let running = 0;
    let highest = 0;
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const results = Array.from({ length: 6 }, (_, index) =>
      limiter.run(async () => {
        started.push(index);
        running++;
        highest = Math.max(highest, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return index;
      }),
    );
    // Release whatever runs until all six finished.
    while (started.length < 6 || releases.length > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4, 5]);
    assert.equal(highest, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
    assert.equal(limiter.queued, 0);
  });

  it('frees the slot when an operation fails', async () => {
    const limiter = new BcryptLimiter(1);
    await assert.rejects(limiter.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await limiter.run(async () => 'next'), 'next');
  });
});
