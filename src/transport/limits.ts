// Every bound and delay of the transport, with defaults for real clusters.
// Tests shrink them to run fast and to reach the bounds quickly.

export interface TransportLimits {
  /** Bound on one message frame, checked by sender and receiver. */
  maxFrameBytes: number;
  /** Bound on a received snapshot's data. */
  maxSnapshotBytes: number;
  /** Per-peer send queue bounds; beyond them messages are dropped and the peer reported unreachable. */
  maxQueueMessages: number;
  maxQueueBytes: number;
  /** Size of each write of snapshot data. */
  snapshotChunkBytes: number;
  /** Connect plus handshake of an outbound connection. */
  dialTimeoutMs: number;
  /** An inbound connection must present its hello within this time. */
  handshakeTimeoutMs: number;
  /** A snapshot transfer that makes no progress for this long fails. */
  snapshotIdleTimeoutMs: number;
  /** A message stream whose socket stays unwritable this long is presumed dead (peer gone silently) and re-dialed. */
  streamStallTimeoutMs: number;
  backoffInitialDelayMs: number;
  backoffMaxDelayMs: number;
  /** Bound on simultaneously open inbound connections (handshaking or not). */
  maxInboundConnections: number;
  /** Bound on snapshots being received at once; each may buffer up to maxSnapshotBytes. */
  maxInboundSnapshots: number;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = {
  // Raft's append messages are bounded by maxSizePerMsg (1 MiB by default) plus one entry (etcd caps requests at 1.5 MiB).
  maxFrameBytes: 16 * 1024 * 1024,
  maxSnapshotBytes: 2 * 1024 * 1024 * 1024,
  // etcd buffers 4096 messages per stream.
  maxQueueMessages: 4096,
  maxQueueBytes: 64 * 1024 * 1024,
  snapshotChunkBytes: 64 * 1024,
  dialTimeoutMs: 5_000,
  handshakeTimeoutMs: 5_000,
  snapshotIdleTimeoutMs: 30_000,
  streamStallTimeoutMs: 15_000,
  backoffInitialDelayMs: 100,
  backoffMaxDelayMs: 2_000,
  maxInboundConnections: 128,
  maxInboundSnapshots: 2,
};

export function resolveLimits(overrides: Partial<TransportLimits> | undefined): TransportLimits {
  const limits = { ...DEFAULT_TRANSPORT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`peer transport: limit ${name} must be a non-negative integer, got ${value}`);
  }
  if (limits.maxFrameBytes < 1 || limits.maxFrameBytes > 0xffffffff) throw new Error('peer transport: maxFrameBytes must be in [1, 2^32)');
  if (limits.snapshotChunkBytes < 1) throw new Error('peer transport: snapshotChunkBytes must be positive');
  if (limits.backoffMaxDelayMs < limits.backoffInitialDelayMs) throw new Error('peer transport: backoffMaxDelayMs < backoffInitialDelayMs');
  return limits;
}
