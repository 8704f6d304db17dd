// Opens one outbound connection and performs the handshake: send the hello,
// read the listener's verdict. Hands over a socket that is paused, with no
// listeners of ours left on it, only once the peer accepted us.

import type * as net from 'node:net';
import { describeTlsError } from '../tls/tls-errors.js';
import { ByteQueue } from './byte-queue.js';
import type { Scheduler } from './scheduler.js';
import type { SocketFactory } from './socket-factory.js';
import { VERDICT_BYTES, Verdict, decodeVerdict, describeVerdict, encodeHello, type Hello } from './wire.js';

export interface DialRequest {
  factory: SocketFactory;
  scheduler: Scheduler;
  url: URL;
  hello: Hello;
  timeoutMs: number;
  /** Local address to dial from; the kernel picks when undefined. */
  sourceAddress?: string | undefined;
}

export type DialResult =
  | { ok: true; socket: net.Socket; leftover: ByteQueue }
  /** `refused`: the peer answered and said no (e.g. another cluster), as opposed to a network failure. */
  | { ok: false; error: Error; refused: boolean };

export interface PendingDial {
  cancel(): void;
}

export function dial(request: DialRequest, done: (result: DialResult) => void): PendingDial {
  let finished = false;
  const received = new ByteQueue();
  const socket = request.factory.connect(
    request.url,
    () => {
      if (!finished) socket.write(encodeHello(request.hello));
    },
    request.sourceAddress === undefined ? {} : { localAddress: request.sourceAddress },
  );
  const timer = request.scheduler.schedule(request.timeoutMs, () =>
    fail(new Error(`dial ${request.url.host} timed out after ${request.timeoutMs} ms`), false),
  );

  const detach = () => {
    finished = true;
    timer.cancel();
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('close', onClose);
  };
  const fail = (error: Error, refused: boolean) => {
    if (finished) return;
    detach();
    socket.on('error', () => {}); // late errors of a socket we abandon must not become uncaught
    socket.destroy();
    done({ ok: false, error, refused });
  };
  const onError = (error: Error) => fail(new Error(describeTlsError(error)), false);
  const onClose = () => fail(new Error(`connection to ${request.url.host} closed during the handshake`), false);
  const onData = (chunk: Buffer) => {
    received.push(chunk);
    if (received.length < VERDICT_BYTES) return;
    let reply;
    try {
      reply = decodeVerdict(received.take(VERDICT_BYTES));
    } catch (error) {
      fail(error as Error, false);
      return;
    }
    if (reply.verdict !== Verdict.Accepted) {
      fail(
        new Error(
          `peer ${reply.raftId.toString(16)} at ${request.url.host} refused the connection: ${describeVerdict(reply.verdict)}` +
            ` (local cluster ${request.hello.clusterId.toString(16)}, remote cluster ${reply.clusterId.toString(16)})`,
        ),
        true,
      );
      return;
    }
    if (reply.raftId !== request.hello.toId) {
      fail(new Error(`${request.url.host} is member ${reply.raftId.toString(16)}, expected ${request.hello.toId.toString(16)}`), true);
      return;
    }
    socket.pause();
    detach();
    done({ ok: true, socket, leftover: received });
  };
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('close', onClose);

  return {
    cancel() {
      if (finished) return;
      detach();
      socket.on('error', () => {});
      socket.destroy();
    },
  };
}
