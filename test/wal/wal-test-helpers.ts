// Shared helpers for the WAL tests: temporary directories that clean
// themselves up, and entries whose bytes are a pure function of (index, term)
// so any reader can check them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { EntryType } from '../../src/raft/types.js';
import type { Entry } from '../../src/raft/types.js';
import { seededRandom } from '../../src/pkg/seeded-random.js';

export { seededRandom };

export async function makeTempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-wal-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Non-zero, non-repeating bytes: a zeroed or shifted copy never passes for the original. */
export function entryData(index: number, term: number, lengthBytes = 32 + (index % 50)): Uint8Array {
  const data = new Uint8Array(lengthBytes);
  let state = (index * 2654435761 + term * 40503) >>> 0;
  for (let position = 0; position < lengthBytes; position += 1) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[position] = (state >>> 24) | 1;
  }
  return data;
}

export function makeEntry(index: number, term = 1, lengthBytes?: number): Entry {
  return { index, term, type: EntryType.Normal, data: entryData(index, term, lengthBytes) };
}

export function makeEntries(firstIndex: number, lastIndex: number, term = 1, lengthBytes?: number): Entry[] {
  const entries: Entry[] = [];
  for (let index = firstIndex; index <= lastIndex; index += 1) entries.push(makeEntry(index, term, lengthBytes));
  return entries;
}


/** Entry sizes for the crash test: mostly small, every 16th large enough that a kill can land inside its write. */
export function crashTestEntryBytes(index: number): number {
  return index % 16 === 0 ? 256 * 1024 : 32 + (index % 50);
}
