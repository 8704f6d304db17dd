// Property: every watcher replays exactly the committed history of its range from its
// start revision — every revision, in order, once, with the right prev_kv — while
// writers and compactions run, catch-up batches are tiny and consumers are slow enough
// to make watchers victims again and again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from '../../../src/mvcc/index.js';
import type { WatchRequest, WatchResponse, WatchStream } from '../../../src/mvcc/watch/index.js';
import { rangeContains } from '../../../src/mvcc/watch/index.js';
import { bytes, withWatchableStore } from './watch-fixture.js';
import { seededRandom } from '../../../src/pkg/seeded-random.js';


interface ModelValue {
  value: string;
  create: number;
  version: number;
  mod: number;
}

interface ModelEvent {
  revision: number;
  key: string;
  type: 'PUT' | 'DELETE';
  text: string; // without prev
  prevText: string; // ' prev=…' or ''
}

function eventText(event: Event, withPrev: boolean): string {
  const kv = event.kv;
  const base =
    event.type === 0
      ? `PUT ${kv.key.toString('latin1')}=${kv.value.toString('latin1')}@${kv.mod_revision} c${kv.create_revision} v${kv.version}`
      : `DELETE ${kv.key.toString('latin1')}@${kv.mod_revision}`;
  if (!withPrev) return base + (event.prev_kv === undefined ? '' : ' UNEXPECTED-PREV');
  const prev = event.prev_kv;
  return base + (prev === undefined ? '' : ` prev=${prev.value.toString('latin1')}@${prev.mod_revision}`);
}

interface WatcherUnderTest {
  stream: WatchStream;
  request: WatchRequest;
  id: number;
  received: WatchResponse[];
  consumedThroughRevision: number;
  compacted: boolean;
}

const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`watchers replay the committed history under writes, compactions and slow consumers (seed ${seed})`, withWatchableStore(
    async ({ store, backend, watchable, scheduler }) => {
      const random = seededRandom(seed);
      // Odd seeds: consumers mostly keep up (synced path); even: they lag (victims).
      const consumeMax = seed % 2 === 1 ? 20 : 3;
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const model = new Map<string, ModelValue>();
      const history: ModelEvent[] = [];
      const watchers: WatcherUnderTest[] = [];
      let victimsSeen = 0;
      let unsyncedSeen = 0;

      const addWatcher = (request: WatchRequest) => {
        const stream = watchable.newStream();
        const id = stream.watch(request);
        watchers.push({ stream, request, id, received: [], consumedThroughRevision: 0, compacted: false });
      };
      const write = () => {
        const txn = store.write();
        const used = new Set<string>();
        const revision = store.currentRevision + 1;
        const operations = 1 + Math.floor(random() * 3);
        for (let index = 0; index < operations; index++) {
          const key = pick(keys);
          if (used.has(key)) continue;
          used.add(key);
          const previous = model.get(key);
          const prevText = previous === undefined ? '' : ` prev=${previous.value}@${previous.mod}`;
          if (random() < 0.7) {
            const value = `v${revision}.${index}`;
            txn.put(bytes(key), bytes(value), 0);
            const next = { value, create: previous?.create ?? revision, version: (previous?.version ?? 0) + 1, mod: revision };
            model.set(key, next);
            history.push({ revision, key, type: 'PUT', text: `PUT ${key}=${value}@${revision} c${next.create} v${next.version}`, prevText });
          } else {
            txn.deleteRange(bytes(key), undefined);
            if (previous === undefined) continue;
            model.delete(key);
            history.push({ revision, key, type: 'DELETE', text: `DELETE ${key}@${revision}`, prevText });
          }
        }
        txn.end();
      };
      const consume = (watcher: WatcherUnderTest, count: number) => {
        for (let index = 0; index < count; index++) {
          const response = watcher.stream.take();
          if (response === undefined) return;
          watcher.received.push(response);
          if (response.compactRevision > 0) watcher.compacted = true;
          for (const event of response.events) watcher.consumedThroughRevision = event.kv.mod_revision;
        }
      };

      // Some history before any watcher exists.
      for (let index = 0; index < 30; index++) write();
      addWatcher({ key: bytes('k'), end: bytes('l'), startRevision: 1, prevKv: true });
      addWatcher({ key: bytes('k1'), startRevision: 5 });
      addWatcher({ key: bytes('k2'), end: 'unbounded', startRevision: 10, prevKv: true, filters: { noDelete: true } });
      addWatcher({ key: bytes('k0'), end: bytes('k3'), filters: { noPut: true }, prevKv: true });

      for (let step = 0; step < 1500; step++) {
        const action = random();
        if (action < 0.4) write();
        else if (action < 0.5) backend.commit();
        else if (action < 0.75) consume(pick(watchers), Math.floor(random() * consumeMax));
        else if (action < 0.95) scheduler.advance(Math.floor(random() * 15));
        else if (action < 0.97 && watchers.length < 7) {
          // A late watcher starting at some past revision it can still read.
          const from = Math.max(store.compactRevision, 1) + Math.floor(random() * 20);
          addWatcher({ key: bytes(pick(keys)), startRevision: Math.min(from, store.currentRevision), prevKv: random() < 0.5 });
        } else {
          // Compact only what every live watcher has consumed: its prev_kv stays readable.
          const live = watchers.filter((watcher) => !watcher.compacted);
          const safe = Math.min(...live.map((watcher) => watcher.consumedThroughRevision));
          if (safe > store.compactRevision && safe > 1) store.compact(store.compactRevision + 1 + Math.floor(random() * (safe - store.compactRevision)));
        }
        const counts = watchable.watcherCounts;
        victimsSeen += counts.victims;
        unsyncedSeen += counts.unsynced;
        if (step % 50 === 0) await new Promise((resolve) => setImmediate(resolve)); // compactions start
      }
      // Drain: writers stop, consumers catch up.
      for (let round = 0; round < 10_000; round++) {
        for (const watcher of watchers) consume(watcher, 1000);
        const counts = watchable.watcherCounts;
        if (counts.unsynced === 0 && counts.victims === 0 && watchers.every((watcher) => watcher.stream.queuedResponseCount === 0)) break;
        scheduler.advance(10);
      }
      assert.ok(victimsSeen > 0, 'some watcher was a victim');
      assert.ok(unsyncedSeen > 0, 'some watcher caught up from history');
      assert.ok(store.compactRevision > 1, 'compactions ran');

      for (const watcher of watchers) {
        const { request } = watcher;
        const expected = history
          .filter((event) => event.revision >= (request.startRevision ?? 0) && rangeContains({ key: request.key, end: request.end }, bytes(event.key)))
          .filter((event) => !(event.type === 'PUT' && request.filters?.noPut) && !(event.type === 'DELETE' && request.filters?.noDelete))
          .map((event) => event.text + (request.prevKv ? event.prevText : ''));
        const eventsReceived = watcher.received.flatMap((response) => response.events.map((event) => eventText(event, request.prevKv === true)));
        const label = `watcher ${JSON.stringify({ ...request, key: request.key.toString() })}`;
        assert.equal(watcher.compacted, false, `${label} was not compacted`);
        if (request.startRevision === undefined) {
          // "From now": the history from its first event on must match exactly.
          const first = eventsReceived[0];
          const start = first === undefined ? expected.length : expected.indexOf(first);
          assert.deepEqual(eventsReceived, expected.slice(start), label);
        } else {
          assert.deepEqual(eventsReceived, expected, label);
        }
        let lastHeaderRevision = 0;
        const revisionResponse = new Map<number, WatchResponse>();
        for (const response of watcher.received) {
          assert.equal(response.watchId, watcher.id);
          assert.ok(response.revision >= lastHeaderRevision, `${label}: header revisions never go back`);
          lastHeaderRevision = response.revision;
          for (const event of response.events) {
            assert.ok(event.kv.mod_revision <= response.revision);
            const owner = revisionResponse.get(event.kv.mod_revision);
            assert.ok(owner === undefined || owner === response, `${label}: revision ${event.kv.mod_revision} split across responses`);
            revisionResponse.set(event.kv.mod_revision, response);
          }
        }
      }
    },
    { streamQueueCapacity: 2, syncBatchRevisionsMax: 5, syncBatchChangesMax: 7, syncBatchBytesMax: 60, watchersPerSyncMax: 2 },
  ));
}
