// One member's Prometheus metrics, with etcd 3.5's names, types, help texts,
// labels and buckets (server/etcdserver/metrics.go, server/wal/metrics.go,
// server/mvcc/backend/metrics.go, server/mvcc/metrics.go,
// server/lease/metrics.go, server/etcdserver/api/rafthttp/metrics.go,
// server/etcdserver/api/v3rpc/metrics.go, etcdhttp/health.go) and
// go-grpc-prometheus' grpc_server_* series.
//
// Each member has its own registry (several members may share a process in
// tests). The hot path stays cheap: events call MetricsHooks methods that add
// to unlabelled counters or observe unlabelled histograms; labelled series
// (gRPC per method and code, peers) are plain numbers turned into samples only
// when scraped, and gauges (leader, sizes, keys, watchers) are read at scrape
// time through collect() callbacks.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { MetricsHooks } from '../pkg/metrics-hooks.js';
import type { MemberMetricsSource } from '../server/etcd-server.js';
import { formatId } from '../server/membership/ids.js';
import { GrpcMetrics } from './grpc.js';

export type MetricsLevel = 'basic' | 'extensive';

export interface MemberMetricsOptions {
  /** --metrics: 'extensive' adds grpc_server_handling_seconds. */
  level: MetricsLevel;
  /** What /version reports as etcdserver (etcd_server_version's label). */
  serverVersion: string;
  /** The cluster version, e.g. '3.5' (etcd_cluster_version's label). */
  clusterVersion: string;
  /** --quota-backend-bytes (0: etcd's default of 2 GiB). */
  quotaBackendBytes: number;
  /** Node's process and runtime metrics (process_*, nodejs_*); default true. */
  processMetrics?: boolean;
}

/** etcd's DefaultQuotaBytes, reported when --quota-backend-bytes is 0. */
const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

const ms1To8s = exponentialBuckets(0.001, 2, 14);

export class MemberMetrics implements MetricsHooks {
  readonly registry = new Registry();
  readonly grpc: GrpcMetrics;
  private source: MemberMetricsSource | undefined;

  private readonly walFsyncSeconds: Histogram;
  private readonly walWriteBytes: Gauge;
  private readonly backendCommitSeconds: Histogram;
  private readonly backendSnapshotSeconds: Histogram;
  private readonly backendDefragSeconds: Histogram;
  private readonly rangeTotal: Counter;
  private readonly putTotal: Counter;
  private readonly deleteTotal: Counter;
  private readonly txnTotal: Counter;
  private readonly totalPutSize: Gauge;
  private readonly compactionPauseMs: Histogram;
  private readonly compactionTotalMs: Histogram;
  private readonly compactionKeys: Counter;
  private readonly compactionLast: Gauge;
  private readonly leaseGrantedTotal: Counter;
  private readonly leaseRevokedTotal: Counter;
  private readonly leaseRenewedTotal: Counter;
  private readonly leaseTtls: Histogram;
  private readonly leaderChanges: Counter;
  private readonly proposalsFailed: Counter;
  private readonly slowApplies: Counter;
  private readonly heartbeatSendFailures: Counter;
  private readonly peerRoundTripSeconds: Histogram;
  private readonly healthSuccess: Counter;
  private readonly healthFailures: Counter;

  constructor(options: MemberMetricsOptions) {
    const registers = [this.registry];
    const metrics = this;
    const source = (): MemberMetricsSource | undefined => metrics.source;

    // ---- server ----
    new Gauge({
      name: 'etcd_server_has_leader',
      help: 'Whether or not a leader exists. 1 is existence, 0 is not.',
      registers,
      collect() {
        this.set(source()?.hasLeader() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'etcd_server_is_leader',
      help: 'Whether or not this member is a leader. 1 if is, 0 otherwise.',
      registers,
      collect() {
        this.set(source()?.isLeader() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'etcd_server_is_learner',
      help: 'Whether or not this member is a learner. 1 if is, 0 otherwise.',
      registers,
      collect() {
        this.set(source()?.isLearner() ? 1 : 0);
      },
    });
    this.leaderChanges = new Counter({ name: 'etcd_server_leader_changes_seen_total', help: 'The number of leader changes seen.', registers });
    this.heartbeatSendFailures = new Counter({
      name: 'etcd_server_heartbeat_send_failures_total',
      help: 'The total number of leader heartbeat send failures (likely overloaded from slow disk).',
      registers,
    });
    this.slowApplies = new Counter({ name: 'etcd_server_slow_apply_total', help: 'The total number of slow apply requests (likely overloaded from slow disk).', registers });
    // etcd exports these two as gauges despite their names.
    new Gauge({
      name: 'etcd_server_proposals_committed_total',
      help: 'The total number of consensus proposals committed.',
      registers,
      collect() {
        this.set(source()?.committedIndex() ?? 0);
      },
    });
    new Gauge({
      name: 'etcd_server_proposals_applied_total',
      help: 'The total number of consensus proposals applied.',
      registers,
      collect() {
        this.set(source()?.appliedIndex() ?? 0);
      },
    });
    new Gauge({
      name: 'etcd_server_proposals_pending',
      help: 'The current number of pending proposals to commit.',
      registers,
      collect() {
        this.set(source()?.pendingProposals() ?? 0);
      },
    });
    this.proposalsFailed = new Counter({ name: 'etcd_server_proposals_failed_total', help: 'The total number of failed proposals seen.', registers });
    const quota = new Gauge({ name: 'etcd_server_quota_backend_bytes', help: 'Current backend storage quota size in bytes.', registers });
    quota.set(options.quotaBackendBytes > 0 ? options.quotaBackendBytes : DEFAULT_QUOTA_BYTES);
    new Gauge({
      name: 'etcd_server_version',
      help: "Which version is running. 1 for 'server_version' label with current version.",
      labelNames: ['server_version'],
      registers,
    }).set({ server_version: options.serverVersion }, 1);
    new Gauge({
      name: 'etcd_cluster_version',
      help: "Which version is running. 1 for 'cluster_version' label with current cluster version",
      labelNames: ['cluster_version'],
      registers,
    }).set({ cluster_version: options.clusterVersion }, 1);
    new Gauge({
      name: 'etcd_server_id',
      help: "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.",
      labelNames: ['server_id'],
      registers,
      collect() {
        const member = source();
        this.reset();
        if (member !== undefined) this.set({ server_id: formatId(member.memberId) }, 1);
      },
    });
    this.healthSuccess = new Counter({ name: 'etcd_server_health_success', help: 'The total number of successful health checks', registers });
    this.healthFailures = new Counter({ name: 'etcd_server_health_failures', help: 'The total number of failed health checks', registers });

    // ---- disk ----
    this.walFsyncSeconds = new Histogram({
      name: 'etcd_disk_wal_fsync_duration_seconds',
      help: 'The latency distributions of fsync called by WAL.',
      buckets: ms1To8s,
      registers,
    });
    this.walWriteBytes = new Gauge({ name: 'etcd_disk_wal_write_bytes_total', help: 'Total number of bytes written in WAL.', registers });
    this.backendCommitSeconds = new Histogram({
      name: 'etcd_disk_backend_commit_duration_seconds',
      help: 'The latency distributions of commit called by backend.',
      buckets: ms1To8s,
      registers,
    });
    this.backendSnapshotSeconds = new Histogram({
      name: 'etcd_disk_backend_snapshot_duration_seconds',
      help: 'The latency distribution of backend snapshots.',
      buckets: exponentialBuckets(0.01, 2, 17),
      registers,
    });
    this.backendDefragSeconds = new Histogram({
      name: 'etcd_disk_backend_defrag_duration_seconds',
      help: 'The latency distribution of backend defragmentation.',
      buckets: exponentialBuckets(0.1, 2, 13),
      registers,
    });

    // ---- MVCC ----
    this.rangeTotal = new Counter({ name: 'etcd_mvcc_range_total', help: 'Total number of ranges seen by this member.', registers });
    this.putTotal = new Counter({ name: 'etcd_mvcc_put_total', help: 'Total number of puts seen by this member.', registers });
    this.deleteTotal = new Counter({ name: 'etcd_mvcc_delete_total', help: 'Total number of deletes seen by this member.', registers });
    this.txnTotal = new Counter({ name: 'etcd_mvcc_txn_total', help: 'Total number of txns seen by this member.', registers });
    this.totalPutSize = new Gauge({ name: 'etcd_debugging_mvcc_total_put_size_in_bytes', help: 'The total size of put kv pairs seen by this member.', registers });
    new Gauge({
      name: 'etcd_mvcc_db_total_size_in_bytes',
      help: 'Total size of the underlying database physically allocated in bytes.',
      registers,
      collect() {
        this.set(source()?.dbSizeBytes() ?? 0);
      },
    });
    new Gauge({
      name: 'etcd_mvcc_db_total_size_in_use_in_bytes',
      help: 'Total size of the underlying database logically in use in bytes.',
      registers,
      collect() {
        this.set(source()?.dbSizeInUseBytes() ?? 0);
      },
    });
    new Gauge({
      name: 'etcd_debugging_mvcc_keys_total',
      help: 'Total number of keys.',
      registers,
      collect() {
        this.set(source()?.keysTotal() ?? 0);
      },
    });
    new Gauge({
      name: 'etcd_debugging_mvcc_watcher_total',
      help: 'Total number of watchers.',
      registers,
      collect() {
        const counts = source()?.watchers();
        this.set(counts === undefined ? 0 : counts.synced + counts.unsynced + counts.victims);
      },
    });
    new Gauge({
      name: 'etcd_debugging_mvcc_slow_watcher_total',
      help: 'Total number of unsynced slow watchers.',
      registers,
      collect() {
        this.set(source()?.watchers().unsynced ?? 0);
      },
    });
    new Gauge({
      name: 'etcd_debugging_mvcc_current_revision',
      help: 'The current revision of store.',
      registers,
      collect() {
        this.set(source()?.currentRevision() ?? 0);
      },
    });
    new Gauge({
      name: 'etcd_debugging_mvcc_compact_revision',
      help: 'The revision of the last compaction in store.',
      registers,
      collect() {
        this.set(Math.max(0, source()?.compactRevision() ?? 0));
      },
    });
    this.compactionPauseMs = new Histogram({
      name: 'etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds',
      help: 'Bucketed histogram of db compaction pause duration.',
      buckets: exponentialBuckets(1, 2, 13),
      registers,
    });
    this.compactionTotalMs = new Histogram({
      name: 'etcd_debugging_mvcc_db_compaction_total_duration_milliseconds',
      help: 'Bucketed histogram of db compaction total duration.',
      buckets: exponentialBuckets(100, 2, 14),
      registers,
    });
    this.compactionLast = new Gauge({ name: 'etcd_debugging_mvcc_db_compaction_last', help: 'The unix time of the last db compaction. Resets to 0 on start.', registers });
    this.compactionKeys = new Counter({ name: 'etcd_debugging_mvcc_db_compaction_keys_total', help: 'Total number of db keys compacted.', registers });

    // ---- leases ----
    this.leaseGrantedTotal = new Counter({ name: 'etcd_debugging_lease_granted_total', help: 'The total number of granted leases.', registers });
    this.leaseRevokedTotal = new Counter({ name: 'etcd_debugging_lease_revoked_total', help: 'The total number of revoked leases.', registers });
    this.leaseRenewedTotal = new Counter({ name: 'etcd_debugging_lease_renewed_total', help: 'The number of renewed leases seen by the leader.', registers });
    this.leaseTtls = new Histogram({ name: 'etcd_debugging_lease_ttl_total', help: 'Bucketed histogram of lease TTLs.', buckets: exponentialBuckets(1, 2, 24), registers });

    // ---- network: peers (read from the transport's counters at scrape time) ----
    this.peerRoundTripSeconds = new Histogram({
      name: 'etcd_network_peer_round_trip_time_seconds',
      help: 'Round-Trip-Time histogram between peers',
      labelNames: ['To'],
      buckets: exponentialBuckets(0.0001, 2, 16),
      registers,
    });
    const peerCounter = (name: string, help: string, label: 'To' | 'From', value: (stats: ReturnType<MemberMetricsSource['peers']> extends Map<string, infer S> ? S : never) => number) =>
      new Counter({
        name,
        help,
        labelNames: [label],
        registers,
        collect() {
          this.reset();
          const member = source();
          if (member === undefined) return;
          for (const [peer, stats] of member.peers()) this.inc({ [label]: peer }, value(stats));
        },
      });
    peerCounter('etcd_network_peer_sent_bytes_total', 'The total number of bytes sent to peers.', 'To', (stats) => stats.bytesSent);
    peerCounter('etcd_network_peer_received_bytes_total', 'The total number of bytes received from peers.', 'From', (stats) => stats.bytesReceived);
    peerCounter('etcd_network_peer_sent_failures_total', 'The total number of send failures from peers.', 'To', (stats) => stats.messagesDropped);
    new Gauge({
      name: 'etcd_network_active_peers',
      help: 'The current number of active peer connections.',
      labelNames: ['Local', 'Remote'],
      registers,
      collect() {
        this.reset();
        const member = source();
        if (member === undefined) return;
        const local = formatId(member.memberId);
        for (const [peer, stats] of member.peers()) if (stats.connected) this.set({ Local: local, Remote: peer }, 1);
      },
    });

    // ---- network: clients, and gRPC (go-grpc-prometheus) ----
    this.grpc = new GrpcMetrics(registers, options.level === 'extensive');

    // ---- the process: process_*, nodejs_* (event-loop lag, GC, heap) ----
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Where scrape-time gauges read from; until bound they read 0. */
  bind(source: MemberMetricsSource): void {
    this.source = source;
  }

  /** The exposition in Prometheus text format. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** A /health answer (etcd_server_health_success / etcd_server_health_failures). */
  countHealth(healthy: boolean): void {
    (healthy ? this.healthSuccess : this.healthFailures).inc();
  }

  // ---- MetricsHooks ----

  walFsync(seconds: number): void {
    this.walFsyncSeconds.observe(seconds);
  }

  walWrite(bytes: number): void {
    this.walWriteBytes.inc(bytes);
  }

  backendCommit(seconds: number): void {
    this.backendCommitSeconds.observe(seconds);
  }

  backendSnapshot(seconds: number): void {
    this.backendSnapshotSeconds.observe(seconds);
  }

  backendDefrag(seconds: number): void {
    this.backendDefragSeconds.observe(seconds);
  }

  mvccTxn(ranges: number, puts: number, deletes: number, putBytes: number): void {
    // As etcd's metricsTxnWrite.End: a txn is a write transaction of more than one operation.
    if (ranges + puts + deletes > 1) this.txnTotal.inc();
    if (ranges > 0) this.rangeTotal.inc(ranges);
    if (puts > 0) {
      this.putTotal.inc(puts);
      this.totalPutSize.inc(putBytes);
    }
    if (deletes > 0) this.deleteTotal.inc(deletes);
  }

  mvccRange(): void {
    this.rangeTotal.inc();
  }

  compactionStep(pauseMs: number, keys: number): void {
    this.compactionPauseMs.observe(pauseMs);
    this.compactionKeys.inc(keys);
  }

  compactionDone(totalMs: number): void {
    this.compactionTotalMs.observe(totalMs);
    this.compactionLast.set(Math.floor(Date.now() / 1000));
  }

  leaseGranted(ttlSeconds: number): void {
    this.leaseGrantedTotal.inc();
    this.leaseTtls.observe(ttlSeconds);
  }

  leaseRevoked(): void {
    this.leaseRevokedTotal.inc();
  }

  leaseRenewed(): void {
    this.leaseRenewedTotal.inc();
  }

  leaderChanged(): void {
    this.leaderChanges.inc();
  }

  proposalFailed(): void {
    this.proposalsFailed.inc();
  }

  slowApply(): void {
    this.slowApplies.inc();
  }

  heartbeatSendFailure(): void {
    this.heartbeatSendFailures.inc();
  }

  peerRoundTrip(peer: string, seconds: number): void {
    this.peerRoundTripSeconds.observe({ To: peer }, seconds);
  }
}
