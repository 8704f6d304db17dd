import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageCodec } from '../../../src/proto/index.js';
import type { Event } from '../../../src/mvcc/index.js';
import { splitIntoFragments, watchResponseSizeBytes, type WireWatchResponse } from '../../../src/mvcc/watch/index.js';

const codec = messageCodec<WireWatchResponse>('etcdserverpb.WatchResponse');

function event(index: number, valueBytes: number, withPrev = false): Event {
  const kv = { key: Buffer.from(`key-${index}`), create_revision: 2, mod_revision: 10 + index, version: index + 1, value: Buffer.alloc(valueBytes, 120), lease: 0 };
  return withPrev ? { type: 0, kv, prev_kv: { ...kv, mod_revision: 9 } } : { type: index % 3 === 0 ? 1 : 0, kv };
}

function response(events: Event[]): WireWatchResponse {
  return {
    header: { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: 99, raft_term: 3 },
    watch_id: 7,
    created: false,
    canceled: false,
    compact_revision: 0,
    cancel_reason: '',
    fragment: false,
    events,
  };
}

test('the computed size equals the protobuf encoding', () => {
  for (const sample of [
    response([]),
    response([event(0, 0), event(1, 300, true), event(2, 70_000)]),
    { ...response([event(4, 10)]), created: true, canceled: true, watch_id: -1, cancel_reason: 'mvcc: watcher range is empty', compact_revision: 5, fragment: true },
  ]) {
    assert.equal(watchResponseSizeBytes(sample), codec.encode(sample).length);
  }
});

test('large responses are split into fragments below the limit, in order, the last unflagged', () => {
  const events = Array.from({ length: 40 }, (_, index) => event(index, 1000, index % 2 === 0));
  const whole = response(events);
  const limit = 8000;
  const fragments = splitIntoFragments(whole, limit);
  assert.ok(fragments.length > 3);
  assert.deepEqual(fragments.flatMap((fragment) => fragment.events), events);
  fragments.forEach((fragment, index) => {
    assert.equal(fragment.fragment, index < fragments.length - 1);
    assert.equal(fragment.watch_id, 7);
    assert.ok(codec.encode(fragment).length < limit, `fragment ${index} fits`);
    if (index < fragments.length - 1) {
      const withNext = { ...fragment, events: [...fragment.events, fragments[index + 1]!.events[0]!] };
      assert.ok(codec.encode(withNext).length >= limit, 'fragments are filled');
    }
  });
});

test('small responses and single huge events are sent whole', () => {
  const small = response([event(1, 10), event(2, 10)]);
  assert.deepEqual(splitIntoFragments(small, 10_000), [small]);
  const single = response([event(1, 50_000)]);
  assert.deepEqual(splitIntoFragments(single, 1000), [single]);
  const fragments = splitIntoFragments(response([event(1, 5000), event(2, 5000)]), 1000);
  assert.deepEqual(fragments.map((fragment) => fragment.events.length), [1, 1], 'each oversized event alone');
});
