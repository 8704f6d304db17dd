// Member and cluster ids, derived as etcd derives them so that a cluster
// started with the same flags has the same ids: sha1 over the sorted peer
// URLs plus the cluster token (member), or over the sorted member ids
// (cluster), keeping the first eight bytes big-endian.

import { createHash } from 'node:crypto';
import { nodeIdOf, type NodeId } from '../../raft/types.js';

export function computeMemberId(peerUrls: string[], clusterToken: string, nowUnixSeconds?: number): bigint {
  const joined = [...peerUrls].sort().join('') + clusterToken + (nowUnixSeconds === undefined ? '' : String(nowUnixSeconds));
  return createHash('sha1').update(joined).digest().readBigUInt64BE(0);
}

export function computeClusterId(memberIds: bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, position) => bytes.writeBigUInt64BE(id, 8 * position));
  return createHash('sha1').update(bytes).digest().readBigUInt64BE(0);
}

/** etcd prints ids as lower-case hex without leading zeros. */
export function formatId(id: bigint): string {
  return id.toString(16);
}

/** The inverse of formatId: a hex member or cluster id (leading zeros allowed) as its exact 64-bit value. */
export function parseId(text: string): bigint {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) throw new Error(`invalid member or cluster id ${JSON.stringify(text)}: want 1 to 16 hex digits`);
  return BigInt(`0x${text}`);
}

/** A member's Raft node id: its whole 64-bit id, in the Raft core's NodeId form. */
export function raftIdOf(memberId: bigint): NodeId {
  return nodeIdOf(memberId);
}

/** The member id a Raft node id stands for. */
export function memberIdOfRaftId(raftId: NodeId): bigint {
  return BigInt(raftId);
}

/** etcd prints URLs without a trailing slash. */
export function urlString(url: URL): string {
  return url.href.replace(/\/$/, '');
}
