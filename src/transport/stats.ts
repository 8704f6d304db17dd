// Counters per remote member, for metrics and tests. "Sent" means handed to
// the socket: a message written just before a link breaks is lost without
// being counted as dropped (Raft recovers it like any other loss).

export interface PeerCounters {
  messagesSent: number;
  /** Dropped by the transport: queue full, oversized, unknown peer, transport stopped. */
  messagesDropped: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Socket writes of message batches (several queued batches go out as one corked write). */
  networkWrites: number;
  connectionsOpened: number;
  dialsFailed: number;
  snapshotsSent: number;
  snapshotsFailed: number;
  snapshotsReceived: number;
}

export interface PeerStats extends PeerCounters {
  connected: boolean;
  queuedMessages: number;
  queuedBytes: number;
  lastError: string | undefined;
}

export interface TransportCounters {
  /** Inbound connections refused at the handshake (other cluster, wrong target, version, limit). */
  connectionsRefused: number;
  /** Inbound connections closed for malformed input. */
  connectionsCorrupt: number;
}

export function newPeerCounters(): PeerCounters {
  return {
    messagesSent: 0,
    messagesDropped: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    networkWrites: 0,
    connectionsOpened: 0,
    dialsFailed: 0,
    snapshotsSent: 0,
    snapshotsFailed: 0,
    snapshotsReceived: 0,
  };
}
