// /metrics, /health, /livez and /readyz of a real member process, on the
// client port and on --listen-metrics-urls: the required series with their
// types, a put moving etcd_mvcc_put_total and grpc_server_handled_total, and
// etcd's health bodies and codes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { freePort } from '../support/free-port.js';
import { etcdctlOk } from '../support/etcdctl.js';

const REQUIRED: Array<[string, 'counter' | 'gauge' | 'histogram']> = [
  ['etcd_server_has_leader', 'gauge'],
  ['etcd_server_is_leader', 'gauge'],
  ['etcd_server_leader_changes_seen_total', 'counter'],
  ['etcd_server_proposals_committed_total', 'gauge'],
  ['etcd_server_proposals_applied_total', 'gauge'],
  ['etcd_server_proposals_pending', 'gauge'],
  ['etcd_server_proposals_failed_total', 'counter'],
  ['etcd_server_slow_apply_total', 'counter'],
  ['etcd_server_heartbeat_send_failures_total', 'counter'],
  ['etcd_server_quota_backend_bytes', 'gauge'],
  ['etcd_server_id', 'gauge'],
  ['etcd_server_version', 'gauge'],
  ['etcd_server_health_success', 'counter'],
  ['etcd_server_health_failures', 'counter'],
  ['etcd_disk_wal_fsync_duration_seconds', 'histogram'],
  ['etcd_disk_backend_commit_duration_seconds', 'histogram'],
  ['etcd_disk_backend_snapshot_duration_seconds', 'histogram'],
  ['etcd_disk_backend_defrag_duration_seconds', 'histogram'],
  ['etcd_mvcc_db_total_size_in_bytes', 'gauge'],
  ['etcd_mvcc_db_total_size_in_use_in_bytes', 'gauge'],
  ['etcd_mvcc_put_total', 'counter'],
  ['etcd_mvcc_delete_total', 'counter'],
  ['etcd_mvcc_range_total', 'counter'],
  ['etcd_mvcc_txn_total', 'counter'],
  ['etcd_debugging_mvcc_db_compaction_pause_duration_milliseconds', 'histogram'],
  ['etcd_debugging_mvcc_db_compaction_total_duration_milliseconds', 'histogram'],
  ['etcd_debugging_mvcc_db_compaction_keys_total', 'counter'],
  ['etcd_debugging_mvcc_keys_total', 'gauge'],
  ['etcd_debugging_mvcc_watcher_total', 'gauge'],
  ['etcd_debugging_mvcc_slow_watcher_total', 'gauge'],
  ['etcd_debugging_lease_granted_total', 'counter'],
  ['etcd_debugging_lease_revoked_total', 'counter'],
  ['etcd_debugging_lease_renewed_total', 'counter'],
  ['etcd_debugging_lease_ttl_total', 'histogram'],
  ['etcd_network_peer_round_trip_time_seconds', 'histogram'],
  ['etcd_network_peer_sent_bytes_total', 'counter'],
  ['etcd_network_peer_received_bytes_total', 'counter'],
  ['etcd_network_peer_sent_failures_total', 'counter'],
  ['etcd_network_client_grpc_sent_bytes_total', 'counter'],
  ['etcd_network_client_grpc_received_bytes_total', 'counter'],
  ['grpc_server_started_total', 'counter'],
  ['grpc_server_handled_total', 'counter'],
  ['grpc_server_msg_received_total', 'counter'],
  ['grpc_server_msg_sent_total', 'counter'],
  ['process_cpu_seconds_total', 'counter'],
  ['process_resident_memory_bytes', 'gauge'],
  ['process_open_fds', 'gauge'],
  ['process_start_time_seconds', 'gauge'],
  ['nodejs_eventloop_lag_seconds', 'gauge'],
  ['nodejs_gc_duration_seconds', 'histogram'],
];

const PUT_OK = 'grpc_server_handled_total{grpc_code="OK",grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics and health endpoints of a member process', () => {
  let member: MemberProcess;
  let metricsPort: number;

  before(async () => {
    metricsPort = await freePort();
    member = await MemberProcess.start({ extraFlags: [`--listen-metrics-urls=http://127.0.0.1:${metricsPort}`, '--metrics=extensive'] });
  });
  after(stopAllMembers);

  test('/metrics lists every required series with its type; a put moves the put counters', async () => {
    const response = await fetch(`${member.clientUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const before = await response.text();
    const missing = REQUIRED.filter(([name, type]) => !new RegExp(`^# TYPE ${name} ${type}$`, 'm').test(before));
    assert.deepEqual(missing, []);
    assert.match(before, /^# TYPE grpc_server_handling_seconds histogram$/m);
    await etcdctlOk(member.endpoint, ['put', 'metrics-key', 'v']);
    const afterPut = await (await fetch(`${member.clientUrl}/metrics`)).text();
    assert.equal(sample(afterPut, 'etcd_mvcc_put_total'), (sample(before, 'etcd_mvcc_put_total') ?? 0) + 1);
    assert.equal(sample(afterPut, PUT_OK), (sample(before, PUT_OK) ?? 0) + 1);
    assert.equal(sample(afterPut, 'etcd_server_has_leader'), 1);
    assert.ok((sample(afterPut, 'etcd_debugging_mvcc_keys_total') ?? 0) >= 1);
  });

  test('JSON gateway calls count in grpc_server_* as etcd counts its gateway calls', async () => {
    const before = await (await fetch(`${member.clientUrl}/metrics`)).text();
    const put = await fetch(`${member.clientUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: 'Z3c=', value: 'dg==' }) });
    assert.equal(put.status, 200);
    const unknownLease = await fetch(`${member.clientUrl}/v3/lease/revoke`, { method: 'POST', body: JSON.stringify({ ID: '12345' }) });
    assert.equal(unknownLease.status, 404);
    const after = await (await fetch(`${member.clientUrl}/metrics`)).text();
    assert.equal(sample(after, PUT_OK), (sample(before, PUT_OK) ?? 0) + 1);
    const revokeNotFound = 'grpc_server_handled_total{grpc_code="NotFound",grpc_method="LeaseRevoke",grpc_service="etcdserverpb.Lease",grpc_type="unary"}';
    assert.equal(sample(after, revokeNotFound), (sample(before, revokeNotFound) ?? 0) + 1);
    const putSent = 'grpc_server_msg_sent_total{grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}';
    assert.equal(sample(after, putSent), (sample(before, putSent) ?? 0) + 1);
  });

  test('/health, /livez and /readyz answer as etcd 3.5', async () => {
    const health = await fetch(`${member.clientUrl}/health`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), '{"health":"true","reason":""}');
    assert.equal(await (await fetch(`${member.clientUrl}/health?serializable=true`)).text(), '{"health":"true","reason":""}');
    const livez = await fetch(`${member.clientUrl}/livez`);
    assert.equal(livez.status, 200);
    assert.equal(await livez.text(), 'ok\n');
    const readyz = await fetch(`${member.clientUrl}/readyz?verbose`);
    assert.equal(readyz.status, 200);
    assert.equal(await readyz.text(), '[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\n[+]non_learner ok\nok\n');
    assert.equal(await (await fetch(`${member.clientUrl}/readyz?verbose&exclude=linearizable_read`)).text(), '[+]data_corruption ok\n[+]serializable_read ok\n[+]non_learner ok\nok\n');
    assert.equal(await (await fetch(`${member.clientUrl}/readyz/non_learner`)).text(), 'ok\n');
    assert.equal((await fetch(`${member.clientUrl}/health`, { method: 'POST' })).status, 405);
    const counted = await (await fetch(`${member.clientUrl}/metrics`)).text();
    assert.ok((sample(counted, 'etcd_server_health_success') ?? 0) >= 2);
  });

  test('--listen-metrics-urls serves /metrics and /health only', async () => {
    const base = `http://127.0.0.1:${metricsPort}`;
    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^etcd_server_has_leader 1$/m);
    assert.equal(await (await fetch(`${base}/health`)).text(), '{"health":"true","reason":""}');
    assert.equal((await fetch(`${base}/version`)).status, 404);
  });
});
