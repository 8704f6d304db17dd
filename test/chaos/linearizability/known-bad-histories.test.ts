import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLinearizability, describeOperation, type Operation } from './index.js';
import { cas, read, write } from './history-builders.js';

/** Asserts a violation on `key` whose unplaceable operations include `culprit`. */
function assertViolation(history: Operation[], culprit: Operation, key = 'x'): void {
  const result = checkLinearizability(history);
  assert.equal(result.ok, false, `expected a violation, got ${JSON.stringify(result)}`);
  if (result.ok !== false) return;
  assert.equal(result.key, key);
  const unplaceable = result.explanation.unplaceable.map((entry) => entry.operation);
  assert.ok(unplaceable.includes(culprit), `${describeOperation(culprit)} not among the unplaceable:\n${result.explanation.summary}`);
}

test('a stale read after a completed write', () => {
  const stale = read(3, 4, 5, 'a');
  assertViolation([write(1, 0, 1, 'a'), write(2, 2, 3, 'b'), stale], stale);
});

test('the explanation names the longest prefix, the state it leaves and why the read cannot follow', () => {
  const result = checkLinearizability([write(1, 0, 1, 'a'), write(2, 2, 3, 'b'), read(3, 4, 5, 'a')]);
  assert.ok(result.ok === false);
  const explanation = result.explanation;
  assert.deepEqual(
    explanation.longestLinearizablePrefix.map((entry) => entry.stateAfter),
    ['"a"', '"b"'],
  );
  assert.equal(explanation.stateAfterPrefix, '"b"');
  assert.equal(explanation.unplaceable[0]!.reason, 'read "a" but the register holds "b"');
  assert.match(explanation.summary, /longest linearizable prefix: 2 operations/);
});

test('a read of a value never written', () => {
  const phantom = read(2, 2, 3, 'never');
  assertViolation([write(1, 0, 1, 'a'), phantom], phantom);
  const fromNothing = read(1, 0, 1, 'never');
  assertViolation([fromNothing], fromNothing);
});

test('a lost update: two successful cas from the same expected value', () => {
  const first = cas(1, 2, 5, '0', '1', true);
  const second = cas(2, 3, 6, '0', '2', true);
  const result = checkLinearizability([write(0, 0, 1, '0'), first, second]);
  assert.equal(result.ok, false);
});

test('a read that goes back in time', () => {
  const back = read(3, 5, 6, 'a');
  assertViolation([write(1, 0, 1, 'a'), write(2, 2, 20, 'b'), read(3, 3, 4, 'b'), back], back);
});

test('two clients see concurrent writes in opposite orders', () => {
  const history = [
    write(1, 0, 10, 'a'),
    write(2, 0, 10, 'b'),
    read(3, 1, 2, 'a'),
    read(3, 3, 4, 'b'),
    read(4, 1, 2, 'b'),
    read(4, 3, 4, 'a'),
  ];
  assert.equal(checkLinearizability(history).ok, false);
});

test('an unknown-outcome write observed before it was invoked', () => {
  const early = read(2, 0, 5, 'a');
  assertViolation([early, write(1, 10, undefined, 'a')], early);
});

test('an unknown-outcome write, once observed, cannot be undone', () => {
  const undone = read(3, 5, 6, 'a');
  assertViolation([write(1, 0, 1, 'a'), write(2, 2, undefined, 'b'), read(3, 3, 4, 'b'), undone], undone);
});

test('a cas that failed although its compare must have held', () => {
  const failed = cas(2, 2, 3, 'a', 'b', false);
  assertViolation([write(1, 0, 1, 'a'), failed], failed);
});

test('a cas that succeeded although nothing wrote its expected value', () => {
  const succeeded = cas(2, 2, 3, 'zz', 'b', true);
  assertViolation([write(1, 0, 1, 'a'), succeeded], succeeded);
});

test('the violating key is reported among good ones', () => {
  const stale = read(3, 4, 5, 'a', 'k2');
  const history = [
    write(1, 0, 1, 'a', 'k1'),
    read(2, 2, 3, 'a', 'k1'),
    write(1, 0, 1, 'a', 'k2'),
    write(2, 2, 3, 'b', 'k2'),
    stale,
    write(1, 0, 1, 'a', 'k3'),
  ];
  assertViolation(history, stale, 'k2');
});

test('many pending unknown-outcome writes do not blow up the search of a bad history', () => {
  // Twenty timed-out writes stay candidates to the end; a failed cas keeps
  // them from being pruned up front, so only the search's cover rule
  // (a pair with fewer unknown operations placed covers one with more) keeps
  // this from exploring 2^20 subsets.
  const history: Operation[] = [write(0, 0, 1, 'a'), cas(0, 2, 3, 'zz', 'q', false)];
  for (let client = 1; client <= 20; client++) history.push(write(client, 4, undefined, `u${client}`));
  for (let step = 0; step < 20; step++) history.push(write(21, 10 + 2 * step, 11 + 2 * step, `w${step}`));
  history.push(read(22, 100, 101, 'w0'));
  const result = checkLinearizability(history, { maxStepsPerKey: 200_000 });
  assert.equal(result.ok, false, JSON.stringify(result.ok === 'unknown' ? result : result.ok));
});
