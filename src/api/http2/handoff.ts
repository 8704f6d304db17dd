// Gives each HTTP/2 client connection to the gRPC server, on the socket
// itself whenever it can. A connection that goes through the :authority
// rewriter (authority-rewriter.ts) runs HTTP/2 over a JS stream, which costs
// the server about a sixth of its CPU per request; most connections never
// need a rewrite, but only their first header block tells.
//
// So the first header block is awaited before the HTTP/2 server sees the
// connection. grpc-go sends no request until it has the server's SETTINGS,
// so an empty SETTINGS frame is sent first, on the server's behalf; the
// client's ACK of it is dropped from what the server later reads, since the
// server never sent it. Then:
//   - first block needs no rewrite, and that ACK has been seen: the bytes
//     read so far are put back on the socket and the server takes the
//     socket as is (Node's HTTP/2 reads bytes left in a socket's buffer);
//   - first block needs a rewrite, or no decision within DECIDE_TIMEOUT_MS
//     (a client that connects and waits): the connection goes through the
//     rewriter for good, as a JS stream.

import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { AuthorityRewriter, rewritingAuthority } from './authority-rewriter.js';

/** An HTTP/2 SETTINGS frame with no parameters: a valid server preface. */
export const EMPTY_SETTINGS_FRAME = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);

/**
 * How long a connection may take to send its first request before it is
 * given to the server through the rewriter (PINGs are unanswered until then).
 */
export const DECIDE_TIMEOUT_MS = 1000;

export interface Http2Handoff {
  /** Native: the server reads the socket itself. */
  viaSocket(socket: net.Socket): void;
  /** Through the rewriter, as a JS stream. */
  viaRewriter(stream: Duplex): void;
}

/**
 * Reads `socket` (paused, nothing consumed yet) until it can choose, then
 * hands it over. Input the rewriter cannot follow destroys the socket.
 */
export function handOffHttp2Connection(socket: net.Socket, handoff: Http2Handoff, onError?: (error: Error) => void): void {
  socket.setNoDelay(true);
  const rewriter = new AuthorityRewriter({ dropFirstSettingsAck: true });
  const output: Buffer[] = [];
  let decided = false;

  const finish = (native: boolean) => {
    decided = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.pause();
    if (native) {
      if (output.length > 0) socket.unshift(Buffer.concat(output));
      handoff.viaSocket(socket);
    } else {
      handoff.viaRewriter(rewritingAuthority(socket, onError, { rewriter, output: output.splice(0) }));
    }
  };
  const onData = (chunk: Buffer) => {
    try {
      output.push(...rewriter.transform(chunk));
    } catch (error) {
      onError?.(error as Error);
      decided = true;
      clearTimeout(timer);
      socket.destroy();
      return;
    }
    if (rewriter.rewriting) finish(false);
    else if (rewriter.passthrough && !rewriter.awaitingSettingsAck) finish(true);
  };
  const onClose = () => clearTimeout(timer);
  const timer = setTimeout(() => {
    if (!decided && !socket.destroyed) finish(false);
  }, DECIDE_TIMEOUT_MS);
  timer.unref();

  socket.on('close', onClose);
  socket.on('data', onData);
  socket.write(EMPTY_SETTINGS_FRAME);
  socket.resume();
}
