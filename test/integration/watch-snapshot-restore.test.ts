// Watch streams on a follower that is restored from a Raft snapshot stay open:
// a three-member cluster of real processes with a small --snapshot-count; a
// follower with open watches (a raw gRPC stream and the etcd3 npm client) is
// paused (SIGSTOP) while the leader writes, compacts and cuts its Raft log past
// it; once resumed, the leader sends it a snapshot, the follower restores its
// state machine in place, and every watcher receives each event exactly once,
// in revision order, without the stream ending (etcd does the same; etcd-ts
// used to end such streams with UNAVAILABLE).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { Cluster, stopAllClusters, type ClusterMember } from '../support/cluster-process.js';
import { connect } from '../support/grpc-client.js';
import { etcdctl } from '../support/etcdctl.js';
import { loadGrpcPackage } from '../../src/proto/index.js';
import { waitFor } from '../support/wait-for.js';
import type { ReceivedWatchResponse } from '../mvcc/watch/watch-clients.js';

after(stopAllClusters);

/** A raw Watch call that records every response and how (whether) it ended. */
class RawWatch {
  readonly responses: ReceivedWatchResponse[] = [];
  ended: string | undefined;
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<object, ReceivedWatchResponse>;

  constructor(endpoint: string) {
    const Watch = (loadGrpcPackage()['etcdserverpb'] as grpc.GrpcObject)['Watch'] as grpc.ServiceClientConstructor;
    this.client = new Watch(endpoint, grpc.credentials.createInsecure());
    this.call = (this.client as unknown as { Watch(): grpc.ClientDuplexStream<object, ReceivedWatchResponse> }).Watch();
    this.call.on('data', (response: ReceivedWatchResponse) => this.responses.push(response));
    this.call.on('error', (error: grpc.ServiceError) => (this.ended ??= `error ${error.code}: ${error.details}`));
    this.call.on('end', () => (this.ended ??= 'end'));
  }

  create(fields: Record<string, unknown>): void {
    this.call.write({ request_union: 'create_request', create_request: fields });
  }

  /** "PUT key=value@rev" / "DELETE key@rev" of watch `id`, in arrival order. */
  events(id: number): string[] {
    return this.responses
      .filter((response) => response.watch_id === id && !response.created)
      .flatMap((response) =>
        response.events.map((event) =>
          event.type === 'DELETE' || event.type === 1
            ? `DELETE ${event.kv.key.toString()}@${event.kv.mod_revision}`
            : `PUT ${event.kv.key.toString()}=${event.kv.value.toString()}@${event.kv.mod_revision}`,
        ),
      );
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

async function leaderOf(cluster: Cluster): Promise<ClusterMember> {
  return waitFor(
    'a leader',
    async () => {
      const result = await etcdctl(cluster.endpoints.join(','), ['endpoint', 'status', '-w', 'json']);
      if (result.code !== 0) return undefined;
      const statuses = JSON.parse(result.stdout.replace(/("(?:member_id|leader)":)(\d+)/g, '$1"$2"')) as Array<{
        Endpoint: string;
        Status: { header: { member_id: string }; leader: string };
      }>;
      const leader = statuses.find((status) => status.Status.header.member_id === status.Status.leader && status.Status.leader !== '0');
      return leader === undefined ? undefined : cluster.members.find((member) => member.endpoint === leader.Endpoint);
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

test('watch streams on a follower stay open across a snapshot restore and deliver every event once, in order', async () => {
  const cluster = await Cluster.start({
    size: 3,
    token: 'watch-snapshot-restore',
    extraFlags: ['--snapshot-count=20', '--experimental-snapshot-catchup-entries=5'],
  });
  const leader = await leaderOf(cluster);
  const follower = cluster.members.find((member) => member !== leader)!;
  const writer = connect(leader.endpoint);
  const raw = new RawWatch(follower.endpoint);
  const npmClient = new Etcd3({ hosts: follower.clientUrl });
  let npmWatcher: Awaited<ReturnType<ReturnType<Etcd3['watch']>['create']>> | undefined;
  try {
    /** Every change to w/, as the watchers must report it. */
    const written: string[] = [];
    const putKey = async (key: string, value: string) => {
      const response = await writer.kv.Put({ key: Buffer.from(key), value: Buffer.from(value) });
      if (key.startsWith('w/')) written.push(`PUT ${key}=${value}@${Number(response.header.revision)}`);
      return Number(response.header.revision);
    };
    const deleteKey = async (key: string) => {
      const response = await writer.kv.DeleteRange({ key: Buffer.from(key) });
      assert.equal(Number(response.deleted), 1);
      written.push(`DELETE ${key}@${Number(response.header.revision)}`);
    };

    raw.create({ key: Buffer.from('w/'), range_end: Buffer.from('w0'), watch_id: 1 });
    raw.create({ key: Buffer.from('w/a'), watch_id: 2 });
    await waitFor('both raw watchers created', () => raw.responses.filter((response) => response.created).length === 2);
    const npmEvents: string[] = [];
    let npmDisconnects = 0;
    npmWatcher = await npmClient.watch().prefix('w/').create();
    npmWatcher.on('put', (kv) => npmEvents.push(`PUT ${kv.key.toString()}=${kv.value.toString()}@${kv.mod_revision}`));
    npmWatcher.on('delete', (kv) => npmEvents.push(`DELETE ${kv.key.toString()}@${kv.mod_revision}`));
    npmWatcher.on('disconnected', () => npmDisconnects++);

    // Live events before the pause.
    for (let i = 0; i < 5; i++) await putKey(`w/${i}`, `before-${i}`);
    await putKey('w/a', 'a1');
    await waitFor('the live events on the follower', () => raw.events(1).length === written.length && npmEvents.length === written.length);
    const revisionBeforePause = await putKey('other', 'x');

    follower.pause();
    try {
      // More entries than the leader sends unacknowledged (512 messages in flight),
      // so the ones the follower misses are cut from the leader's log.
      for (let i = 0; i < 300; i++) await putKey(`w/${i % 13}`, `during-${i}`);
      await deleteKey('w/3');
      await putKey('w/a', 'a2');
      await deleteKey('w/a');
      // Compacted history comes with the snapshot; the watchers' next revision is above it.
      await writer.kv.Compact({ revision: revisionBeforePause, physical: true });
      for (let i = 300; i < 600; i++) await putKey(`w/${i % 7}`, `during-${i}`);
    } finally {
      follower.resume();
    }
    await waitFor('the follower to restore a snapshot', () => follower.output.includes('applied snapshot'), { timeoutMs: 30_000 }).catch((error: Error) => {
      throw new Error(`${error.message}; follower log tail:\n${follower.output.slice(-4000)}`);
    });
    const lastRevision = await putKey('w/a', 'after-restore');
    await waitFor(
      `every event on the raw watcher (${raw.events(1).length} of ${written.length}) and the etcd3 watcher (${npmEvents.length})`,
      () => raw.events(1).length >= written.length && npmEvents.length >= written.length,
      { timeoutMs: 30_000 },
    );
    // Events still in flight would show up as duplicates: give them a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));

    assert.match(follower.output, /restored mvcc store/);
    assert.deepEqual(raw.events(1), written, 'the prefix watcher: each event once, in revision order');
    assert.deepEqual(raw.events(2), written.filter((event) => / w\/a[=@]/.test(event)), 'the key watcher');
    assert.deepEqual(npmEvents, written, 'the etcd3 client watcher');
    assert.equal(npmDisconnects, 0, 'the etcd3 client never lost its stream');
    assert.equal(raw.ended, undefined, 'the stream was not ended (no UNAVAILABLE)');
    assert.ok(raw.responses.every((response) => !response.canceled), 'no watcher was canceled');
    assert.ok(raw.responses.every((response) => Number(response.header.revision) <= lastRevision));

    // The stream keeps serving: a new watcher on it, from a revision in the restored history.
    raw.create({ key: Buffer.from('w/a'), watch_id: 3, start_revision: lastRevision });
    await waitFor('the new watcher to replay the last put', () => raw.events(3).length === 1);
    assert.deepEqual(raw.events(3), [`PUT w/a=after-restore@${lastRevision}`]);
  } finally {
    await Promise.race([npmWatcher?.cancel(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    raw.close();
    npmClient.close();
    writer.close();
    await cluster.stop();
  }
});
