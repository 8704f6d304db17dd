import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/backend/index.js';
import { KVStore, decodeRevisionKey, type KeyIndex, type KVStoreOptions } from '../../src/mvcc/index.js';
import { seededRandom } from '../../src/pkg/seeded-random.js';

export { seededRandom };

export const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

/** A store on a backend in a fresh temporary directory, removed afterwards. */
export interface StoreFixture {
  directory: string;
  backend: Backend;
  store: KVStore;
  /** Commits, closes and opens backend and store again from disk. */
  reopen(options?: KVStoreOptions): Promise<void>;
}

/** Runs `steps` with a store fixture; each write transaction is committed by `commitAll`. */
export function withStore(run: (fixture: StoreFixture) => Promise<void> | void, options: KVStoreOptions = {}): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-mvcc-'));
    const backend = Backend.open(directory);
    const fixture: StoreFixture = {
      directory,
      backend,
      store: KVStore.open(backend, options),
      async reopen(reopenOptions = options) {
        fixture.store.close();
        await fixture.backend.close();
        fixture.backend = Backend.open(directory);
        fixture.store = KVStore.open(fixture.backend, reopenOptions);
      },
    };
    try {
      await run(fixture);
    } finally {
      fixture.store.close();
      await fixture.backend.close();
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

export function put(store: KVStore, key: string, value: string, lease = 0): number {
  const txn = store.write();
  try {
    return txn.put(bytes(key), bytes(value), lease);
  } finally {
    txn.end();
  }
}

export function deleteRange(store: KVStore, key: string, end?: string): number {
  const txn = store.write();
  try {
    return txn.deleteRange(bytes(key), end === undefined ? undefined : bytes(end));
  } finally {
    txn.end();
  }
}

export function keysOf(kvs: { key: Buffer }[]): string[] {
  return kvs.map((kv) => kv.key.toString('latin1'));
}


/** Revisions stored in the key bucket, as "main_sub" or "main_subt". */
export function storedRevisions(backend: Backend): string[] {
  return backend.range('key', Buffer.alloc(0), undefined).map(({ key }) => {
    const { revision, tombstone } = decodeRevisionKey(key);
    return `${revision.main}_${revision.sub}${tombstone ? 't' : ''}`;
  });
}

/** Revisions the index still refers to; after a finished compaction these are exactly the stored ones. */
export function indexedRevisions(store: KVStore): string[] {
  const found: string[] = [];
  for (const keyIndex of (store as unknown as { index: { keyIndexes(): Iterable<KeyIndex> } }).index.keyIndexes()) {
    keyIndex.generations.forEach((generation, generationIndex) => {
      generation.revisions.forEach((revision, revisionIndex) => {
        const tombstone = generationIndex < keyIndex.generations.length - 1 && revisionIndex === generation.revisions.length - 1;
        found.push(`${revision.main}_${revision.sub}${tombstone ? 't' : ''}`);
      });
    });
  }
  const order = (text: string): [number, number] => text.replace('t', '').split('_').map(Number) as [number, number];
  return found.sort((a, b) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1]);
}

