// The one place that creates peer sockets: a factory dials a peer URL and
// creates the listening server, over plain TCP or a unix socket, or over TLS
// (tls-socket-factory.ts) without the streams above knowing which.

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

/**
 * An accepted connection; `refusal` says why the peer must be turned away
 * (its certificate failed a check beyond the TLS handshake), so the
 * transport can tell it in its verdict.
 */
export type OnPeerConnection = (socket: net.Socket, refusal?: string) => void;

export interface SocketFactory {
  /** Starts connecting to `url`; `onConnected` runs once the socket can carry bytes. */
  connect(url: URL, onConnected: () => void, options?: DialOptions): net.Socket;
  createServer(onConnection: OnPeerConnection): net.Server;
}

/** Where a listener binds: a TCP host and port, or a unix socket path. */
export type ListenAddress = { host: string; port: number } | { path: string };

/** unix://NAME and unixs://NAME name a socket file (NAME is the URL's whole host, port included), as in etcd. */
export function isUnixUrl(url: URL): boolean {
  return url.protocol === 'unix:' || url.protocol === 'unixs:';
}

/** The address to listen on for a peer URL ("localhost" binds the IPv4 loopback). */
export function listenAddressOf(url: URL): ListenAddress {
  if (isUnixUrl(url)) return { path: url.host };
  const host = hostOf(url);
  return { host: host === 'localhost' ? '127.0.0.1' : host, port: Number(url.port || 2380) };
}

/** What net.connect and tls.connect take to reach `url`. */
export function connectTarget(url: URL, localAddress: string | undefined): net.NetConnectOpts {
  if (isUnixUrl(url)) return { path: url.host };
  const target = { host: hostOf(url), port: Number(url.port) };
  return localAddress === undefined ? target : { ...target, localAddress };
}

/** Our own settings on every peer socket, whichever factory made it. */
export function tunePeerSocket(socket: net.Socket): void {
  // We batch writes ourselves; Nagle's delay would only add latency to heartbeats.
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
}

export const tcpSocketFactory: SocketFactory = {
  connect(url, onConnected, options = {}) {
    const socket = net.connect(connectTarget(url, options.localAddress), onConnected);
    tunePeerSocket(socket);
    return socket;
  },
  createServer(onConnection) {
    return net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEPALIVE_IDLE_MS }, (socket) => onConnection(socket));
  },
};

/** URL hostnames keep IPv6 brackets; sockets want them off. */
export function hostOf(url: URL): string {
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
  if (!['http:', 'https:', 'unix:', 'unixs:'].includes(url.protocol)) {
    throw new Error(`peer transport: unsupported scheme in peer URL ${text} (http, https, unix or unixs)`);
  }
  if (!isUnixUrl(url) && url.port === '') throw new Error(`peer transport: peer URL ${text} has no port`);
  return url;
}
