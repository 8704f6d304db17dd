// --force-new-cluster: restart a member from its data as the only member of
// a new one-member cluster, keeping its keys, as etcd's restartAsStandaloneNode
// does. Entries past the commit index are dropped (nobody agreed to them),
// and ConfChange entries that remove every other member (and add this one
// if it was missing) are appended as already committed, so applying them
// leaves a member table and Raft configuration of one.

import { encodeConfChange } from '../raft/codec.js';
import { ConfChangeType, EntryType, type Entry, type HardState, type NodeId } from '../raft/types.js';
import { decodeConfChange } from '../raft/codec.js';
import { formatId, parseId, raftIdOf } from './membership/ids.js';
import type { SnapshotMember } from './snapshot-files.js';

export interface ForcedLog {
  /** The committed entries kept, then the appended conf changes. */
  entries: Entry[];
  /** Commit moved to the last appended entry. */
  hardState: HardState;
  /** The entries to write to the WAL (the appended conf changes). */
  appended: Entry[];
  removedMemberIds: bigint[];
}

interface MemberContextLike {
  id: string;
  name?: string;
  peerUrls?: string[];
}

export function forceNewClusterLog(input: {
  snapshotIndex: number;
  snapshotTerm: number;
  snapshotMembers: readonly SnapshotMember[];
  entries: readonly Entry[];
  hardState: HardState;
  localMemberId: bigint;
  localMember: { name: string; peerUrls: string[] };
}): ForcedLog {
  const commit = Math.max(input.hardState.commit, input.snapshotIndex);
  const committed = input.entries.filter((entry) => entry.index <= commit);
  // Every member the committed history knows of, by Raft id, with its full id.
  const members = new Map<NodeId, bigint>();
  for (const member of input.snapshotMembers) {
    const id = parseId(member.id);
    members.set(raftIdOf(id), id);
  }
  for (const entry of committed) {
    if (entry.type !== EntryType.ConfChange) continue;
    const change = decodeConfChange(entry.data);
    if (change.type === ConfChangeType.RemoveNode) {
      members.delete(change.nodeId);
      continue;
    }
    const context = change.context.length > 0 ? (JSON.parse(Buffer.from(change.context).toString()) as MemberContextLike) : undefined;
    members.set(change.nodeId, context ? parseId(context.id) : (members.get(change.nodeId) ?? BigInt(change.nodeId)));
  }
  const last = committed.length > 0 ? committed[committed.length - 1]! : { index: input.snapshotIndex, term: input.snapshotTerm };
  const term = Math.max(input.hardState.term, last.term);
  const appended: Entry[] = [];
  const removedMemberIds: bigint[] = [];
  const localRaftId = raftIdOf(input.localMemberId);
  let index = last.index;
  for (const [raftId, memberId] of members) {
    if (raftId === localRaftId) continue;
    removedMemberIds.push(memberId);
    const context = Buffer.from(JSON.stringify({ id: formatId(memberId), name: '', peerUrls: [], isLearner: false }));
    appended.push({ term, index: ++index, type: EntryType.ConfChange, data: encodeConfChange({ type: ConfChangeType.RemoveNode, nodeId: raftId, context }) });
  }
  if (!members.has(localRaftId)) {
    const context = Buffer.from(JSON.stringify({ id: formatId(input.localMemberId), ...input.localMember, isLearner: false }));
    appended.push({ term, index: ++index, type: EntryType.ConfChange, data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId: localRaftId, context }) });
  }
  return {
    entries: [...committed, ...appended],
    hardState: { term, vote: input.hardState.vote, commit: index },
    appended,
    removedMemberIds,
  };
}
