// What the per-peer senders share with the transport that owns them.

import type { NodeId } from '../raft/index.js';
import type { Logger } from '../pkg/logger.js';
import type { TransportLimits } from './limits.js';
import type { Scheduler } from './scheduler.js';
import type { SocketFactory } from './socket-factory.js';
import type { PeerCounters } from './stats.js';

export interface PeerContext {
  localId: NodeId;
  clusterId: bigint;
  peerId: NodeId;
  limits: TransportLimits;
  factory: SocketFactory;
  /** Local address outbound connections are made from (PeerTransportOptions.sourceAddress). */
  sourceAddress: string | undefined;
  scheduler: Scheduler;
  logger: Logger;
  counters: PeerCounters;
  /** The peer's URLs as of now (updatePeer may change them). */
  urls(): readonly URL[];
  /** Tells Raft the peer could not be reached; the transport defers the call out of the current stack. */
  reportUnreachable(): void;
  /** Records the latest failure for stats. */
  setLastError(message: string): void;
  /** A Raft id as the logs show it: the full member id (PeerTransportOptions.describeId). */
  describeId(raftId: NodeId): string;
}

/** Rotates through a peer's URLs: the next attempt after a failure tries the next URL. */
export class UrlPicker {
  private position = 0;

  pick(urls: readonly URL[]): URL | undefined {
    if (urls.length === 0) return undefined;
    return urls[this.position % urls.length];
  }

  failed(): void {
    this.position++;
  }
}
