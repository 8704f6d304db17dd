import { readUint64BigEndian, writeUint64BigEndian } from '../backend/uint64.js';

/**
 * A point in the store's history: `main` is bumped once per write transaction, `sub`
 * counts the changes inside it. Treated as immutable.
 */
export interface Revision {
  readonly main: number;
  readonly sub: number;
}

/** Length of a revision key in the key bucket: 8-byte main, '_', 8-byte sub. */
export const revisionKeyBytes = 17;
const separatorByte = 0x5f; // '_'
const tombstoneMarkerByte = 0x74; // 't'

export function compareRevisions(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

/** The key bucket key of a revision, as etcd lays it out (plus 't' for a deletion). */
export function encodeRevisionKey(revision: Revision, tombstone = false): Buffer {
  const key = Buffer.allocUnsafe(tombstone ? revisionKeyBytes + 1 : revisionKeyBytes);
  writeUint64BigEndian(key, 0, revision.main);
  key[8] = separatorByte;
  writeUint64BigEndian(key, 9, revision.sub);
  if (tombstone) key[revisionKeyBytes] = tombstoneMarkerByte;
  return key;
}

export function decodeRevisionKey(key: Uint8Array): { revision: Revision; tombstone: boolean } {
  if (key.length !== revisionKeyBytes && key.length !== revisionKeyBytes + 1) {
    throw new Error(`invalid revision key length ${key.length}`);
  }
  const revision = { main: readUint64BigEndian(key, 0), sub: readUint64BigEndian(key, 9) };
  return { revision, tombstone: key.length === revisionKeyBytes + 1 && key[revisionKeyBytes] === tombstoneMarkerByte };
}
