// The Maintenance.Snapshot streams a member is serving, so that a member
// being stopped (SIGTERM) ends each with etcd's "etcdserver: server stopped"
// status before its client connections close: the client sees that error,
// never a stream that just stops, and no partial file is taken for a
// snapshot. The wait for the status to go out is bounded, so the member
// still exits promptly. Kept per member (several may share a process).

import type { ServerWritableStream } from '@grpc/grpc-js';
import { serverErrors } from '../server/errors.js';
import { toGrpcError } from './errors.js';

interface TrackedStream {
  call: ServerWritableStream<object, unknown>;
  /** Tells the handler to send nothing more. */
  onStop: () => void;
}

const streamsByMember = new WeakMap<object, Set<TrackedStream>>();

/** Registers a stream of `member`; the returned function unregisters it (when the handler is done). */
export function trackSnapshotStream(member: object, call: ServerWritableStream<object, unknown>, onStop: () => void): () => void {
  let streams = streamsByMember.get(member);
  if (streams === undefined) streamsByMember.set(member, (streams = new Set()));
  const tracked: TrackedStream = { call, onStop };
  streams.add(tracked);
  return () => streams.delete(tracked);
}

/**
 * Ends every stream of `member` with "etcdserver: server stopped" and waits
 * (at most `graceMs`) until their buffered chunks and status have gone out.
 * Returns how many streams were ended.
 */
export async function endSnapshotStreams(member: object, graceMs: number): Promise<number> {
  const streams = [...(streamsByMember.get(member) ?? [])];
  streamsByMember.delete(member);
  if (streams.length === 0) return 0;
  const sent = streams.map(({ call, onStop }) => {
    onStop();
    const session = http2SessionOf(call);
    call.emit('error', toGrpcError(serverErrors.stopped()));
    return session === undefined ? new Promise<void>((resolve) => call.once('cancelled', () => setImmediate(resolve))) : sessionClosed(session);
  });
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  await Promise.race([Promise.all(sent), grace]);
  clearTimeout(timer);
  return streams.length;
}

interface Http2SessionLike {
  closed: boolean;
  destroyed: boolean;
  close(): void;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * The status goes out with the stream's last frame, behind chunks still
 * buffered, and the client listener destroys sockets when it closes, which
 * drops unwritten frames. HTTP/2's graceful close (GOAWAY, then the socket
 * ended once open streams are done and everything is written) delivers them.
 */
function sessionClosed(session: Http2SessionLike): Promise<void> {
  return new Promise((resolve) => {
    if (session.closed || session.destroyed) return resolve();
    session.once('close', () => resolve());
    session.close();
  });
}

/**
 * grpc-js 1.x internals, looked up defensively: the handler's call wraps the
 * interceptor calls (`nextCall`), the last of which holds the HTTP/2 `stream`.
 */
function http2SessionOf(call: ServerWritableStream<object, unknown>): Http2SessionLike | undefined {
  let current = (call as unknown as { call?: Record<string, unknown> }).call;
  for (let depth = 0; current !== undefined && depth < 16; depth++) {
    const session = (current['stream'] as { session?: Http2SessionLike } | undefined)?.session;
    if (session !== undefined && typeof session.close === 'function' && typeof session.once === 'function') return session;
    current = current['nextCall'] as Record<string, unknown> | undefined;
  }
  return undefined;
}
