// The one place that creates sockets, so that TLS can replace plain TCP
// later without touching the streams: a factory dials a peer URL and
// creates the listening server.

import * as net from 'node:net';

/** Probes idle connections so a peer that vanished without a word is noticed (by the kernel, not our timers). */
const KEEPALIVE_IDLE_MS = 30_000;

export interface DialOptions {
  /**
   * The local IP address outbound connections are made from. Members that
   * each listen on their own address dial from it too, so whatever sits on
   * the link (a firewall rule, a fault-injecting proxy in tests) can tell
   * which member a connection comes from.
   */
  localAddress?: string;
}

export interface SocketFactory {
  /** Starts connecting to `url`; `onConnected` runs once the socket can carry bytes. */
  connect(url: URL, onConnected: () => void, options?: DialOptions): net.Socket;
  createServer(onConnection: (socket: net.Socket) => void): net.Server;
}

export const tcpSocketFactory: SocketFactory = {
  connect(url, onConnected, options = {}) {
    const target = { host: hostOf(url), port: Number(url.port) };
    const socket = net.connect(options.localAddress === undefined ? target : { ...target, localAddress: options.localAddress }, onConnected);
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

/**
 * The source address for outbound peer connections given the host the peer
 * listener binds: that host when it is one specific IP address, otherwise
 * none (a wildcard or a name leaves the choice to the kernel's routing).
 */
export function sourceAddressFor(listenHost: string): string | undefined {
  const host = listenHost.startsWith('[') ? listenHost.slice(1, -1) : listenHost;
  if (net.isIP(host) === 0) return undefined;
  if (host === '0.0.0.0' || host === '::' || host === '::0') return undefined;
  return host;
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
