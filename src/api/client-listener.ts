// One client port for gRPC and plain HTTP, as etcd multiplexes them: the
// first bytes of a connection decide. HTTP/2 (its preface starts with
// "PRI ") goes to the gRPC server; anything else to the HTTP/1 handler
// (/health, /version, later /metrics and the JSON gateway). gRPC gets the
// socket itself, or, when its first request carries an :authority with a
// scheme (grpc-go sends "http://host:port" for endpoints given so, which
// Node's HTTP/2 would reset), a stream through a rewriter: http2-handoff.ts.

import * as net from 'node:net';
import * as http from 'node:http';
import { Duplex } from 'node:stream';
import type { ConnectionInjector } from '@grpc/grpc-js';
import { handOffHttp2Connection } from './http2-handoff.js';

const HTTP2_PREFACE_START = Buffer.from('PRI ');

export interface ClientListener {
  address: { host: string; port: number };
  close(): Promise<void>;
}

export async function listenForClients(options: {
  host: string;
  port: number;
  grpcInjector: ConnectionInjector;
  httpHandler: http.RequestListener;
}): Promise<ClientListener> {
  const httpServer = http.createServer(options.httpHandler);
  const sockets = new Set<net.Socket>();
  const tcpServer = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.once('data', (firstChunk: Buffer) => {
      socket.pause();
      socket.unshift(firstChunk);
      const prefix = firstChunk.subarray(0, HTTP2_PREFACE_START.length);
      // The hand-off reads the socket as a stream, so it sees the unshifted
      // chunk first. The HTTP/1 server reads straight from the socket's
      // handle and would miss it: it gets a stream too.
      if (prefix.equals(HTTP2_PREFACE_START)) {
        const inject = (connection: Duplex) => options.grpcInjector.injectConnection(connection);
        handOffHttp2Connection(socket, { viaSocket: inject, viaRewriter: inject });
      } else httpServer.emit('connection', streamStartingWith(socket, socket.read() as Buffer));
    });
  });
  tcpServer.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    tcpServer.once('error', reject);
    tcpServer.listen({ host: options.host, port: options.port, exclusive: true }, () => {
      tcpServer.off('error', reject);
      resolve();
    });
  });
  const bound = tcpServer.address() as net.AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        tcpServer.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        httpServer.close();
      }),
  };
}


/** A duplex over `socket` whose readable side starts with `firstChunk`. */
function streamStartingWith(socket: net.Socket, firstChunk: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  stream.push(firstChunk);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  return stream;
}
