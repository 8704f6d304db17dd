// What one Raft entry of the member carries: a client request (or an
// internal action) and the id its proposer waits on, encoded as etcd's
// InternalRaftRequest protobuf.

import { messageCodec } from '../proto/index.js';
import type { PutRequest, DeleteRangeRequest, TxnRequest, CompactionRequest } from './apply/index.js';
import type { LeaseGrantRequest, LeaseRevokeRequest, LeaseCheckpointRequest } from '../lease/index.js';
import type { Permission } from '../auth/types.js';
import type { AlarmRequest } from './alarms.js';

export interface MemberAttributesRequest {
  /** Hex, as etcd prints member ids. */
  member_ID: string;
  member_attributes: { name: string; client_urls: string[] };
}

/** Who proposed the request: etcd's RequestHeader. The applier checks permissions as this user. */
export interface RequestHeader {
  ID: number | string;
  username?: string;
  auth_revision?: number;
}

/** Authenticate after the proposer checked the password: no password travels. */
export interface InternalAuthenticateRequest {
  name: string;
  simple_token: string;
}

type Empty = Record<string, never>;

export interface InternalRaftRequest {
  header?: RequestHeader | null;
  put?: PutRequest | null;
  delete_range?: DeleteRangeRequest | null;
  txn?: TxnRequest | null;
  compaction?: CompactionRequest | null;
  lease_grant?: LeaseGrantRequest | null;
  lease_revoke?: LeaseRevokeRequest | null;
  lease_checkpoint?: LeaseCheckpointRequest | null;
  cluster_member_attr_set?: MemberAttributesRequest | null;
  /** Decoded with an exact member id by decodeAlarmRequestExact (entry-applier). */
  alarm?: AlarmRequest | null;
  auth_enable?: Empty | null;
  auth_disable?: Empty | null;
  auth_status?: Empty | null;
  authenticate?: InternalAuthenticateRequest | null;
  /** The proposer hashes the password: `hashedPassword` (base64 of the bcrypt hash, as etcd) is set, `password` empty. */
  auth_user_add?: { name: string; password?: string; hashedPassword: string; options?: { no_password: boolean } | null } | null;
  auth_user_delete?: { name: string } | null;
  auth_user_get?: { name: string } | null;
  auth_user_change_password?: { name: string; password?: string; hashedPassword: string } | null;
  auth_user_grant_role?: { user: string; role: string } | null;
  auth_user_revoke_role?: { name: string; role: string } | null;
  auth_user_list?: Empty | null;
  auth_role_list?: Empty | null;
  auth_role_add?: { name: string } | null;
  auth_role_delete?: { role: string } | null;
  auth_role_get?: { role: string } | null;
  auth_role_grant_permission?: { name: string; perm: Permission | null } | null;
  auth_role_revoke_permission?: { role: string; key: Buffer; range_end: Buffer } | null;
}

export const internalRequestCodec = messageCodec<InternalRaftRequest>('etcdserverpb.InternalRaftRequest');
