// The peer transport: Raft messages and snapshots between members over TCP.
// See peer-transport.ts for the contract and wire.ts for the bytes.

export { PeerTransport, type PeerTransportOptions } from './peer-transport.js';
export { DEFAULT_TRANSPORT_LIMITS, type TransportLimits } from './limits.js';
export type { PeerStats, PeerCounters, TransportCounters } from './stats.js';
export { systemScheduler, type Scheduler, type TimerHandle } from './scheduler.js';
export {
  tcpSocketFactory,
  parsePeerUrl,
  sourceAddressFor,
  listenAddressOf,
  type SocketFactory,
  type DialOptions,
  type ListenAddress,
  type OnPeerConnection,
} from './socket-factory.js';
export { tlsSocketFactory } from './tls-socket-factory.js';
export { Backoff, type BackoffOptions } from './backoff.js';
