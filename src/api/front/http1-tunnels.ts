// HTTP/1 connections taken by the client transport thread (the JSON
// gateway, /health, /version, /metrics, the dashboard), served on the
// member's thread by its own HTTP server: each arrives as a Duplex of bytes,
// with the client's address, as Node's HTTP server would take any stream.
// These are not the hot path; gRPC is.

import type * as http from 'node:http';
import { Duplex } from 'node:stream';
import type { ToFront, ToMember } from './protocol.js';

/** Chunks a connection may have in flight to the transport thread before its writer waits. */
const MAX_UNACKNOWLEDGED_CHUNKS = 32;

interface Tunnel {
  stream: Duplex;
  unacknowledged: number;
  resumeWriter: (() => void) | undefined;
}

export class Http1Tunnels {
  private readonly tunnels = new Map<number, Tunnel>();

  constructor(
    private readonly httpServer: http.Server,
    private readonly send: (message: ToFront) => void,
  ) {}

  receive(message: Extract<ToMember, { connection: number }> & { payload?: Buffer }): void {
    if (message.kind === 'http1-open') {
      this.open(message.connection, message.remoteAddress, message.remotePort);
      return;
    }
    const tunnel = this.tunnels.get(message.connection);
    if (tunnel === undefined) return;
    switch (message.kind) {
      case 'http1-data':
        tunnel.stream.push(message.payload);
        return;
      case 'http1-end':
        tunnel.stream.push(null);
        return;
      case 'http1-close':
        this.tunnels.delete(message.connection);
        tunnel.stream.destroy();
        return;
      case 'http1-written': {
        tunnel.unacknowledged--;
        const resume = tunnel.resumeWriter;
        if (resume !== undefined && tunnel.unacknowledged < MAX_UNACKNOWLEDGED_CHUNKS) {
          tunnel.resumeWriter = undefined;
          resume();
        }
        return;
      }
    }
  }

  private open(connection: number, remoteAddress: string | undefined, remotePort: number | undefined): void {
    const send = this.send;
    const tunnel: Tunnel = { stream: undefined as unknown as Duplex, unacknowledged: 0, resumeWriter: undefined };
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        tunnel.unacknowledged++;
        send({ kind: 'http1-data', connection, payload: chunk });
        if (tunnel.unacknowledged < MAX_UNACKNOWLEDGED_CHUNKS) callback();
        else tunnel.resumeWriter = () => callback();
      },
      final(callback) {
        send({ kind: 'http1-end', connection });
        callback();
      },
      destroy: (error, callback) => {
        if (this.tunnels.delete(connection)) send({ kind: 'http1-destroy', connection });
        callback(error);
      },
    });
    tunnel.stream = stream;
    // The HTTP routes read the client's address (the gateway's peer, the audit log).
    Object.defineProperty(stream, 'remoteAddress', { value: remoteAddress });
    Object.defineProperty(stream, 'remotePort', { value: remotePort });
    this.tunnels.set(connection, tunnel);
    this.httpServer.emit('connection', stream);
  }

  destroyAll(): void {
    for (const tunnel of this.tunnels.values()) tunnel.stream.destroy();
    this.tunnels.clear();
  }
}
