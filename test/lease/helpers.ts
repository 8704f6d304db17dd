import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/backend/index.js';
import { KVStore } from '../../src/mvcc/index.js';
import { Lessor, type LessorOptions } from '../../src/lease/index.js';

export const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public currentMs = 1_000_000) {}
  nowMs(): number {
    return this.currentMs;
  }
  advance(ms: number): void {
    this.currentMs += ms;
  }
}

export interface LeaseFixture {
  directory: string;
  clock: FakeClock;
  backend: Backend;
  lessor: Lessor;
  store: KVStore;
  /** Commits, closes, and opens backend, lessor and store again (lessor first, as the server must). */
  reopen(): Promise<void>;
}

export type FixtureOptions = Partial<Omit<LessorOptions, 'backend' | 'clock'>>;

/** Runs `body` with a lessor and a KVStore on one backend in a fresh temporary directory. */
export function withLessor(body: (fixture: LeaseFixture) => Promise<void> | void, options: FixtureOptions = {}): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-lease-'));
    const clock = new FakeClock();
    const open = (backend: Backend) => {
      const lessor = Lessor.open({ backend, clock, minTtlSeconds: 2, ...options });
      const store = KVStore.open(backend, { onKeyLeaseChange: (key, oldLease, newLease) => lessor.onKeyLeaseChange(key, oldLease, newLease) });
      return { lessor, store };
    };
    const backend = Backend.open(directory);
    const fixture: LeaseFixture = {
      directory,
      clock,
      backend,
      ...open(backend),
      async reopen() {
        fixture.store.close();
        await fixture.backend.close();
        fixture.backend = Backend.open(directory);
        Object.assign(fixture, open(fixture.backend));
      },
    };
    try {
      await body(fixture);
    } finally {
      fixture.store.close();
      await fixture.backend.close();
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

export { put } from '../mvcc/helpers.js';
