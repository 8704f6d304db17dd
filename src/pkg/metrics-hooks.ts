// What the lower layers (WAL, backend, MVCC, lessor, the member) report for
// metrics, as plain calls. The Prometheus side (src/metrics/) implements it
// per member; lower layers never import prom-client. Every hook is called
// where the event happens and must stay cheap: no allocation, no I/O.

export interface MetricsHooks {
  /** One WAL fdatasync took `seconds` (etcd_disk_wal_fsync_duration_seconds). */
  walFsync(seconds: number): void;
  /** Bytes written to the WAL (etcd_disk_wal_write_bytes_total). */
  walWrite(bytes: number): void;
  /** One backend commit (LMDB transaction) took `seconds`. */
  backendCommit(seconds: number): void;
  /** A database copy for a snapshot took `seconds`. */
  backendSnapshot(seconds: number): void;
  /** A defragmentation took `seconds`. */
  backendDefrag(seconds: number): void;
  /** A write transaction ended: its ranges, puts, deletes and put bytes (mvcc's metricsTxnWrite). */
  mvccTxn(ranges: number, puts: number, deletes: number, putBytes: number): void;
  /** A client range read (a read transaction). */
  mvccRange(): void;
  /** One step of a physical compaction: its pause and the revisions it removed. */
  compactionStep(pauseMs: number, keys: number): void;
  /** A physical compaction finished after `totalMs`. */
  compactionDone(totalMs: number): void;
  leaseGranted(ttlSeconds: number): void;
  leaseRevoked(): void;
  leaseRenewed(): void;
  /** The member saw a new leader (etcd_server_leader_changes_seen_total). */
  leaderChanged(): void;
  /** A proposal was dropped or timed out (etcd_server_proposals_failed_total). */
  proposalFailed(): void;
  /** An entry's apply took longer than the warning threshold (etcd_server_slow_apply_total). */
  slowApply(): void;
  /** The leader sent a heartbeat later than twice the heartbeat interval. */
  heartbeatSendFailure(): void;
  /** Heartbeat to heartbeat response time to a peer (hex member id). */
  peerRoundTrip(peer: string, seconds: number): void;
}

const ignore = (): void => undefined;

/** For layers used without a member's metrics (tests, tools). */
export const NO_METRICS: MetricsHooks = {
  walFsync: ignore,
  walWrite: ignore,
  backendCommit: ignore,
  backendSnapshot: ignore,
  backendDefrag: ignore,
  mvccTxn: ignore,
  mvccRange: ignore,
  compactionStep: ignore,
  compactionDone: ignore,
  leaseGranted: ignore,
  leaseRevoked: ignore,
  leaseRenewed: ignore,
  leaderChanged: ignore,
  proposalFailed: ignore,
  slowApply: ignore,
  heartbeatSendFailure: ignore,
  peerRoundTrip: ignore,
};
