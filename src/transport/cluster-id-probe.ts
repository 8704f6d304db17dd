// A member joining an existing cluster (--initial-cluster-state=existing)
// does not know the cluster's id, which every peer connection must carry.
// Once the cluster has added the member, its leader dials it: the first
// hello addressed to this member names the cluster. The probe listens on
// the peer port until then, reads that hello and hangs up; the leader
// re-dials (with backoff) the real transport, which then knows the id.

import type * as net from 'node:net';
import { tcpSocketFactory, type ListenAddress, type SocketFactory } from './socket-factory.js';
import { HELLO_BYTES, decodeHello } from './wire.js';

export interface ClusterIdProbeOptions {
  listen: ListenAddress;
  /** The peer port's sockets (TLS when the peer port uses it). */
  socketFactory?: SocketFactory;
  /** This member's Raft id: hellos for anyone else are ignored. */
  localId: number;
  /** Gives up after this long (the member was never added?). */
  timeoutMs: number;
}

export function awaitClusterIdFromPeer(options: ClusterIdProbeOptions): Promise<bigint> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<net.Socket>();
    let settled = false;
    const finish = (outcome: { clusterId: bigint } | { error: Error }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      server.close(() => ('clusterId' in outcome ? resolve(outcome.clusterId) : reject(outcome.error)));
    };
    const server = (options.socketFactory ?? tcpSocketFactory).createServer((socket) => {
      sockets.add(socket);
      let received = Buffer.alloc(0);
      socket.setTimeout(5_000, () => socket.destroy());
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < HELLO_BYTES) return;
        try {
          const hello = decodeHello(received.subarray(0, HELLO_BYTES));
          if (hello.toId === options.localId && hello.clusterId !== 0n) finish({ clusterId: hello.clusterId });
        } catch {
          // Not a peer of this protocol: ignore it.
        }
        socket.destroy();
      });
    });
    const timer = setTimeout(
      () => finish({ error: new Error(`no member of the existing cluster contacted this member within ${options.timeoutMs} ms; was it added with "member add"?`) }),
      options.timeoutMs,
    );
    server.once('error', (error) => finish({ error }));
    server.listen(options.listen);
  });
}
