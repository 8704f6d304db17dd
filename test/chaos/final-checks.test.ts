// The post-run watch check on hand-made histories: a clean run passes, and
// each kind of damage it exists to catch — a gap, a lost acknowledged write,
// a write applied twice, a rejected cas that took effect, a write no client
// made, writes out of real-time order, a final state off its last event —
// is reported.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkEvents, firstEventDifference, type Converged, type WatchedEvent } from './runner/final-checks.js';
import type { WrittenValue } from './runner/workload.js';

const P = 'chaos/1/';
const put = (revision: number, key: string, value: string): WatchedEvent => ({ revision, key: P + key, value, type: 'PUT' });
const write = (key: string, value: string, status: WrittenValue['status'], invokedAtMs: number, completedAtMs?: number): WrittenValue => ({
  key: P + key,
  value,
  status,
  invokedAtMs,
  completedAtMs,
});
const finalState = (events: WatchedEvent[]): Converged => {
  const last = new Map<string, WatchedEvent>();
  for (const event of events) last.set(event.key, event);
  return { revision: events.at(-1)?.revision ?? 1, kvs: [...last.values()].map((event) => ({ key: event.key, value: event.value, modRevision: event.revision, version: 1 })) };
};

const events = [put(2, 'a', 'v1'), put(3, 'b', 'v2'), put(4, 'a', 'v3')];
const writes = [write('a', 'v1', 'acknowledged', 0, 10), write('b', 'v2', 'unknown', 5), write('a', 'v3', 'acknowledged', 11, 20), write('a', 'v4', 'rejected', 12, 13)];

describe('post-run watch check', () => {
  it('accepts a clean run', () => {
    assert.deepEqual(checkEvents(events, 4, writes, finalState(events), P), []);
  });

  it('reports a revision gap', () => {
    const gapped = [put(2, 'a', 'v1'), put(4, 'a', 'v3')];
    const problems = checkEvents(gapped, 4, writes.filter((w) => w.key !== P + 'b'), finalState(gapped), P);
    assert.match(problems.join('\n'), /revision 4, expected 3/);
  });

  it('reports a lost acknowledged write', () => {
    const lost = [put(2, 'b', 'v2')];
    assert.match(checkEvents(lost, 2, writes.slice(0, 2), finalState(lost), P).join('\n'), /acknowledged write chaos\/1\/a=v1 is missing/);
  });

  it('reports a write applied twice', () => {
    const twice = [...events, put(5, 'a', 'v1')];
    assert.match(checkEvents(twice, 5, writes, finalState(twice), P).join('\n'), /applied 2 times/);
  });

  it('reports a rejected cas that took effect and a write no client made', () => {
    const rogue = [...events, put(5, 'a', 'v4'), put(6, 'c', 'ghost')];
    const problems = checkEvents(rogue, 6, writes, finalState(rogue), P).join('\n');
    assert.match(problems, /rejected write chaos\/1\/a=v4 took effect/);
    assert.match(problems, /no client made: chaos\/1\/c=ghost/);
  });

  it('reports writes whose revisions contradict real-time order', () => {
    const reordered = [put(2, 'a', 'v3'), put(3, 'b', 'v2'), put(4, 'a', 'v1')];
    assert.match(checkEvents(reordered, 4, writes, finalState(reordered), P).join('\n'), /began after .*a=v1/);
  });

  it('reports a final state that is not the last event', () => {
    const stale: Converged = { revision: 4, kvs: [{ key: P + 'a', value: 'v1', modRevision: 2, version: 1 }, { key: P + 'b', value: 'v2', modRevision: 3, version: 1 }] };
    assert.match(checkEvents(events, 4, writes, stale, P).join('\n'), /final chaos\/1\/a is v1@2 but its last watch event is v3@4/);
  });

  it('compares two members\' histories event by event', () => {
    assert.equal(firstEventDifference(events, [...events]), undefined);
    assert.match(firstEventDifference(events, [events[0]!, put(3, 'b', 'other'), events[2]!]) ?? '', /event 1: PUT chaos\/1\/b=v2@3 vs PUT chaos\/1\/b=other@3/);
    assert.match(firstEventDifference(events, events.slice(0, 2)) ?? '', /event 2: .* vs nothing/);
  });
});
