// Data dirs written before Raft node ids were exact hold, in their Raft
// state, only the low 53 bits of each member id (0 read as 1): in the
// snapshot record's conf state, the hard state's vote and each ConfChange
// entry's node id. The full ids are known from the same data (the WAL
// metadata, the snapshot's members, the ConfChange contexts), so a restart
// maps the truncated ids back before Raft sees them. Ids below 2^53 were
// never truncated and are left as they are; the WAL itself is not rewritten
// (the mapping is applied on every restart, and new records use full ids).

import { decodeConfChange, encodeConfChange } from '../../raft/index.js';
import { EntryType, nodeIdOf, type ConfState, type Entry, type HardState, type NodeId } from '../../raft/types.js';
import { parseId } from '../membership/ids.js';
import { decodeMemberContext } from '../membership/member-context.js';

const LOW_53_BITS = (1n << 53n) - 1n;

function truncatedRaftIdOf(memberId: bigint): number {
  const id = Number(memberId & LOW_53_BITS);
  return id === 0 ? 1 : id;
}

/** Truncated id → full id, for the members whose ids needed more than 53 bits. */
export function truncatedIdMap(memberIds: Iterable<bigint>): Map<NodeId, NodeId> {
  const map = new Map<NodeId, NodeId>();
  for (const memberId of memberIds) {
    const full = nodeIdOf(memberId);
    const truncated = truncatedRaftIdOf(memberId);
    if (full !== truncated) map.set(truncated, full);
  }
  return map;
}

/** Every member id the restarted data names in full. */
export function memberIdsNamedIn(localMemberId: bigint, snapshotMemberIds: readonly string[], entries: readonly Entry[]): bigint[] {
  const ids = [localMemberId, ...snapshotMemberIds.map(parseId)];
  for (const entry of entries) {
    if (entry.type !== EntryType.ConfChange) continue;
    const context = decodeMemberContext(decodeConfChange(entry.data).context);
    if (context) ids.push(parseId(context.id));
  }
  return ids;
}

export function upgradeConfState(confState: ConfState, map: ReadonlyMap<NodeId, NodeId>): ConfState {
  const upgrade = (id: NodeId) => map.get(id) ?? id;
  return { voters: confState.voters.map(upgrade), learners: confState.learners.map(upgrade) };
}

export function upgradeHardState(hardState: HardState, map: ReadonlyMap<NodeId, NodeId>): HardState {
  const vote = map.get(hardState.vote);
  return vote === undefined ? hardState : { ...hardState, vote };
}

export function upgradeEntries(entries: readonly Entry[], map: ReadonlyMap<NodeId, NodeId>): Entry[] {
  if (map.size === 0) return [...entries];
  return entries.map((entry) => {
    if (entry.type !== EntryType.ConfChange) return entry;
    const change = decodeConfChange(entry.data);
    const nodeId = map.get(change.nodeId);
    return nodeId === undefined ? entry : { ...entry, data: encodeConfChange({ ...change, nodeId }) };
  });
}
