// The member's links to the other members: the peer transport, kept in step
// with the member table (every member but this one is a peer), and the
// leader's side of snapshot transfer: Raft hands out a snapshot message with
// metadata only; the database copy and the member table are attached here,
// off the Ready loop, before the message leaves.

import type * as net from 'node:net';
import { MessageType, type Message, type NodeId } from '../raft/types.js';
import { PeerTransport, listenAddressOf, sourceAddressFor, type SocketFactory } from '../transport/index.js';
import type { Logger } from '../pkg/logger.js';
import { formatId, memberIdOfRaftId, raftIdOf } from './membership/ids.js';
import type { MemberRecord } from './membership/member-record.js';
import { encodeSnapshotData, type SnapshotData } from './snapshot-data.js';
import type { PeerStats } from '../transport/index.js';
import type { MetricsHooks } from '../pkg/metrics-hooks.js';

export interface ClusterPeersMetrics {
  metrics: Pick<MetricsHooks, 'heartbeatSendFailure' | 'peerRoundTrip'>;
  heartbeatIntervalMs: number;
  isLeader(): boolean;
}

export interface ClusterPeersHooks {
  onMessage(message: Message): void;
  onUnreachable(raftId: NodeId): void;
  onSnapshotStatus(raftId: NodeId, delivered: boolean): void;
  /** The leader's current database copy and member table, for a snapshot message. */
  snapshotData(): Promise<SnapshotData>;
  /** Serves peer-port connections that speak HTTP (membership/peer-http.ts). */
  peerHttp?: (socket: net.Socket, head: Buffer) => void;
}

export class ClusterPeers {
  private readonly transport: PeerTransport;
  private readonly peerUrls = new Map<NodeId, string>();
  /**
   * Raft ids of peers cut off from this member (test partitions, src/embed):
   * messages to and from them are dropped here, as a lossy network would; the
   * connections stay up. Empty in normal operation.
   */
  private blocked = new Set<NodeId>();
  /** Per peer (Raft id): when the last heartbeat went out, and whether its response is awaited. */
  private readonly heartbeats = new Map<NodeId, { lastSentMs: number; sampleStartMs: number; awaiting: boolean }>();

  constructor(
    private readonly localMemberId: bigint,
    clusterId: bigint,
    listenPeerUrls: readonly URL[],
    socketFactory: SocketFactory,
    private readonly hooks: ClusterPeersHooks,
    private readonly logger: Logger,
    private readonly metricsOptions?: ClusterPeersMetrics,
  ) {
    const listen = listenPeerUrls.map(listenAddressOf);
    const first = listen[0];
    const sourceAddress = first !== undefined && 'host' in first ? sourceAddressFor(first.host) : undefined;
    this.transport = new PeerTransport({
      localId: raftIdOf(localMemberId),
      clusterId,
      listen,
      socketFactory,
      describeId: (raftId) => formatId(memberIdOfRaftId(raftId)),
      // Dial from the listen address, so a peer can tell members apart by address.
      ...(sourceAddress === undefined ? {} : { sourceAddress }),
      onMessage: (message) => {
        if (this.blocked.has(message.from)) return;
        if (message.type === MessageType.HeartbeatResp) this.onHeartbeatResponse(message.from);
        hooks.onMessage(message);
      },
      onUnreachable: (peerId) => hooks.onUnreachable(peerId),
      onSnapshotStatus: (peerId, delivered) => hooks.onSnapshotStatus(peerId, delivered),
      logger: logger.child('rafthttp/transport.go'),
      ...(hooks.peerHttp === undefined ? {} : { httpHandler: hooks.peerHttp }),
    });
  }

  start(): Promise<void> {
    return this.transport.start();
  }

  /** Makes the transport's peers those of the member table (all members but this one). */
  syncMembers(members: readonly MemberRecord[]): void {
    const wanted = new Set(members.map((member) => raftIdOf(member.id)));
    for (const raftId of [...this.peerUrls.keys()]) if (!wanted.has(raftId)) this.removeRaftId(raftId);
    for (const member of members) this.addOrUpdate(member.id, member.peerUrls);
  }

  /** Sends to `memberId` at `peerUrls` from now on (the local member is skipped). */
  addOrUpdate(memberId: bigint, peerUrls: readonly string[]): void {
    if (memberId === this.localMemberId || peerUrls.length === 0) return;
    const raftId = raftIdOf(memberId);
    const key = peerUrls.join(',');
    if (this.peerUrls.get(raftId) === key) return;
    try {
      this.transport.addPeer(raftId, peerUrls);
      this.peerUrls.set(raftId, key);
    } catch (error) {
      this.logger.warn('cannot add peer', { 'remote-peer-id': raftId.toString(16), urls: peerUrls, error });
    }
  }

  remove(memberId: bigint): void {
    if (memberId !== this.localMemberId) this.removeRaftId(raftIdOf(memberId));
  }

  private removeRaftId(raftId: NodeId): void {
    if (!this.peerUrls.delete(raftId)) return;
    this.transport.removePeer(raftId);
  }

  /** Drops messages to and from these members from now on (replacing the previous set; empty heals). */
  setBlockedPeers(memberIds: readonly bigint[]): void {
    this.blocked = new Set(memberIds.map(raftIdOf));
  }

  send(messages: readonly Message[]): void {
    const plain: Message[] = [];
    for (const message of messages) {
      if (this.blocked.has(message.to)) {
        // Lost on the way: Raft hears about a snapshot's fate; other messages just vanish.
        if (message.type === MessageType.Snap) queueMicrotask(() => this.hooks.onSnapshotStatus(message.to, false));
        continue;
      }
      if (message.type === MessageType.Heartbeat) this.onHeartbeatSent(message.to);
      if (message.type === MessageType.Snap) this.sendSnapshot(message);
      else plain.push(message);
    }
    if (plain.length > 0) this.transport.send(plain);
  }

  /** Transport counters per peer, by hex member id (for metrics). */
  peerStats(): Map<string, PeerStats> {
    const byMember = new Map<string, PeerStats>();
    for (const [raftId, stats] of this.transport.stats().peers) {
      if (raftId === raftIdOf(this.localMemberId)) continue;
      byMember.set(formatId(memberIdOfRaftId(raftId)), stats);
    }
    return byMember;
  }

  /**
   * etcd's heartbeat check: a leader whose heartbeats to a peer are more than
   * twice the heartbeat interval apart failed to send them on time (usually a
   * slow disk or an overloaded event loop). Also starts a round-trip sample.
   */
  private onHeartbeatSent(raftId: NodeId): void {
    const options = this.metricsOptions;
    if (options === undefined) return;
    const nowMs = performance.now();
    const last = this.heartbeats.get(raftId);
    if (last === undefined) {
      this.heartbeats.set(raftId, { lastSentMs: nowMs, sampleStartMs: nowMs, awaiting: true });
      return;
    }
    const exceededMs = nowMs - last.lastSentMs - 2 * options.heartbeatIntervalMs;
    last.lastSentMs = nowMs;
    if (exceededMs > 0 && options.isLeader()) {
      options.metrics.heartbeatSendFailure();
      this.logger.child('etcdserver/raft.go').warn('leader failed to send out heartbeat on time; took too long, leader is overloaded likely from slow disk', {
        to: formatId(memberIdOfRaftId(raftId)),
        'heartbeat-interval': `${options.heartbeatIntervalMs}ms`,
        'expected-duration': `${2 * options.heartbeatIntervalMs}ms`,
        'exceeded-duration': `${Math.round(exceededMs)}ms`,
      });
    }
    // A sample starts once the previous one was answered (or given up), so a lost response does not stretch the next.
    if (!last.awaiting || nowMs - last.sampleStartMs > 10 * options.heartbeatIntervalMs) {
      last.awaiting = true;
      last.sampleStartMs = nowMs;
    }
  }

  /** Leadership changed: heartbeat gaps from before do not count. */
  resetHeartbeats(): void {
    this.heartbeats.clear();
  }

  private onHeartbeatResponse(raftId: NodeId): void {
    const options = this.metricsOptions;
    const last = this.heartbeats.get(raftId);
    if (options === undefined || last === undefined || !last.awaiting) return;
    last.awaiting = false;
    options.metrics.peerRoundTrip(formatId(memberIdOfRaftId(raftId)), (performance.now() - last.sampleStartMs) / 1000);
  }

  isConnected(raftId: NodeId): boolean {
    return this.transport.peerStats(raftId).connected;
  }

  stop(): Promise<void> {
    return this.transport.stop();
  }

  private sendSnapshot(message: Message): void {
    const metadata = message.snapshot?.metadata;
    if (!metadata) return;
    this.hooks.snapshotData().then(
      (data) => {
        const bytes = encodeSnapshotData(data);
        this.logger.info('sending database snapshot', {
          'remote-peer-id': message.to.toString(16),
          'snapshot-index': metadata.index,
          'size-bytes': bytes.length,
        });
        this.transport.send([{ ...message, snapshot: { metadata, data: bytes } }]);
      },
      (error: unknown) => {
        this.logger.warn('cannot export the database for a snapshot', { 'remote-peer-id': message.to.toString(16), error });
        this.hooks.onSnapshotStatus(message.to, false);
      },
    );
  }
}
