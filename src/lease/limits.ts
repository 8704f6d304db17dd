// Numeric rules of etcd's lessor: TTL bounds and lease IDs.

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

// 2^53 - 1: lease IDs travel as JS numbers (proto-loader's `longs: Number`).
const safeIdMask = (1n << 53n) - 1n;

/**
 * A server-chosen lease ID derived from a request ID, as etcd does with
 * `reqIDGen.Next() & (2^63 - 1)`, but masked to 53 bits so the ID is exact as a JS
 * number. Returns 0 (meaning: take the next request ID) in the rare case the mask
 * leaves nothing. The mask drops the high bits of the member part of request IDs,
 * so IDs chosen by different members can collide; the grant then fails with "lease
 * already exists" and the client retries, the same outcome as etcd's rarer collisions.
 */
export function leaseIdFromRequestId(requestId: bigint): number {
  return Number(requestId & safeIdMask);
}
