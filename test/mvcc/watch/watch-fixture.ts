import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../../src/backend/index.js';
import { KVStore, type Compaction, type Event } from '../../../src/mvcc/index.js';
import { WatchableStore, type WatchableStoreOptions, type WatchResponse, type WatchStream } from '../../../src/mvcc/watch/index.js';
import { VirtualScheduler } from './virtual-scheduler.js';

export const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

export interface WatchFixture {
  backend: Backend;
  store: KVStore;
  watchable: WatchableStore;
  scheduler: VirtualScheduler;
}

/** A KVStore on a real backend in a temporary directory, with a watchable store on a virtual clock. */
export function withWatchableStore(
  run: (fixture: WatchFixture) => Promise<void> | void,
  options: WatchableStoreOptions = {},
): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-watch-'));
    const scheduler = new VirtualScheduler();
    const backend = Backend.open(directory);
    const store = KVStore.open(backend, { scheduleCompactionStep: (step) => scheduler.schedule(step, 0) });
    const watchable = new WatchableStore(store, { scheduler, ...options });
    try {
      await run({ backend, store, watchable, scheduler });
    } finally {
      watchable.close();
      store.close();
      await backend.close();
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

export function put(store: KVStore, key: string, value: string): number {
  const txn = store.write();
  try {
    return txn.put(bytes(key), bytes(value), 0);
  } finally {
    txn.end();
  }
}

export function deleteRange(store: KVStore, key: string, end?: string): number {
  const txn = store.write();
  try {
    txn.deleteRange(bytes(key), end === undefined ? undefined : bytes(end));
    return txn.revision;
  } finally {
    txn.end();
  }
}

/** Takes every queued response. */
export function takeAll(stream: WatchStream): WatchResponse[] {
  const responses: WatchResponse[] = [];
  for (let response = stream.take(); response !== undefined; response = stream.take()) responses.push(response);
  return responses;
}

/** "PUT key=value@rev" / "DELETE key@rev", with " prev=value" when prev_kv is set. */
export function describe(event: Event): string {
  const key = event.kv.key.toString('latin1');
  const prev = event.prev_kv === undefined ? '' : ` prev=${event.prev_kv.value.toString('latin1')}`;
  if (event.type === 0) return `PUT ${key}=${event.kv.value.toString('latin1')}@${event.kv.mod_revision}${prev}`;
  return `DELETE ${key}@${event.kv.mod_revision}${prev}`;
}

export function describeAll(responses: readonly WatchResponse[]): string[] {
  return responses.flatMap((response) => response.events.map(describe));
}

/** Runs a compaction's steps on the virtual clock until it is done. */
export async function finishCompaction(compaction: Compaction, scheduler: VirtualScheduler): Promise<void> {
  let done = false;
  compaction.done.then(() => (done = true), () => (done = true));
  for (let round = 0; !done; round++) {
    if (round > 10_000) throw new Error('compaction did not finish');
    await new Promise((resolve) => setImmediate(resolve));
    scheduler.advance(1);
  }
  await compaction.done;
}
