// Peer sockets over TLS (--peer-cert-file... or --peer-auto-tls): members
// dial each other with their certificate and verify each other's against
// --peer-trusted-ca-file. Checks beyond the handshake (CRL, allowed CN or
// host name) are made once it completes; a peer that fails them is told so
// in the transport's verdict, and the dialer logs it in etcd's words.

import * as tls from 'node:tls';
import * as net from 'node:net';
import type { Logger } from '../pkg/logger.js';
import { clientTlsOptions, refusalOfPeerCertificate, serverTlsOptions, type LoadedTls } from '../tls/tls-info.js';
import { describeTlsError } from '../tls/tls-errors.js';
import { connectTarget, hostOf, isUnixUrl, tunePeerSocket, type SocketFactory } from './socket-factory.js';

/** A peer that opens a connection and never finishes the handshake is dropped after this long. */
export const PEER_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export function tlsSocketFactory(loaded: LoadedTls, logger: Logger): SocketFactory {
  const dialOptions = clientTlsOptions(loaded);
  const serverOptions = serverTlsOptions(loaded);
  return {
    connect(url, onConnected, options = {}) {
      const host = isUnixUrl(url) ? undefined : hostOf(url);
      const socket = tls.connect(
        {
          ...connectTarget(url, options.localAddress),
          ...dialOptions,
          // SNI carries names only; an IP address is checked against the certificate's IP SANs.
          ...(host !== undefined && net.isIP(host) === 0 ? { servername: host } : {}),
        },
        onConnected,
      );
      tunePeerSocket(socket);
      return socket;
    },
    createServer(onConnection) {
      const server = tls.createServer({ ...serverOptions, handshakeTimeout: PEER_TLS_HANDSHAKE_TIMEOUT_MS }, (socket) => {
        tunePeerSocket(socket);
        const refusal = refusalOfPeerCertificate(loaded, socket);
        if (refusal !== undefined) {
          logger.warn('rejected connection', { 'remote-addr': remoteAddressOf(socket), 'server-name': socket.servername || '', error: refusal });
        }
        onConnection(socket, refusal);
      });
      server.on('tlsClientError', (error, socket) => {
        logger.warn('rejected connection', { 'remote-addr': remoteAddressOf(socket), error: describeTlsError(error) });
        // Node leaves a socket whose handshake timed out open.
        socket.destroy();
      });
      return server;
    },
  };
}

function remoteAddressOf(socket: net.Socket): string {
  return socket.remoteAddress === undefined ? 'unknown (unix socket or closed)' : `${socket.remoteAddress}:${socket.remotePort}`;
}
