// What one Raft entry of the member carries: a client request (or an
// internal action) and the id its proposer waits on, encoded as etcd's
// InternalRaftRequest protobuf.

import { messageCodec } from '../proto/index.js';
import type { PutRequest, DeleteRangeRequest, TxnRequest, CompactionRequest } from './apply/index.js';
import type { LeaseGrantRequest, LeaseRevokeRequest, LeaseCheckpointRequest } from '../lease/index.js';

export interface MemberAttributesRequest {
  /** Hex, as etcd prints member ids. */
  member_ID: string;
  member_attributes: { name: string; client_urls: string[] };
}

export interface InternalRaftRequest {
  header?: { ID: number | string } | null;
  put?: PutRequest | null;
  delete_range?: DeleteRangeRequest | null;
  txn?: TxnRequest | null;
  compaction?: CompactionRequest | null;
  lease_grant?: LeaseGrantRequest | null;
  lease_revoke?: LeaseRevokeRequest | null;
  lease_checkpoint?: LeaseCheckpointRequest | null;
  cluster_member_attr_set?: MemberAttributesRequest | null;
}

export const internalRequestCodec = messageCodec<InternalRaftRequest>('etcdserverpb.InternalRaftRequest');
