import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLinearizability, type CheckResult, type Operation } from './index.js';
import { cas, casOnVersion, read, readWithVersion, write } from './history-builders.js';

function assertLinearizable(history: Operation[], options?: Parameters<typeof checkLinearizability>[1]): void {
  const result: CheckResult = checkLinearizability(history, options);
  assert.equal(result.ok, true, result.ok === false ? result.explanation.summary : JSON.stringify(result));
}

test('a sequential history of writes and reads', () => {
  assertLinearizable([write(1, 0, 1, 'a'), read(1, 2, 3, 'a'), write(2, 4, 5, 'b'), read(2, 6, 7, 'b'), read(1, 8, 9, 'b')]);
});

test('the empty history, and reads of a key never written', () => {
  assertLinearizable([]);
  assertLinearizable([read(1, 0, 1, null), read(2, 0, 1, null)]);
});

test('reads overlapping a write may see the old value, then the new one', () => {
  assertLinearizable([write(1, 0, 10, 'a'), read(2, 1, 2, null), read(2, 3, 4, 'a'), read(3, 5, 6, 'a')]);
});

test('two concurrent writes may take effect in either order', () => {
  for (const last of ['a', 'b']) {
    assertLinearizable([write(1, 0, 10, 'a'), write(2, 0, 10, 'b'), read(3, 11, 12, last)]);
  }
});

test('reads during concurrent writes fix one order: b then a', () => {
  assertLinearizable([write(1, 0, 10, 'a'), write(2, 0, 10, 'b'), read(3, 5, 6, 'b'), read(3, 7, 8, 'a'), read(4, 11, 12, 'a')]);
});

test('operations that only touch in time count as concurrent', () => {
  assertLinearizable([write(1, 0, 5, 'a'), read(2, 5, 6, null)]);
});

test('a cas race: one of two cas from the same value wins, whichever was invoked first', () => {
  assertLinearizable([write(0, 0, 1, '0'), cas(1, 2, 10, '0', '1', true), cas(2, 3, 9, '0', '2', false), read(3, 11, 12, '1')]);
  assertLinearizable([write(0, 0, 1, '0'), cas(1, 2, 10, '0', '1', false), cas(2, 3, 9, '0', '2', true), read(3, 11, 12, '2')]);
});

test('a chain of cas, each from the value the previous one wrote', () => {
  assertLinearizable([
    cas(1, 0, 1, null, 'a', true),
    cas(2, 2, 6, 'a', 'b', true),
    cas(3, 3, 7, 'b', 'c', true),
    cas(4, 4, 8, 'a', 'd', false),
    read(1, 9, 10, 'c'),
  ]);
});

test('deletes: the key reads as absent, and a cas on absence succeeds', () => {
  assertLinearizable([write(1, 0, 1, 'a'), write(1, 2, 3, null), read(2, 4, 5, null), cas(2, 6, 7, null, 'b', true), read(1, 8, 9, 'b')]);
});

test('an unknown-outcome write that took effect, observed long after the timeout', () => {
  assertLinearizable([write(1, 0, 1, 'a'), write(2, 2, undefined, 'b'), read(3, 10, 11, 'a'), read(3, 100, 101, 'b')]);
});

test('an unknown-outcome write that never took effect', () => {
  assertLinearizable([write(1, 0, 1, 'a'), write(2, 2, undefined, 'b'), read(3, 10, 11, 'a'), read(3, 20, 21, 'a')]);
});

test('an unknown-outcome write that never took effect, with a failed cas on the key (no pruning)', () => {
  assertLinearizable([write(1, 0, 1, 'a'), write(2, 2, undefined, 'b'), cas(3, 3, 4, 'z', 'c', false), read(3, 10, 11, 'a')]);
});

test('an unknown-outcome write explains a cas that failed', () => {
  assertLinearizable([write(1, 0, 1, 'a'), write(2, 2, undefined, 'b'), cas(3, 5, 6, 'a', 'c', false), read(3, 7, 8, 'b')]);
});

test('an unknown-outcome cas that took effect, and one that did not although its compare held', () => {
  assertLinearizable([write(1, 0, 1, 'a'), cas(2, 2, undefined, 'a', 'b', undefined), read(3, 50, 51, 'b')]);
  assertLinearizable([write(1, 0, 1, 'a'), cas(2, 2, undefined, 'a', 'b', undefined), read(3, 50, 51, 'a')]);
});

test('an unknown-outcome read constrains nothing', () => {
  assertLinearizable([write(1, 0, 1, 'a'), read(2, 2, undefined, null)]);
});

test('versions: puts count up, a delete resets, cas on the version', () => {
  assertLinearizable([
    write(1, 0, 1, 'a'),
    write(1, 2, 3, 'b'),
    readWithVersion(2, 4, 5, 'b', 2),
    casOnVersion(2, 6, 7, 2, 'c', true),
    casOnVersion(3, 8, 9, 2, 'd', false),
    write(1, 10, 11, null),
    readWithVersion(2, 12, 13, null, 0),
    casOnVersion(3, 14, 15, 0, 'e', true),
    readWithVersion(2, 16, 17, 'e', 1),
  ]);
});

test('initial values: a key that held a value before the history began', () => {
  assertLinearizable([read(1, 0, 1, 'seed'), cas(1, 2, 3, 'seed', 'a', true)], { initialValues: new Map([['x', 'seed']]) });
});

test('every key is checked as its own register', () => {
  const result = checkLinearizability([
    write(1, 0, 10, 'a', 'x'),
    write(2, 0, 10, 'b', 'y'),
    read(3, 2, 3, 'a', 'x'),
    read(3, 4, 5, null, 'y'),
    read(4, 6, 7, 'b', 'y'),
  ]);
  assert.deepEqual(result.ok === true && result.keysChecked, 2);
});

test('an unobserved unknown write can be needed: it bumps the version an unknown version-cas compares', () => {
  // Found by the brute-force differential test: pruning the write of "a" as
  // unobservable made the checker reject this.
  assertLinearizable([
    write(0, 0, 2, 'b'),
    write(1, 6, 9, 'c'),
    read(2, 3, 5, 'c'),
    casOnVersion(3, 0, undefined, 2, 'c', undefined),
    write(4, 5, undefined, 'a'),
  ]);
});
