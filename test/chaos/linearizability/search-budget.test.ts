import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLinearizability, createRegisterModel, searchLinearization, type Operation } from './index.js';
import { simulateLinearizableHistory } from './simulated-history.js';
import { cas, read, write } from './history-builders.js';
import { simplifyKeyHistory } from './simplify-key-history.js';

test('a search that runs out of steps answers unknown, naming the key', () => {
  const history = simulateLinearizableHistory({ seed: 3, operationCount: 400, clientCount: 8, keyCount: 1 });
  const result = checkLinearizability(history, { maxStepsPerKey: 10 });
  assert.equal(result.ok, 'unknown');
  assert.equal(result.ok === 'unknown' && result.key, 'key-0');
});

test('a search past its deadline answers unknown (injected clock)', () => {
  const history = simulateLinearizableHistory({ seed: 4, operationCount: 5000, clientCount: 8, keyCount: 1 });
  let nowMs = 0;
  // Every reading of the clock moves it on a second: the budget of 10 s ends after a few checks.
  const result = checkLinearizability(history, { timeBudgetMs: 10_000, nowMs: () => (nowMs += 1000) });
  assert.equal(result.ok, 'unknown');
});

test('a violation on one key beats running out of budget on another', () => {
  const history: Operation[] = [
    ...simulateLinearizableHistory({ seed: 5, operationCount: 400, clientCount: 8, keyCount: 1 }),
    write(1, 0, 1, 'a', 'zz-bad'),
    write(1, 2, 3, 'b', 'zz-bad'),
    read(2, 4, 5, 'a', 'zz-bad'),
  ];
  const result = checkLinearizability(history, { maxStepsPerKey: 50 });
  assert.equal(result.ok, false);
  assert.equal(result.ok === false && result.key, 'zz-bad');
});

test('the order found replays on the model and respects real time', () => {
  const history = simulateLinearizableHistory({ seed: 6, operationCount: 300, clientCount: 6, keyCount: 1, unknownOutcomeProbability: 0.1 });
  const model = createRegisterModel();
  const result = searchLinearization(model, history, { maxSteps: 1_000_000, deadlineMs: Infinity, nowMs: () => 0 });
  assert.equal(result.outcome, 'linearizable');
  if (result.outcome !== 'linearizable') return;
  let state = model.initialState();
  for (const index of result.order) {
    const after = model.step(state, history[index]!);
    assert.ok(after !== undefined, `operation ${index} does not replay`);
    state = after;
  }
  const placed = new Set(result.order);
  history.forEach((operation, index) => {
    if (operation.completedAtMs !== undefined) assert.ok(placed.has(index), `known operation ${index} left out`);
  });
  const position = new Map(result.order.map((index, at) => [index, at]));
  for (const [first, at] of position) {
    for (const [second, secondAt] of position) {
      const firstCompletedMs = history[first]!.completedAtMs;
      if (firstCompletedMs !== undefined && firstCompletedMs < history[second]!.invokedAtMs) assert.ok(at < secondAt);
    }
  }
});

test('simplifying drops unknown reads, and unknown writes nobody could observe', () => {
  const unobserved = write(2, 2, undefined, 'never-read');
  const observed = write(3, 2, undefined, 'read-later');
  const unknownRead = read(4, 2, undefined, null);
  const kept = simplifyKeyHistory([write(1, 0, 1, 'a'), unobserved, observed, unknownRead, read(5, 9, 10, 'read-later')]);
  assert.ok(!kept.includes(unobserved) && !kept.includes(unknownRead) && kept.includes(observed));
  // A failed cas that may come after it could be explained by it, so it stays; one that completed before cannot.
  const withFailedCasAfter = simplifyKeyHistory([write(1, 0, 1, 'a'), unobserved, cas(3, 5, 6, 'a', 'c', false)]);
  assert.ok(withFailedCasAfter.includes(unobserved));
  const withFailedCasBefore = simplifyKeyHistory([cas(3, 0, 1, 'a', 'c', false), unobserved, read(5, 9, 10, null)]);
  assert.ok(!withFailedCasBefore.includes(unobserved));
});
