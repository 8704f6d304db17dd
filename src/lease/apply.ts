// The lease requests that travel through Raft, applied the same way on every
// member. Each returns the response body without its header; the server adds the
// header (revision = the store's revision after the apply, as etcd's newHeader).
// Errors are thrown with etcd's texts; the server hands them to the waiting client.

import type { KeyDeleteTxn, LeaseCheckpointRequest, Lessor } from './lessor.js';
import type { LeaseId } from './lease-id.js';

export interface LeaseGrantRequest {
  ID: LeaseId;
  TTL: number;
}

export interface LeaseRevokeRequest {
  ID: LeaseId;
}

export interface LeaseGrantResult {
  ID: LeaseId;
  TTL: number;
  error: string;
}

/** LeaseGrant: the granted ID and TTL (raised to the minimum TTL if shorter). */
export function applyLeaseGrant(lessor: Lessor, request: LeaseGrantRequest): LeaseGrantResult {
  const lease = lessor.grant(request.ID, request.TTL);
  return { ID: lease.id, TTL: lease.ttlSeconds, error: '' };
}

/**
 * LeaseRevoke: deletes the lease's keys in one write transaction (one revision, no
 * revision at all if it has no keys) and the lease record in the same batch.
 * `openTxn` is `() => store.write()`.
 */
export function applyLeaseRevoke(lessor: Lessor, openTxn: () => KeyDeleteTxn, request: LeaseRevokeRequest): { deletedKeys: Buffer[] } {
  return { deletedKeys: lessor.revoke(request.ID, openTxn) };
}

/** LeaseCheckpoint: records each lease's remaining TTL; unknown leases are skipped. */
export function applyLeaseCheckpoint(lessor: Lessor, request: LeaseCheckpointRequest): void {
  for (const checkpoint of request.checkpoints) lessor.checkpoint(checkpoint.ID, checkpoint.remaining_TTL);
}
