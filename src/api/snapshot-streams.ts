// The Maintenance.Snapshot streams a member is serving, so that a member
// being stopped (SIGTERM) ends each with etcd's "etcdserver: server stopped"
// status before its client connections close: the client sees that error,
// never a stream that just stops, and no partial file is taken for a
// snapshot. The wait for the status to go out is bounded, so the member
// still exits promptly. Kept per member (several may share a process).

import type { ServerWritableStream } from '@grpc/grpc-js';
import { serverErrors } from '../server/errors.js';
import { toGrpcError } from './errors.js';
import { http2SessionOf, sessionClosed } from './http2/call-session.js';
import type { StandInCall } from './stand-in-call.js';

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
    // A call handed over by the client transport thread: its session is there (api/front/).
    const closeRemoteSession = (call as unknown as Partial<StandInCall>).closeSessionGracefully;
    if (closeRemoteSession !== undefined) return closeRemoteSession.call(call);
    return session === undefined ? new Promise<void>((resolve) => call.once('cancelled', () => setImmediate(resolve))) : sessionClosed(session);
  });
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  await Promise.race([Promise.all(sent), grace]);
  clearTimeout(timer);
  return streams.length;
}
