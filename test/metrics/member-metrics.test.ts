// The per-member registry: etcd's names and types, hooks moving counters,
// scrape-time gauges, gRPC series in Go's label order, and separate members
// in one process not sharing anything.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemberMetrics } from '../../src/metrics/index.js';
import type { MemberMetricsSource } from '../../src/server/etcd-server.js';

function newMetrics(level: 'basic' | 'extensive' = 'basic'): MemberMetrics {
  return new MemberMetrics({ level, serverVersion: '3.5.0', clusterVersion: '3.5', quotaBackendBytes: 0, processMetrics: false });
}

function source(overrides: Partial<MemberMetricsSource> = {}): MemberMetricsSource {
  return {
    memberId: 0x8e9e05c52164694dn,
    hasLeader: () => true,
    isLeader: () => true,
    isLearner: () => false,
    committedIndex: () => 7,
    appliedIndex: () => 6,
    pendingProposals: () => 2,
    dbSizeBytes: () => 4096,
    dbSizeInUseBytes: () => 2048,
    keysTotal: () => 3,
    currentRevision: () => 9,
    compactRevision: () => -1,
    watchers: () => ({ synced: 2, unsynced: 1, victims: 0 }),
    peers: () => new Map(),
    ...overrides,
  };
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('exports etcd series with their types, gauges read at scrape time', async () => {
  const metrics = newMetrics();
  metrics.bind(source());
  const text = await metrics.scrape();
  for (const [name, type] of [
    ['etcd_server_has_leader', 'gauge'],
    ['etcd_server_proposals_committed_total', 'gauge'],
    ['etcd_server_leader_changes_seen_total', 'counter'],
    ['etcd_disk_wal_fsync_duration_seconds', 'histogram'],
    ['etcd_mvcc_put_total', 'counter'],
    ['etcd_debugging_mvcc_keys_total', 'gauge'],
    ['grpc_server_handled_total', 'counter'],
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'));
  }
  assert.equal(sample(text, 'etcd_server_has_leader'), 1);
  assert.equal(sample(text, 'etcd_server_proposals_committed_total'), 7);
  assert.equal(sample(text, 'etcd_server_proposals_pending'), 2);
  assert.equal(sample(text, 'etcd_debugging_mvcc_keys_total'), 3);
  assert.equal(sample(text, 'etcd_debugging_mvcc_watcher_total'), 3);
  assert.equal(sample(text, 'etcd_debugging_mvcc_slow_watcher_total'), 1);
  assert.equal(sample(text, 'etcd_server_quota_backend_bytes'), 2 * 1024 ** 3);
  assert.equal(sample(text, 'etcd_server_version{server_version="3.5.0"}'), 1);
  assert.equal(sample(text, 'etcd_server_id{server_id="8e9e05c52164694d"}'), 1);
  assert.equal(sample(text, 'etcd_disk_wal_fsync_duration_seconds_bucket{le="8.192"}'), 0);
  assert.doesNotMatch(text, /grpc_server_handling_seconds/);
});

test('hooks move counters as etcd counts them', async () => {
  const metrics = newMetrics();
  metrics.mvccTxn(0, 1, 0, 10); // a put
  metrics.mvccTxn(1, 1, 0, 10); // a put with prev_kv: a txn in etcd's count
  metrics.mvccTxn(0, 0, 1, 0);
  metrics.walFsync(0.003);
  metrics.leaderChanged();
  metrics.countHealth(true);
  metrics.countHealth(false);
  const text = await metrics.scrape();
  assert.equal(sample(text, 'etcd_mvcc_put_total'), 2);
  assert.equal(sample(text, 'etcd_mvcc_txn_total'), 1);
  assert.equal(sample(text, 'etcd_mvcc_range_total'), 1);
  assert.equal(sample(text, 'etcd_mvcc_delete_total'), 1);
  assert.equal(sample(text, 'etcd_disk_wal_fsync_duration_seconds_bucket{le="0.002"}'), 0);
  assert.equal(sample(text, 'etcd_disk_wal_fsync_duration_seconds_bucket{le="0.004"}'), 1);
  assert.equal(sample(text, 'etcd_server_leader_changes_seen_total'), 1);
  assert.equal(sample(text, 'etcd_server_health_success'), 1);
  assert.equal(sample(text, 'etcd_server_health_failures'), 1);
});

test('members in one process have separate registries', async () => {
  const first = newMetrics();
  const second = newMetrics();
  first.leaderChanged();
  assert.equal(sample(await first.scrape(), 'etcd_server_leader_changes_seen_total'), 1);
  assert.equal(sample(await second.scrape(), 'etcd_server_leader_changes_seen_total'), 0);
});

test('gRPC methods are exported with every code, labels in Go order; extensive adds handling seconds', async () => {
  const metrics = newMetrics('extensive');
  const definition = {
    Put: { path: '/etcdserverpb.KV/Put', requestStream: false, responseStream: false, requestSerialize: (v: Buffer) => v, requestDeserialize: (b: Buffer) => b, responseSerialize: (v: Buffer) => v, responseDeserialize: (b: Buffer) => b },
  };
  const instrumented = metrics.grpc.instrument(definition as never) as typeof definition;
  instrumented.Put.requestDeserialize(Buffer.alloc(5));
  instrumented.Put.responseSerialize(Buffer.alloc(3));
  const text = await metrics.scrape();
  assert.equal(sample(text, 'grpc_server_handled_total{grpc_code="OK",grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}'), 0);
  assert.equal(sample(text, 'grpc_server_handled_total{grpc_code="Unauthenticated",grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}'), 0);
  assert.equal(sample(text, 'grpc_server_started_total{grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}'), 0);
  assert.equal(sample(text, 'etcd_network_client_grpc_received_bytes_total'), 5);
  assert.equal(sample(text, 'etcd_network_client_grpc_sent_bytes_total'), 3);
  assert.match(text, /^# TYPE grpc_server_handling_seconds histogram$/m);
});
