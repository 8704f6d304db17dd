// The few KV requests etcd's client concurrency package builds (clientv3's
// OpGet/OpPut/OpDelete, Compare, WithPrefix, WithFirstCreate, ...), as the
// member's request objects.

import type { LeaseId } from '../../lease/index.js';
import { int64ToBigInt } from '../../pkg/int64.js';
import {
  CompareResult,
  CompareTarget,
  SortOrder,
  SortTarget,
  type Compare,
  type DeleteRangeRequest,
  type PutRequest,
  type RangeRequest,
  type RequestOp,
} from '../apply/types.js';

const EMPTY = Buffer.alloc(0);

/** clientv3.GetPrefixRangeEnd: the key after every key with this prefix ("\0" for none). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  // Every byte is 0xff: the range is "every key from prefix on".
  return Buffer.from([0]);
}

export function rangeRequest(key: Buffer, options: Partial<RangeRequest> = {}): RangeRequest {
  return {
    key,
    range_end: EMPTY,
    limit: 0,
    revision: 0,
    sort_order: SortOrder.NONE,
    sort_target: SortTarget.KEY,
    serializable: false,
    keys_only: false,
    count_only: false,
    min_mod_revision: 0,
    max_mod_revision: 0,
    min_create_revision: 0,
    max_create_revision: 0,
    ...options,
  };
}

/** Get(prefix, WithFirstCreate()...): the key of the prefix with the lowest create revision. */
export function firstCreateRequest(prefix: Buffer): RangeRequest {
  return rangeRequest(prefix, { range_end: prefixRangeEnd(prefix), sort_order: SortOrder.ASCEND, sort_target: SortTarget.CREATE, limit: 1 });
}

/** Get(prefix, WithLastCreate(), WithMaxCreateRev(max)): the newest key created at or before max. */
export function lastCreateBeforeRequest(prefix: Buffer, maxCreateRevision: number): RangeRequest {
  return rangeRequest(prefix, {
    range_end: prefixRangeEnd(prefix),
    sort_order: SortOrder.DESCEND,
    sort_target: SortTarget.CREATE,
    limit: 1,
    max_create_revision: maxCreateRevision,
  });
}

export function putRequest(key: Buffer, value: Buffer, lease: LeaseId): PutRequest {
  return { key, value, lease, prev_kv: false, ignore_value: false, ignore_lease: false };
}

export function deleteRequest(key: Buffer): DeleteRangeRequest {
  return { key, range_end: EMPTY, prev_kv: false };
}

/** Compare(CreateRevision(key), "=", revision). */
export function createRevisionIs(key: Buffer, revision: number): Compare {
  return {
    result: CompareResult.EQUAL,
    target: CompareTarget.CREATE,
    key,
    range_end: EMPTY,
    target_union: 'create_revision',
    create_revision: revision,
  };
}

export const op = {
  range: (request: RangeRequest): RequestOp => ({ request: 'request_range', request_range: request }),
  put: (request: PutRequest): RequestOp => ({ request: 'request_put', request_put: request }),
  delete: (request: DeleteRangeRequest): RequestOp => ({ request: 'request_delete_range', request_delete_range: request }),
};

/** fmt.Sprintf("%s%x", prefix, leaseID): the session's key under a prefix. */
export function sessionKey(prefix: Buffer, lease: LeaseId): Buffer {
  const hex = lease < 0 ? '-' + (-int64ToBigInt(lease)).toString(16) : lease.toString(16);
  return Buffer.concat([prefix, Buffer.from(hex)]);
}
