// What a membership ConfChange carries in its context (JSON, as etcd's
// ConfChange context holds the member): the member it is about and the
// proposer's request id.

import { encodeConfChange } from '../../raft/index.js';
import { ConfChangeType, type ConfChange } from '../../raft/types.js';
import { parseId, raftIdOf } from './ids.js';

export interface MemberContext {
  id: string;
  name: string;
  peerUrls: string[];
  isLearner: boolean;
  requestId?: string;
}

/** The ConfChange that makes `type` happen to `member`. */
export function memberConfChange(type: ConfChangeType, member: MemberContext): ConfChange {
  return { type, nodeId: raftIdOf(parseId(member.id)), context: Buffer.from(JSON.stringify(member)) };
}

/** A bootstrap entry's data: the AddNode (or AddLearnerNode) of one initial member. */
export function encodeInitialMemberConfChange(member: MemberContext): Uint8Array {
  return encodeConfChange(memberConfChange(member.isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode, member));
}

export function decodeMemberContext(context: Uint8Array): MemberContext | undefined {
  return context.length > 0 ? (JSON.parse(Buffer.from(context).toString()) as MemberContext) : undefined;
}
