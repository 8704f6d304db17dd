// The gateway calls the views make, with etcd's JSON shapes.

import type { Gateway } from './api.js';
import { fromBase64, prefixEnd, toBase64 } from './bytes.js';

export interface ResponseHeader {
  cluster_id?: string;
  member_id?: string;
  revision?: string;
  raft_term?: string;
}

export interface KeyValue {
  key: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  version?: string;
  lease?: string;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs?: KeyValue[];
  more?: boolean;
  count?: string;
}

export interface RangeOptions {
  rangeEnd?: Uint8Array;
  limit?: number;
  keysOnly?: boolean;
  countOnly?: boolean;
  revision?: number;
  serializable?: boolean;
}

export function range(gateway: Gateway, key: Uint8Array, options: RangeOptions = {}): Promise<RangeResponse> {
  return gateway.post<RangeResponse>('/v3/kv/range', {
    key: toBase64(key),
    ...(options.rangeEnd ? { range_end: toBase64(options.rangeEnd) } : {}),
    ...(options.limit ? { limit: String(options.limit) } : {}),
    ...(options.keysOnly ? { keys_only: true } : {}),
    ...(options.countOnly ? { count_only: true } : {}),
    ...(options.revision ? { revision: String(options.revision) } : {}),
    ...(options.serializable ? { serializable: true } : {}),
  });
}

/** How many keys start with `prefix` (a count-only range). */
export async function countPrefix(gateway: Gateway, bytes: Uint8Array): Promise<number> {
  const answer = await range(gateway, bytes.length ? bytes : new Uint8Array([0]), { rangeEnd: prefixEnd(bytes), countOnly: true });
  return Number(answer.count ?? 0);
}

export function put(gateway: Gateway, key: Uint8Array, value: Uint8Array, lease?: string): Promise<{ header: ResponseHeader }> {
  return gateway.post('/v3/kv/put', { key: toBase64(key), value: toBase64(value), ...(lease && lease !== '0' ? { lease } : {}) });
}

export function deleteKey(gateway: Gateway, key: Uint8Array): Promise<{ header: ResponseHeader; deleted?: string }> {
  return gateway.post('/v3/kv/deleterange', { key: toBase64(key) });
}

export function keyBytes(kv: KeyValue): Uint8Array {
  return fromBase64(kv.key);
}

export interface Member {
  ID: string;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

export interface StatusResponse {
  header: ResponseHeader;
  version?: string;
  dbSize?: string;
  dbSizeInUse?: string;
  leader?: string;
  raftIndex?: string;
  raftTerm?: string;
  raftAppliedIndex?: string;
  errors?: string[];
  isLearner?: boolean;
}

export const memberList = (gateway: Gateway) => gateway.post<{ header: ResponseHeader; members?: Member[] }>('/v3/cluster/member/list', {});
export const status = (gateway: Gateway, timeoutMs?: number) =>
  gateway.post<StatusResponse>('/v3/maintenance/status', {}, { ...(timeoutMs ? { timeoutMs } : {}), reportConnection: gateway.base === '' });
export const alarms = (gateway: Gateway) => gateway.post<{ alarms?: Array<{ memberID?: string; alarm?: string }> }>('/v3/maintenance/alarm', {});

export interface LeaseInfo {
  ID: string;
  TTL?: string;
  grantedTTL?: string;
  keys?: string[];
}

export const leases = (gateway: Gateway) => gateway.post<{ leases?: Array<{ ID: string }> }>('/v3/lease/leases', {});
export const leaseTimeToLive = (gateway: Gateway, id: string) => gateway.post<LeaseInfo>('/v3/lease/timetolive', { ID: id, keys: true });
export const leaseGrant = (gateway: Gateway, ttl: number) => gateway.post<{ ID: string; TTL: string }>('/v3/lease/grant', { TTL: String(ttl) });
export const leaseRevoke = (gateway: Gateway, id: string) => gateway.post('/v3/lease/revoke', { ID: id });
