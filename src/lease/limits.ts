// Numeric rules of etcd's lessor: TTL bounds and lease IDs.

import { int64FromBigInt } from '../pkg/int64.js';
import type { LeaseId } from './lease-id.js';

/** etcd's lease.MaxLeaseTTL: a grant with a larger TTL fails. */
export const maxLeaseTtlSeconds = 9_000_000_000;

/**
 * etcd's minimum lease TTL: 1.5 election timeouts, counted in whole heartbeat ticks
 * (`(3 * electionTicks) / 2 * heartbeat`, integer division), rounded up to seconds.
 * A shorter lease could expire during a leader election before any member can renew it.
 * With the defaults (100 ms heartbeat, 1000 ms election timeout) it is 2 seconds.
 */
export function minLeaseTtlSeconds(electionTimeoutMs: number, heartbeatIntervalMs: number): number {
  const electionTicks = Math.floor(electionTimeoutMs / heartbeatIntervalMs);
  const minTtlMs = Math.floor((3 * electionTicks) / 2) * heartbeatIntervalMs;
  return Math.ceil(minTtlMs / 1000);
}

const positiveInt64Mask = (1n << 63n) - 1n;

/**
 * A server-chosen lease ID derived from a request ID, as etcd does with
 * `reqIDGen.Next() & (2^63 - 1)`: positive, and unique across members because a
 * request ID starts with the proposing member's id bits. Returns 0 (meaning:
 * take the next request ID) in the rare case the mask leaves nothing.
 */
export function leaseIdFromRequestId(requestId: bigint): LeaseId {
  return int64FromBigInt(requestId & positiveInt64Mask);
}
