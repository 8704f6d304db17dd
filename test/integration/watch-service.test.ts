// The Watch gRPC service in process, on a real KVStore and backend, driven over real
// gRPC by a raw client (exact responses), the real etcdctl and the etcd3 npm client.
// Writes go straight into the store, so only the Watch service is needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { Backend } from '../../src/backend/index.js';
import { KVStore } from '../../src/mvcc/index.js';
import { WatchableStore } from '../../src/mvcc/watch/index.js';
import { watchService, type WatchServiceDeps } from '../../src/api/watch-service.js';
import { serviceDefinition } from '../../src/proto/index.js';
import { waitFor } from '../support/wait-for.js';
import { bytes, deleteRange, put } from '../mvcc/watch/watch-fixture.js';
import { cancelRequest, createRequest, EtcdctlWatch, openRawWatch, progressRequest } from '../mvcc/watch/watch-clients.js';

interface ServerFixture {
  endpoint: string;
  store: KVStore;
  watchable: WatchableStore;
}

function withWatchServer(run: (fixture: ServerFixture) => Promise<void>, deps: Partial<WatchServiceDeps> = {}): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-watch-service-'));
    const backend = Backend.open(directory);
    const store = KVStore.open(backend);
    const watchable = new WatchableStore(store);
    const server = new grpc.Server();
    try {
      server.addService(
        serviceDefinition('Watch'),
        watchService({ watchableStore: watchable, header: (revision) => ({ cluster_id: '17', member_id: '42', revision, raft_term: 3 }), ...deps }),
      );
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, boundPort) => (error ? reject(error) : resolve(boundPort))),
      );
      await run({ endpoint: `127.0.0.1:${port}`, store, watchable });
    } finally {
      server.forceShutdown();
      watchable.close();
      store.close();
      await backend.close();
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

const keyOf = (event: { kv: { key: Buffer } }) => event.kv.key.toString();

test('created first, then one response per revision with its header revision; cancel; unknown cancel is silent', withWatchServer(async ({ endpoint, store, watchable }) => {
  put(store, 'other', 'x'); // 2
  const client = openRawWatch(endpoint);
  try {
    client.send(createRequest({ key: bytes('k'), range_end: bytes('l') }));
    const created = await client.next('created');
    assert.deepEqual(
      { watch_id: created.watch_id, created: created.created, canceled: created.canceled, events: created.events.length, revision: created.header.revision },
      { watch_id: 0, created: true, canceled: false, events: 0, revision: 2 },
    );
    assert.equal(String(created.header.cluster_id), '17');
    const txn = store.write();
    txn.put(bytes('k1'), bytes('a'), 0);
    txn.put(bytes('k2'), bytes('b'), 0);
    txn.end(); // 3
    put(store, 'k1', 'c'); // 4
    const first = await client.next('events of revision 3');
    assert.deepEqual([first.watch_id, first.header.revision, first.events.map(keyOf)], [0, 3, ['k1', 'k2']]);
    assert.equal(first.events[0]!.prev_kv, null, 'no prev_kv unless asked');
    const second = await client.next('events of revision 4');
    assert.deepEqual([second.header.revision, second.events.map((event) => event.kv.value.toString())], [4, ['c']]);
    client.send(cancelRequest(55)); // unknown: no answer
    client.send(cancelRequest(0));
    const canceled = await client.next('canceled');
    assert.deepEqual([canceled.watch_id, canceled.canceled, canceled.created, canceled.cancel_reason], [0, true, false, '']);
    await waitFor('the watcher to be gone', () => watchable.watcherCounts.synced === 0);
  } finally {
    client.close();
  }
}));

test('client-chosen ids, duplicate id and empty range are refused as etcd does', withWatchServer(async ({ endpoint }) => {
  const client = openRawWatch(endpoint);
  try {
    client.send(createRequest({ key: bytes('a'), watch_id: 7 }));
    assert.equal((await client.next()).watch_id, 7);
    client.send(createRequest({ key: bytes('a'), watch_id: 7 }));
    const duplicate = await client.next();
    assert.deepEqual([duplicate.watch_id, duplicate.created, duplicate.canceled, duplicate.cancel_reason], [-1, true, true, 'mvcc: duplicate watch ID provided on the WatchStream']);
    client.send(createRequest({ key: bytes('b'), range_end: bytes('a') }));
    const empty = await client.next();
    assert.deepEqual([empty.watch_id, empty.created, empty.canceled, empty.cancel_reason], [-1, true, true, 'mvcc: watcher range is empty']);
    client.send(createRequest({ key: bytes('a') }));
    assert.equal((await client.next()).watch_id, 0, 'automatic ids start at 0');
  } finally {
    client.close();
  }
}));

test('empty key with range_end "\\0" watches every key; prev_kv and filters', withWatchServer(async ({ endpoint, store }) => {
  put(store, 'a', '1'); // 2
  const client = openRawWatch(endpoint);
  try {
    client.send(createRequest({ key: Buffer.alloc(0), range_end: Buffer.from([0]), prev_kv: true, filters: [0] })); // NOPUT
    await client.next('created');
    put(store, 'a', '2'); // 3: filtered out
    deleteRange(store, 'a'); // 4
    put(store, '\x01', 'x'); // 5: filtered
    deleteRange(store, '\x01'); // 6
    const first = await client.next();
    const second = await client.next();
    assert.deepEqual([first.header.revision, first.events.map((event) => [event.type, keyOf(event), event.prev_kv?.value.toString()])], [4, [[1, 'a', '2']]]);
    assert.deepEqual([second.header.revision, second.events.map(keyOf)], [6, ['\x01']]);
  } finally {
    client.close();
  }
}));

test('a compacted start revision: created, then canceled with compact_revision; negative start revision', withWatchServer(async ({ endpoint, store }) => {
  for (let index = 0; index < 4; index++) put(store, 'k', String(index)); // 2..5
  await store.compact(4).done;
  const client = openRawWatch(endpoint);
  try {
    client.send(createRequest({ key: bytes('k'), start_revision: 2 }));
    const created = await client.next('created');
    assert.deepEqual([created.watch_id, created.created, created.canceled], [0, true, false]);
    const compacted = await client.next('compacted');
    assert.deepEqual(
      [compacted.watch_id, compacted.canceled, compacted.compact_revision, compacted.header.revision, compacted.cancel_reason],
      [0, true, 4, 0, ''],
    );
    client.send(createRequest({ key: bytes('k'), start_revision: -1 }));
    const negative = await client.next();
    assert.deepEqual([negative.watch_id, negative.created, negative.canceled, negative.cancel_reason], [-1, true, true, 'mvcc: required revision has been compacted']);
  } finally {
    client.close();
  }
}));

test('progress: on request (watch id -1) and periodic for progress_notify watchers', withWatchServer(async ({ endpoint, store }) => {
  put(store, 'x', '1'); // 2
  const client = openRawWatch(endpoint);
  try {
    client.send(createRequest({ key: bytes('k'), progress_notify: true, watch_id: 3 }));
    await client.next('created');
    client.send(progressRequest());
    const requested = await client.next('progress');
    assert.deepEqual([requested.watch_id, requested.header.revision, requested.events.length, requested.created], [-1, 2, 0, false]);
    put(store, 'y', '1'); // 3
    const periodic = await client.next('periodic progress');
    assert.deepEqual([periodic.watch_id, periodic.events.length], [3, 0]);
    assert.ok(periodic.header.revision >= 3);
  } finally {
    client.close();
  }
}, { progressNotifyIntervalMs: 100 }));

test('large responses are fragmented only for watchers that asked', withWatchServer(async ({ endpoint, store }) => {
  const client = openRawWatch(endpoint);
  try {
    client.send(createRequest({ key: bytes('big'), range_end: bytes('bih'), fragment: true, watch_id: 1 }));
    client.send(createRequest({ key: bytes('big'), range_end: bytes('bih'), watch_id: 2 }));
    await client.next();
    await client.next();
    const txn = store.write();
    for (let index = 0; index < 10; index++) txn.put(bytes(`big${index}`), Buffer.alloc(3000, 97), 0);
    txn.end();
    const fragments: number[] = [];
    let whole = 0;
    await waitFor('all fragments and the whole response', () => {
      for (const response of client.responses.splice(2)) {
        if (response.watch_id === 1) fragments.push(response.fragment ? response.events.length : -response.events.length);
        else whole = response.events.length;
      }
      return whole === 10 && fragments.length > 0 && fragments[fragments.length - 1]! < 0;
    });
    assert.ok(fragments.length >= 3, `fragments: ${fragments}`);
    assert.equal(fragments.reduce((sum, count) => sum + Math.abs(count), 0), 10);
  } finally {
    client.close();
  }
}, { maxResponseBytes: 10_000 }));

test('a client that goes away mid-delivery leaves no watchers behind', withWatchServer(async ({ endpoint, store, watchable }) => {
  const client = openRawWatch(endpoint);
  client.send(createRequest({ key: bytes('k'), range_end: bytes('l') }));
  client.send(createRequest({ key: bytes('k1'), start_revision: 1 }));
  await client.next();
  for (let index = 0; index < 200; index++) put(store, `k${index % 5}`, 'x'.repeat(1000));
  client.close();
  await waitFor('watchers to be removed', () => {
    const counts = watchable.watcherCounts;
    return counts.synced + counts.unsynced + counts.victims === 0;
  });
}));

test('a burst larger than the stream queue reaches the client complete and in order', withWatchServer(async ({ endpoint, store, watchable }) => {
  const first = openRawWatch(endpoint);
  const second = openRawWatch(endpoint);
  try {
    first.send(createRequest({ key: bytes('k') }));
    second.send(createRequest({ key: bytes('k'), prev_kv: true }));
    await first.next();
    await second.next();
    // 300 revisions written in one go overflow the 128-response queues: the watchers
    // become victims and catch up from history (several revisions per response).
    for (let index = 0; index < 300; index++) put(store, 'k', String(index).padEnd(20_000, '.'));
    const revisionsOf = (client: typeof first) => client.responses.slice(1).flatMap((response) => response.events.map((event) => event.kv.mod_revision));
    await waitFor('both clients to get every revision', () => revisionsOf(first).length === 300 && revisionsOf(second).length === 300, { timeoutMs: 30_000 });
    const expected = Array.from({ length: 300 }, (_, index) => index + 2);
    assert.deepEqual(revisionsOf(first), expected);
    assert.deepEqual(revisionsOf(second), expected);
    const prevValues = second.responses.slice(1).flatMap((response) => response.events.map((event) => event.prev_kv?.mod_revision ?? 0));
    assert.deepEqual(prevValues, [0, ...expected.slice(0, -1)], 'prev_kv is the previous revision, also after catching up');
    await waitFor('both watchers synced again', () => watchable.watcherCounts.synced === 2);
  } finally {
    first.close();
    second.close();
  }
}));

test('etcdctl watch --prefix, --rev, --prev-kv and interactive mode', withWatchServer(async ({ endpoint, store }) => {
  put(store, 'k1', 'v1'); // 2
  put(store, 'k1', 'v2'); // 3
  deleteRange(store, 'k1'); // 4
  const historic = new EtcdctlWatch(endpoint, ['--rev=1', '--prefix', 'k', '--prev-kv']);
  const interactive = new EtcdctlWatch(endpoint, ['-i']);
  try {
    assert.deepEqual(await historic.waitForLines(13), ['PUT', 'k1', 'v1', 'PUT', 'k1', 'v1', 'k1', 'v2', 'DELETE', 'k1', 'v2', 'k1', '']);
    interactive.sendLine('watch --rev=2 k1');
    assert.deepEqual(await interactive.waitForLines(8), ['PUT', 'k1', 'v1', 'PUT', 'k1', 'v2', 'DELETE', 'k1']);
    put(store, 'k2', 'live'); // 5
    await historic.waitForText('PUT\nk2\nlive\n');
    interactive.sendLine('progress');
    await interactive.waitForText('progress notify: 5');
  } finally {
    await historic.stop();
    await interactive.stop();
  }
}));

test('etcdctl watch on a compacted revision reports it and exits', withWatchServer(async ({ endpoint, store }) => {
  for (let index = 0; index < 3; index++) put(store, 'k', String(index)); // 2..4
  await store.compact(3).done;
  const watch = new EtcdctlWatch(endpoint, ['--rev=2', 'k']);
  try {
    await watch.waitForText('watch was canceled (etcdserver: mvcc: required revision has been compacted)');
  } finally {
    await watch.stop();
  }
}));

test('the etcd3 npm client watches keys and prefixes, from a revision', withWatchServer(async ({ endpoint, store }) => {
  put(store, 'p/a', '1'); // 2
  put(store, 'p/b', '2'); // 3
  const client = new Etcd3({ hosts: `http://${endpoint}` });
  try {
    const seen: string[] = [];
    const prefixWatcher = await client.watch().prefix('p/').startRevision('2').create();
    prefixWatcher.on('put', (kv) => seen.push(`put ${kv.key.toString()}=${kv.value.toString()}@${kv.mod_revision}`));
    prefixWatcher.on('delete', (kv) => seen.push(`delete ${kv.key.toString()}@${kv.mod_revision}`));
    const keyWatcher = await client.watch().key('p/a').withPreviousKV().create();
    const keyEvents: string[] = [];
    keyWatcher.on('put', (kv, previous) => keyEvents.push(`${kv.value.toString()} prev=${previous?.value.toString()}`));
    put(store, 'p/a', '3'); // 4
    deleteRange(store, 'p/b'); // 5
    await waitFor('the prefix watcher to see 4 events', () => seen.length === 4);
    assert.deepEqual(seen, ['put p/a=1@2', 'put p/b=2@3', 'put p/a=3@4', 'delete p/b@5']);
    await waitFor('the key watcher to see its event', () => keyEvents.length === 1);
    assert.deepEqual(keyEvents, ['3 prev=1']);
    await prefixWatcher.cancel();
    await keyWatcher.cancel();
  } finally {
    client.close();
  }
}));
