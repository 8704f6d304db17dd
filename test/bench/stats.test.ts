import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatSamples, median, minMax, percentileOfSorted, ratio, SampleBuffer, summarizeLatencies } from '../../bench/stats.js';

test('nearest-rank percentiles of 1..1000', () => {
  const sorted = Float64Array.from({ length: 1000 }, (_, index) => index + 1);
  assert.equal(percentileOfSorted(sorted, 50), 500);
  assert.equal(percentileOfSorted(sorted, 90), 900);
  assert.equal(percentileOfSorted(sorted, 99), 990);
  assert.equal(percentileOfSorted(sorted, 99.9), 999);
  assert.equal(percentileOfSorted(sorted, 100), 1000);
  assert.equal(percentileOfSorted(sorted, 0), 1);
});

test('percentiles of tiny and empty sets', () => {
  assert.equal(percentileOfSorted([7], 99.9), 7);
  assert.equal(percentileOfSorted([1, 2], 50), 1);
  assert.ok(Number.isNaN(percentileOfSorted([], 50)));
  assert.throws(() => percentileOfSorted([1], 101), RangeError);
});

test('summary sorts a copy and leaves the samples alone', () => {
  const samples = [5, 1, 4, 2, 3];
  const summary = summarizeLatencies(samples);
  assert.deepEqual(samples, [5, 1, 4, 2, 3]);
  assert.equal(summary.count, 5);
  assert.equal(summary.meanMs, 3);
  assert.equal(summary.p50Ms, 3);
  assert.equal(summary.maxMs, 5);
  assert.ok(Number.isNaN(summarizeLatencies([]).p99Ms));
});

test('sample buffer grows and concat keeps order', () => {
  const buffer = new SampleBuffer();
  for (let index = 0; index < 5000; index++) buffer.push(index);
  const copy = buffer.toArray();
  assert.equal(copy.length, 5000);
  assert.equal(copy[4999], 4999);
  assert.deepEqual([...concatSamples([Float64Array.of(1, 2), Float64Array.of(3)])], [1, 2, 3]);
});

test('ratio guards against missing values and zero', () => {
  assert.equal(ratio(2, 4), 0.5);
  assert.equal(ratio(1, 0), null);
  assert.equal(ratio(null, 1), null);
  assert.equal(ratio(Number.NaN, 1), null);
});

test('median of odd and even counts, skipping missing values', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5, null, undefined, Number.NaN]), 5);
  assert.equal(median([]), null);
  assert.equal(median([null]), null);
  const values = [3, 1, 2];
  median(values);
  assert.deepEqual(values, [3, 1, 2]);
});

test('min and max skip missing values', () => {
  assert.deepEqual(minMax([3, null, 1, 2]), { min: 1, max: 3 });
  assert.deepEqual(minMax([7]), { min: 7, max: 7 });
  assert.equal(minMax([undefined, Number.NaN]), null);
});
