import type { LeaseId } from '../../src/lease/index.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseQueue } from '../../src/lease/index.js';

function drain(queue: LeaseQueue): LeaseId[] {
  const order: LeaseId[] = [];
  for (let entry = queue.pop(); entry !== undefined; entry = queue.pop()) order.push(entry.id);
  return order;
}

describe('LeaseQueue', () => {
  it('pops by time, ties by ID', () => {
    const queue = new LeaseQueue();
    queue.registerOrUpdate(5, 300);
    queue.registerOrUpdate(3, 100);
    queue.registerOrUpdate(9, 100);
    queue.registerOrUpdate(1, 200);
    assert.deepEqual(drain(queue), [3, 9, 1, 5]);
  });

  it('keeps one entry per lease and moves it on update', () => {
    const queue = new LeaseQueue();
    for (let id = 1; id <= 5; id++) queue.registerOrUpdate(id, id * 10);
    queue.registerOrUpdate(1, 100);
    queue.registerOrUpdate(5, 0);
    assert.equal(queue.size, 5);
    assert.deepEqual(drain(queue), [5, 2, 3, 4, 1]);
  });

  it('removes from the middle and stays a heap (seeded random operations against a sorted model)', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const queue = new LeaseQueue();
    const model = new Map<number, number>();
    for (let step = 0; step < 5000; step++) {
      const id = 1 + Math.floor(random() * 200);
      const choice = random();
      if (choice < 0.6) {
        const timeMs = Math.floor(random() * 1000);
        queue.registerOrUpdate(id, timeMs);
        model.set(id, timeMs);
      } else if (choice < 0.8) {
        queue.remove(id);
        model.delete(id);
      } else {
        const expected = [...model.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0])[0];
        const popped = queue.pop();
        assert.deepEqual(popped && [popped.id, popped.timeMs], expected, `step ${step}`);
        if (expected) model.delete(expected[0]);
      }
      assert.equal(queue.size, model.size);
    }
    const expectedOrder = [...model.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map((entry) => entry[0]);
    assert.deepEqual(drain(queue), expectedOrder);
  });
});
