// Shared pieces of the transport tests: transports on loopback port 0 with
// short delays, recorders of what the hooks saw, and message builders.

import * as net from 'node:net';
import { EntryType, MessageType, type Message } from '../../src/raft/index.js';
import { recordingLogger, type LogLine } from '../support/recording-logger.js';
import { PeerTransport, type SocketFactory, type TransportLimits } from '../../src/transport/index.js';
import { ByteQueue } from '../../src/transport/byte-queue.js';
import { HELLO_BYTES, Verdict, decodeHello, encodeVerdict } from '../../src/transport/wire.js';

export const HOST = '127.0.0.1';
export const CLUSTER_ID = 0x1c2d3e4f5a6b7c8dn;

export const FAST_LIMITS: Partial<TransportLimits> = {
  backoffInitialDelayMs: 10,
  backoffMaxDelayMs: 100,
  dialTimeoutMs: 2_000,
  handshakeTimeoutMs: 2_000,
  snapshotIdleTimeoutMs: 5_000,
};

export { recordingLogger, type LogLine };

/** A transport plus everything its hooks reported. */
export interface Member {
  id: number;
  transport: PeerTransport;
  received: Message[];
  unreachable: number[];
  snapshotStatuses: Array<{ peerId: number; delivered: boolean }>;
  logs: LogLine[];
}

export async function startMember(
  id: number,
  options: {
    port?: number;
    host?: string;
    sourceAddress?: string;
    socketFactory?: SocketFactory;
    clusterId?: bigint;
    limits?: Partial<TransportLimits>;
    httpHandler?: (socket: net.Socket, head: Buffer) => void;
  } = {},
): Promise<Member> {
  const member: Member = { id, transport: undefined!, received: [], unreachable: [], snapshotStatuses: [], logs: [] };
  member.transport = new PeerTransport({
    localId: id,
    clusterId: options.clusterId ?? CLUSTER_ID,
    listen: { host: options.host ?? HOST, port: options.port ?? 0 },
    ...(options.sourceAddress === undefined ? {} : { sourceAddress: options.sourceAddress }),
    ...(options.socketFactory === undefined ? {} : { socketFactory: options.socketFactory }),
    onMessage: (message) => member.received.push(message),
    onUnreachable: (peerId) => member.unreachable.push(Number(peerId)),
    onSnapshotStatus: (peerId, delivered) => member.snapshotStatuses.push({ peerId: Number(peerId), delivered }),
    logger: recordingLogger(member.logs),
    limits: { ...FAST_LIMITS, ...options.limits },
    ...(options.httpHandler === undefined ? {} : { httpHandler: options.httpHandler }),
  });
  await member.transport.start();
  return member;
}

export function urlOf(member: Member, host = HOST): string {
  return `http://${host}:${member.transport.port}`;
}

/** Makes every member a peer of every other. */
export function connectAll(members: readonly Member[]): void {
  for (const member of members) {
    for (const other of members) if (other !== member) member.transport.addPeer(other.id, [urlOf(other)]);
  }
}

export function appMessage(from: number, to: number, index: number, dataBytes = 0): Message {
  return {
    type: MessageType.App,
    to,
    from,
    term: 3,
    logTerm: 2,
    index,
    entries: dataBytes > 0 ? [{ term: 3, index: index + 1, type: EntryType.Normal, data: new Uint8Array(dataBytes).fill(index % 251) }] : [],
    commit: index,
    reject: false,
    rejectHint: 0,
    context: new Uint8Array(0),
  };
}

export function heartbeat(from: number, to: number): Message {
  return { ...appMessage(from, to, 0), type: MessageType.Heartbeat };
}

export async function stopAll(members: ReadonlyArray<Member | undefined>): Promise<void> {
  await Promise.all(members.map((member) => member?.transport.stop()));
}

/**
 * A listener that speaks the handshake as member `id`, then does what
 * `behave` says with the rest of the stream.
 */
export async function startFakePeer(
  id: number,
  behave: (socket: net.Socket, bytesAfterHello: () => number) => void,
): Promise<{ server: net.Server; url: string }> {
  const server = net.createServer((socket) => {
    const pending = new ByteQueue();
    let afterHello = -1;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      if (afterHello >= 0) {
        afterHello += chunk.length;
        return;
      }
      pending.push(chunk);
      if (pending.length < HELLO_BYTES) return;
      const hello = decodeHello(pending.take(HELLO_BYTES));
      socket.write(encodeVerdict({ verdict: Verdict.Accepted, clusterId: hello.clusterId, raftId: id }));
      afterHello = pending.length;
      behave(socket, () => afterHello);
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: HOST, port: 0 }, resolve));
  return { server, url: `http://${HOST}:${(server.address() as net.AddressInfo).port}` };
}
