// The HTTP/2 session a grpc-js server call runs on, and its graceful close.
// A stream's status goes out with its last frame, behind chunks still
// buffered; closing the socket at once drops them. HTTP/2's graceful close
// (GOAWAY, then the socket ended once open streams are done and everything
// is written) delivers them. Used when a stopping member ends its snapshot
// streams (api/snapshot-streams.ts, and the client transport thread's side).

export interface Http2SessionLike {
  closed: boolean;
  destroyed: boolean;
  close(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** Resolves once `session` has closed gracefully. */
export function sessionClosed(session: Http2SessionLike): Promise<void> {
  return new Promise((resolve) => {
    if (session.closed || session.destroyed) return resolve();
    session.once('close', () => resolve());
    session.close();
  });
}

/**
 * grpc-js 1.x internals, looked up defensively (there is no public way): the
 * handler's call wraps the interceptor calls (`nextCall`), the last of which
 * holds the HTTP/2 `stream`. Undefined when the layout is not as expected.
 */
export function http2SessionOf(call: object): Http2SessionLike | undefined {
  let current = (call as { call?: Record<string, unknown> }).call;
  for (let depth = 0; current !== undefined && depth < 16; depth++) {
    const session = (current['stream'] as { session?: Http2SessionLike } | undefined)?.session;
    if (session !== undefined && typeof session.close === 'function' && typeof session.once === 'function') return session;
    current = current['nextCall'] as Record<string, unknown> | undefined;
  }
  return undefined;
}
