// The one place that creates sockets, so that TLS can replace plain TCP
// later without touching the streams: a factory dials a peer URL and
// creates the listening server.

import * as net from 'node:net';

/** Probes idle connections so a peer that vanished without a word is noticed (by the kernel, not our timers). */
const KEEPALIVE_IDLE_MS = 30_000;

export interface SocketFactory {
  /** Starts connecting to `url`; `onConnected` runs once the socket can carry bytes. */
  connect(url: URL, onConnected: () => void): net.Socket;
  createServer(onConnection: (socket: net.Socket) => void): net.Server;
}

export const tcpSocketFactory: SocketFactory = {
  connect(url, onConnected) {
    const socket = net.connect({ host: hostOf(url), port: Number(url.port) }, onConnected);
    // We batch writes ourselves; Nagle's delay would only add latency to heartbeats.
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
    return socket;
  },
  createServer(onConnection) {
    return net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEPALIVE_IDLE_MS }, onConnection);
  },
};

/** URL hostnames keep IPv6 brackets; sockets want them off. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Parses a peer URL as etcd's --initial-advertise-peer-urls spells it; throws on anything unusable. */
export function parsePeerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`peer transport: invalid peer URL ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:') {
    throw new Error(`peer transport: unsupported scheme in peer URL ${text} (only http:// for now; TLS comes later)`);
  }
  if (url.port === '') throw new Error(`peer transport: peer URL ${text} has no port`);
  return url;
}
