// Converts a consistent copy of our LMDB backend into a bbolt file with etcd's
// bucket layout: the buckets hold etcd's keys and values already (revision keys
// with mvccpb.KeyValue, leasepb.Lease, meta's consistent_index and compaction
// revisions, auth records), so the conversion copies them bucket by bucket in
// key order. The member table lives outside our backend; it is written into
// `members` as etcd's membership JSON. Memory stays flat: the copy is read with
// a cursor and the writer flushes page by page; the event loop gets a turn
// every few thousand entries.

import { open } from 'lmdb';
import { bucketNames } from '../backend/buckets.js';
import { BoltWriter } from './bbolt-writer.js';

const entriesPerTurn = 2000;

/** A member as the members bucket holds it (server/membership's MemberRecord fits). */
export interface ExportedMember {
  readonly id: bigint;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

export interface ExportOptions {
  /** The member table, written to `members` when the backend has none there. */
  readonly members?: readonly ExportedMember[];
}

/** Writes the bbolt file `outputPath` from the LMDB environment copy `lmdbFile` (a data.mdb); returns its size. */
export async function exportLmdbCopyToBolt(lmdbFile: string, outputPath: string, options: ExportOptions = {}): Promise<number> {
  const databaseOptions = { encoding: 'binary', keyEncoding: 'binary' } as const;
  // A path with an extension is the data file itself (lmdb-js' noSubdir).
  const environment = open<Buffer, Buffer>({ path: lmdbFile, noSubdir: true, readOnly: true, maxDbs: 24, ...databaseOptions });
  const writer = new BoltWriter(outputPath);
  try {
    let sinceTurn = 0;
    for (const name of bucketNames) {
      writer.beginBucket(name);
      const database = environment.openDB<Buffer, Buffer>(name, databaseOptions);
      const members = name === 'members' ? membersEntries(options.members ?? []) : [];
      let sawAny = false;
      for (const { key, value } of database.getRange({})) {
        sawAny = true;
        writer.put(Buffer.from(key), Buffer.from(value));
        if (++sinceTurn >= entriesPerTurn) {
          sinceTurn = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (!sawAny) for (const [key, value] of members) writer.put(key, value);
      writer.endBucket();
    }
    return writer.finish();
  } catch (error) {
    writer.abort();
    throw error;
  } finally {
    await environment.close();
  }
}

/**
 * etcd's members bucket (server/etcdserver/api/membership/store.go): key = the
 * member id in hex, value = the Member as JSON {id, peerURLs, isLearner?, name?, clientURLs?}.
 */
export function membersEntries(members: readonly ExportedMember[]): [Buffer, Buffer][] {
  return members
    .map((member): [Buffer, Buffer] => {
      const json: string[] = [`"id":${member.id.toString()}`, `"peerURLs":${JSON.stringify(member.peerUrls)}`];
      if (member.isLearner) json.push('"isLearner":true');
      if (member.name !== '') json.push(`"name":${JSON.stringify(member.name)}`);
      if (member.clientUrls.length > 0) json.push(`"clientURLs":${JSON.stringify(member.clientUrls)}`);
      return [Buffer.from(member.id.toString(16)), Buffer.from(`{${json.join(',')}}`)];
    })
    .sort((a, b) => Buffer.compare(a[0], b[0]));
}
