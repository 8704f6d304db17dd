// One client port for gRPC and plain HTTP, over TLS, plain TCP or both, as
// etcd multiplexes them: the first bytes of a connection decide. A TLS
// ClientHello (first byte 0x16) goes through the TLS server when the port
// has an https:// URL; what it carries, like a plain connection, is then
// sorted by its own first bytes: HTTP/2 (its preface starts with "PRI ")
// goes to the gRPC server, anything else to the HTTP/1 handler (/health,
// /version, later /metrics and the JSON gateway). gRPC gets the socket
// itself, or, when its first request carries an :authority with a scheme
// (grpc-go sends "http://host:port" for endpoints given so, which Node's
// HTTP/2 would reset), a stream through a rewriter: http2/handoff.ts.

import * as net from 'node:net';
import * as http from 'node:http';
import * as tls from 'node:tls';
import { Duplex } from 'node:stream';
import { silentLogger, type Logger } from '../pkg/logger.js';
import { refusalOfPeerCertificate, serverTlsOptions, type LoadedTls } from '../tls/tls-info.js';
import { describeTlsError } from '../tls/tls-errors.js';
import { handOffHttp2Connection } from './http2/handoff.js';
import type { ClientCertificateNames } from './callers.js';

const HTTP2_PREFACE_START = Buffer.from('PRI ');
const TLS_HANDSHAKE_RECORD = 0x16;
/** A client that opens a TLS connection and never finishes the handshake is dropped after this long. */
export const CLIENT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** A client that connects and sends nothing at all is dropped after this long. */
export const FIRST_BYTES_TIMEOUT_MS = 10_000;
// What Go's HTTP server answers a plain HTTP request on a TLS port.
const PLAINTEXT_ON_TLS_PORT_REPLY = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

export interface ClientListener {
  address: { host: string; port: number };
  close(): Promise<void>;
}

export interface ClientListenerOptions {
  host: string;
  port: number;
  /** Serve plain connections (an http:// URL on this address). */
  plaintext: boolean;
  /** Serve TLS connections (an https:// URL on this address). */
  tls?: LoadedTls | undefined;
  /**
   * Takes each gRPC (HTTP/2) connection: grpc-js' ConnectionInjector, or the
   * transport thread's server. One with `acceptsAnyAuthority` reads HTTP/2
   * itself and takes the socket as it is; Node's HTTP/2 needs the :authority
   * hand-off (http2/handoff.ts) first.
   */
  grpcInjector: { injectConnection(connection: Duplex): void; acceptsAnyAuthority?: boolean };
  /** Serves the HTTP/1 connections here, unless `onHttp1Connection` takes them elsewhere. */
  httpHandler?: http.RequestListener;
  /** Takes each HTTP/1 connection (as a stream that starts with its first bytes) instead of `httpHandler`. */
  onHttp1Connection?: (connection: Duplex) => void;
  logger?: Logger;
  /** Where the common names of verified client certificates are recorded, for auth by certificate. */
  certificateNames?: CertificateNameRecorder;
}

/** ClientCertificateNames (callers.ts), or its stand-in on the client transport thread. */
export type CertificateNameRecorder = Pick<ClientCertificateNames, 'record' | 'forget'>;

export async function listenForClients(options: ClientListenerOptions): Promise<ClientListener> {
  const logger = options.logger ?? silentLogger;
  const httpServer = options.onHttp1Connection ? undefined : http.createServer(options.httpHandler);
  const serveHttp1 = options.onHttp1Connection ?? ((connection: Duplex) => httpServer?.emit('connection', connection));
  const sockets = new Set<net.Socket>();

  // Sorts a (plain or decrypted) connection by its first bytes: gRPC or HTTP/1.
  const route = (socket: net.Socket, firstChunk: Buffer) => {
    socket.pause();
    socket.unshift(firstChunk);
    const prefix = firstChunk.subarray(0, HTTP2_PREFACE_START.length);
    // The hand-off reads the socket as a stream, so it sees the unshifted
    // chunk first. The HTTP/1 server reads straight from the socket's
    // handle and would miss it: it gets a stream too.
    if (prefix.equals(HTTP2_PREFACE_START)) {
      const inject = (connection: Duplex) => options.grpcInjector.injectConnection(connection);
      if (options.grpcInjector.acceptsAnyAuthority) {
        socket.setNoDelay(true);
        inject(socket);
      } else handOffHttp2Connection(socket, { viaSocket: inject, viaRewriter: inject });
    } else serveHttp1(streamStartingWith(socket, socket.read() as Buffer));
  };

  const tlsServer = options.tls === undefined ? undefined : createClientTlsServer(options.tls, logger, route, options.certificateNames);

  const tcpServer = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // Every client speaks first (a ClientHello, an HTTP/2 preface, a request); a silent one is dropped.
    socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => {
      logger.warn('closed a client connection that sent nothing', { 'remote-addr': `${socket.remoteAddress}:${socket.remotePort}`, 'timeout-ms': FIRST_BYTES_TIMEOUT_MS });
      socket.destroy();
    });
    socket.once('data', (firstChunk: Buffer) => {
      socket.setTimeout(0);
      const looksLikeTls = firstChunk[0] === TLS_HANDSHAKE_RECORD;
      if (looksLikeTls && tlsServer !== undefined) {
        socket.pause();
        socket.unshift(firstChunk);
        // The TLS server reads what is buffered in the socket before its handle.
        tlsServer.emit('connection', socket);
      } else if (!looksLikeTls && options.plaintext) {
        route(socket, firstChunk);
      } else {
        refuse(socket, looksLikeTls, firstChunk, logger);
      }
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
        httpServer?.close();
        tlsServer?.close();
      }),
  };
}

function createClientTlsServer(
  loaded: LoadedTls,
  logger: Logger,
  route: (socket: net.Socket, firstChunk: Buffer) => void,
  certificateNames: CertificateNameRecorder | undefined,
): tls.Server {
  const server = tls.createServer({
    ...serverTlsOptions(loaded),
    handshakeTimeout: CLIENT_TLS_HANDSHAKE_TIMEOUT_MS,
    // gRPC clients offer only h2; curl and browsers offer http/1.1 too and
    // get it, since the HTTP routes are served over HTTP/1.
    ALPNCallback: ({ protocols }) => (protocols.includes('http/1.1') ? 'http/1.1' : protocols.includes('h2') ? 'h2' : undefined),
  });
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    socket.on('error', () => socket.destroy());
    const refusal = refusalOfPeerCertificate(loaded, socket);
    if (refusal !== undefined) {
      logger.warn('rejected connection', { 'remote-addr': `${socket.remoteAddress}:${socket.remotePort}`, 'server-name': socket.servername || '', error: refusal });
      socket.destroy();
      return;
    }
    // A certificate that passed the checks above names its user (etcd's AuthInfoFromTLS).
    const commonName = certificateNames && loaded.info.clientCertAuth ? socket.getPeerCertificate().subject?.CN : undefined;
    if (certificateNames && typeof commonName === 'string' && commonName !== '') {
      const peer = `${socket.remoteAddress}:${socket.remotePort}`;
      certificateNames.record(peer, commonName);
      socket.once('close', () => certificateNames.forget(peer));
    }
    socket.once('data', (firstChunk: Buffer) => route(socket, firstChunk));
  });
  server.on('tlsClientError', (error, socket) => {
    logger.warn('rejected connection', { 'remote-addr': `${socket.remoteAddress}:${socket.remotePort}`, error: describeTlsError(error) });
    // Node leaves a socket whose handshake timed out open.
    socket.destroy();
  });
  return server;
}

function refuse(socket: net.Socket, looksLikeTls: boolean, firstChunk: Buffer, logger: Logger): void {
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  if (looksLikeTls) {
    logger.warn('rejected connection', { 'remote-addr': remote, error: 'a TLS client on a port without TLS (an https:// client URL is not configured here)' });
    socket.destroy();
    return;
  }
  logger.warn('rejected connection', { 'remote-addr': remote, error: 'tls: first record does not look like a TLS handshake' });
  const isHttp1 = /^[A-Z]+ /.test(firstChunk.subarray(0, 8).toString('latin1'));
  if (isHttp1) socket.end(PLAINTEXT_ON_TLS_PORT_REPLY);
  else socket.destroy();
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
  // The HTTP routes (the JSON gateway's peer, for auth by certificate and the audit log) read the client's address.
  Object.defineProperty(stream, 'remoteAddress', { get: () => socket.remoteAddress });
  Object.defineProperty(stream, 'remotePort', { get: () => socket.remotePort });
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  return stream;
}
