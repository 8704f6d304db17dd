// What a leader sends a member that is behind its compacted log: the member
// table and a consistent copy of the backend (whose consistent index may be
// past the Raft snapshot's index; the receiver then skips those entries, as
// etcd's receivers do). Layout: u32 length of the members JSON, the JSON,
// then the database bytes.

import type { SnapshotMember } from './snapshot-files.js';
import { asBuffer } from '../pkg/bytes.js';

export interface SnapshotData {
  members: SnapshotMember[];
  database: Buffer;
}

export function encodeSnapshotData(data: SnapshotData): Uint8Array {
  const members = Buffer.from(JSON.stringify(data.members));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(members.length);
  return Buffer.concat([header, members, data.database]);
}

export function decodeSnapshotData(bytes: Uint8Array): SnapshotData {
  const buffer = asBuffer(bytes);
  if (buffer.length < 4) throw new Error('snapshot data is empty: the sender attached no database');
  const membersLength = buffer.readUInt32BE(0);
  if (4 + membersLength > buffer.length) throw new Error('snapshot data is truncated');
  return {
    members: JSON.parse(buffer.subarray(4, 4 + membersLength).toString()) as SnapshotMember[],
    database: buffer.subarray(4 + membersLength),
  };
}
