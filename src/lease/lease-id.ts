// A lease id: etcd's int64 LeaseID, exact over all 64 bits (pkg/int64.ts: a
// number while exact, a bigint beyond). 0 means "no lease" on a key and "pick
// one for me" in a grant.

import { int64ToHex, type Int64 } from '../pkg/int64.js';

export type LeaseId = Int64;

/** No lease (a key's lease field, a grant's "server chooses"). */
export const noLease = 0;

/** The lease id as etcd prints it in logs and errors: hex of its 64 bits. */
export function formatLeaseId(id: LeaseId): string {
  return int64ToHex(id);
}

/** Ascending numeric order (deterministic iteration over leases). */
export function compareLeaseIds(a: LeaseId, b: LeaseId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
