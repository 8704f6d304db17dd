// What bootstrapping hands the member: who it is, its open WAL, the Raft log
// rebuilt in memory, and the membership it starts from. The Raft node itself
// is made from this by the Raft loop, its only owner.

import type { MemoryStorage } from '../../raft/index.js';
import type { WriteAheadLog } from '../../wal/index.js';
import type { MemberRecord } from '../membership/member-record.js';
import type { SnapshotRecord } from '../snapshot-files.js';

export interface BootstrappedState {
  /** How the member came up: a new cluster, a restart from its WAL, or joining a running cluster. */
  readonly mode: 'new' | 'restart' | 'join';
  readonly memberId: bigint;
  readonly clusterId: bigint;
  readonly wal: WriteAheadLog;
  /** The Raft log as the WAL (and the snapshot before it) left it. */
  readonly raftLog: MemoryStorage;
  /** The newest snapshot the WAL holds a marker for (restart only). */
  readonly snapshot: SnapshotRecord | undefined;
  /** Members a joining member was told of (GET /members), to reach until the log brings the table. */
  readonly joinedClusterMembers: readonly MemberRecord[];
}

/** The WAL's metadata record: etcd keeps the member and cluster ids there too. */
export interface WalMetadata {
  memberId: string;
  clusterId: string;
}

export function encodeWalMetadata(metadata: WalMetadata): Buffer {
  return Buffer.from(JSON.stringify(metadata));
}

export function decodeWalMetadata(bytes: Uint8Array): WalMetadata {
  return JSON.parse(Buffer.from(bytes).toString()) as WalMetadata;
}
