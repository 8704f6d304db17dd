// Maintenance.Snapshot as etcd's maintenanceServer.Snapshot: the backend as a
// bbolt file with etcd's bucket layout, sent in 32 KiB chunks with the bytes
// still to come in `remaining_bytes`, then one last message whose blob is the
// sha256 of everything sent (etcdctl appends it to the file, and `snapshot
// restore` checks it). The point-in-time copy is LMDB's copy of the committed
// database; it is converted into a scratch file next to the backend and
// streamed from there with back-pressure, so memory stays flat.

import type { ServerWritableStream } from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import type { Callers } from './callers.js';
import { toGrpcError } from './errors.js';
import { makeBoltSnapshot, snapshotWithSha256Trailer, type BoltSnapshot } from '../snapshot/bolt-snapshot.js';
import { trackSnapshotStream } from './snapshot-streams.js';

const snapshotSendBufferSize = 32 * 1024;

interface SnapshotResponse {
  header?: unknown;
  remaining_bytes: number;
  blob: Buffer;
}

export function snapshotHandler(server: EtcdServer, callers: Callers) {
  return (call: ServerWritableStream<object, SnapshotResponse>): void => {
    void serveSnapshot(server, callers, call);
  };
}

async function serveSnapshot(server: EtcdServer, callers: Callers, call: ServerWritableStream<object, SnapshotResponse>): Promise<void> {
  let snapshot: BoltSnapshot | undefined;
  let cancelled = false;
  call.once('cancelled', () => (cancelled = true));
  // A member being stopped ends the stream with "etcdserver: server stopped" (snapshot-streams.ts).
  const untrack = trackSnapshotStream(server, call, () => (cancelled = true));
  try {
    server.requireAdmin(callers.of(call));
    const revision = server.currentRevision();
    // An empty first message: clientv3 retries (forever) a stream that fails before any message, but reports a failure after one.
    call.write({ header: server.header(revision), remaining_bytes: 0, blob: Buffer.alloc(0) });
    snapshot = await makeBoltSnapshot(server);
    const total = snapshot.size;
    const header = server.header(revision);
    // etcd's messages: the file in 32 KiB chunks counting down remaining_bytes, then the sha256 with 0.
    let sent = 0;
    for await (const chunk of snapshotWithSha256Trailer(snapshot, snapshotSendBufferSize)) {
      if (cancelled) return;
      sent += chunk.length;
      if (!call.write({ header, remaining_bytes: Math.max(0, total - sent), blob: chunk })) await drained(call);
    }
    if (cancelled) return;
    call.end();
  } catch (error) {
    if (!cancelled) call.emit('error', toGrpcError(error));
  } finally {
    untrack();
    snapshot?.dispose();
  }
}

function drained(call: ServerWritableStream<object, SnapshotResponse>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.removeListener('drain', done);
      call.removeListener('cancelled', done);
      call.removeListener('finish', done);
      resolve();
    };
    call.once('drain', done);
    call.once('cancelled', done);
    // Ended by a stopping member: no 'drain' comes after end().
    call.once('finish', done);
  });
}
