// Carries Raft messages between the members of one cluster over TCP.
//
// Each member dials every peer it sends to: one long-lived connection per
// peer for messages (ordered, batched, bounded queue) and a short-lived one
// per snapshot. Inbound connections are accepted from any member that
// presents the same cluster id. send() never blocks and never throws;
// Raft learns about losses through onUnreachable and onSnapshotStatus,
// which (like onMessage) are only ever called from the event loop, never
// from inside a call into the transport, and never after stop().

import type * as net from 'node:net';
import * as fs from 'node:fs/promises';
import { MessageType, isValidNodeId, type Message, type NodeId } from '../raft/index.js';
import { silentLogger, type Logger } from '../pkg/logger.js';
import { InboundConnection } from './inbound-connection.js';
import { resolveLimits, type TransportLimits } from './limits.js';
import { MessageStream } from './message-stream.js';
import { UrlPicker, type PeerContext } from './peer-context.js';
import { systemScheduler, type Scheduler } from './scheduler.js';
import { SnapshotSender } from './snapshot-sender.js';
import { parsePeerUrl, tcpSocketFactory, type ListenAddress, type SocketFactory } from './socket-factory.js';
import { newPeerCounters, type PeerCounters, type PeerStats, type TransportCounters } from './stats.js';
import { PROTOCOL_VERSION, StreamKind, Verdict, checkClusterId, describeVerdict, type Hello } from './wire.js';

export interface PeerTransportOptions {
  /** This member's Raft id. */
  localId: NodeId;
  clusterId: bigint;
  /** Where to accept peers' connections (one or more addresses); port 0 picks a free port (see `port`). */
  listen: ListenAddress | readonly ListenAddress[];
  /**
   * Local IP address to make outbound peer connections from, so each
   * member's connections carry its own address (see sourceAddressFor, which
   * derives it from the listen host). Undefined: the kernel chooses.
   */
  sourceAddress?: string;
  /** A message from a peer, in the order that peer sent it. */
  onMessage(message: Message): void;
  /** Messages to the peer were lost (queue full, link down): call RawNode.reportUnreachable. */
  onUnreachable(peerId: NodeId): void;
  /** The outcome of each snapshot message passed to send(): call RawNode.reportSnapshot. */
  onSnapshotStatus(peerId: NodeId, delivered: boolean): void;
  logger?: Logger;
  /** A Raft id as logs show it; the member gives its full 64-bit member id. Default: the Raft id in hex. */
  describeId?: (raftId: NodeId) => string;
  scheduler?: Scheduler;
  socketFactory?: SocketFactory;
  limits?: Partial<TransportLimits>;
  /**
   * Serves connections that speak HTTP instead of the Raft protocol (etcd's
   * peer port answers GET /members, which a joining member asks). The socket
   * comes with the bytes already read from it. Without it they are refused.
   */
  httpHandler?: (socket: net.Socket, head: Buffer) => void;
}

interface Peer {
  urls: URL[];
  context: PeerContext;
  stream: MessageStream;
  /** At most one snapshot in flight per peer: Raft sends the next only after hearing about this one. */
  snapshot: SnapshotSender | undefined;
  snapshotUrls: UrlPicker;
}

type TransportState = 'new' | 'starting' | 'running' | 'stopped';

export class PeerTransport {
  private readonly localId: NodeId;
  private readonly clusterId: bigint;
  private readonly limits: TransportLimits;
  private readonly logger: Logger;
  private readonly scheduler: Scheduler;
  private readonly factory: SocketFactory;
  private readonly describeId: (raftId: NodeId) => string;
  private readonly peers = new Map<NodeId, Peer>();
  private readonly counters = new Map<NodeId, PeerCounters>();
  private readonly lastErrors = new Map<NodeId, string>();
  private readonly inbound = new Set<InboundConnection>();
  /** The current inbound message stream of each peer; a newer one replaces it. */
  private readonly inboundStreams = new Map<NodeId, InboundConnection>();
  private readonly inboundSnapshots = new Set<InboundConnection>();
  private readonly transportCounters: TransportCounters = { connectionsRefused: 0, connectionsCorrupt: 0 };
  private readonly unreachablePending = new Set<NodeId>();
  private readonly servers: net.Server[] = [];
  private boundPort: number | undefined;
  private state: TransportState = 'new';

  constructor(private readonly options: PeerTransportOptions) {
    if (!isValidNodeId(options.localId)) throw new Error(`peer transport: invalid local id ${options.localId}`);
    checkClusterId(options.clusterId);
    this.localId = options.localId;
    this.clusterId = options.clusterId;
    this.limits = resolveLimits(options.limits);
    this.logger = options.logger ?? silentLogger;
    this.scheduler = options.scheduler ?? systemScheduler;
    this.factory = options.socketFactory ?? tcpSocketFactory;
    this.describeId = options.describeId ?? ((raftId) => raftId.toString(16));
  }

  /** Starts listening. Sending works before start (only receiving needs it). */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`peer transport: cannot start when ${this.state}`);
    this.state = 'starting';
    const addresses = Array.isArray(this.options.listen) ? this.options.listen : [this.options.listen as ListenAddress];
    for (const address of addresses) {
      const server = this.factory.createServer((socket, refusal) => this.accept(socket, refusal));
      server.maxConnections = this.limits.maxInboundConnections;
      this.servers.push(server);
      if ('path' in address) await removeStaleSocketFile(address.path);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(address, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (error) => this.logger.error('peer listener failed', { error }));
      const bound = server.address();
      if (this.boundPort === undefined && bound !== null && typeof bound === 'object') this.boundPort = bound.port;
    }
    if (this.state === 'starting') this.state = 'running';
    this.logger.info('started peer transport', { 'local-member-id': this.describeId(this.localId), port: this.boundPort, listeners: addresses.length });
  }

  /** The port peers connect to; known once start() resolved. */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('peer transport: not listening');
    return this.boundPort;
  }

  hasPeer(id: NodeId): boolean {
    return this.peers.has(id);
  }

  /** Adds a peer to send to (an existing one just gets the new URLs). Throws on unusable URLs. */
  addPeer(id: NodeId, urls: readonly string[]): void {
    if (!isValidNodeId(id) || id === this.localId) throw new Error(`peer transport: cannot add peer ${id}`);
    const parsed = urls.map(parsePeerUrl);
    const existing = this.peers.get(id);
    if (existing !== undefined) {
      existing.urls = parsed;
      existing.stream.urlsChanged();
      return;
    }
    const context: PeerContext = {
      localId: this.localId,
      clusterId: this.clusterId,
      peerId: id,
      limits: this.limits,
      factory: this.factory,
      sourceAddress: this.options.sourceAddress,
      scheduler: this.scheduler,
      logger: this.logger,
      counters: this.countersOf(id),
      urls: () => this.peers.get(id)?.urls ?? [],
      reportUnreachable: () => this.reportUnreachable(id),
      setLastError: (message) => this.lastErrors.set(id, message),
      describeId: this.describeId,
    };
    const stream = new MessageStream(context);
    this.peers.set(id, { urls: parsed, context, stream, snapshot: undefined, snapshotUrls: new UrlPicker() });
    if (this.state !== 'stopped') stream.activate();
    this.logger.info('added remote peer', { 'local-member-id': this.describeId(this.localId), 'remote-peer-id': this.describeId(id), urls });
  }

  updatePeer(id: NodeId, urls: readonly string[]): void {
    if (!this.peers.has(id)) throw new Error(`peer transport: unknown peer ${id}`);
    this.addPeer(id, urls);
  }

  /** Stops sending to the peer: queued messages are dropped, a snapshot in flight fails. */
  removePeer(id: NodeId): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    this.peers.delete(id);
    peer.stream.close();
    peer.snapshot?.cancel('peer removed');
    this.inboundStreams.get(id)?.close();
    this.logger.info('removed remote peer', { 'local-member-id': this.describeId(this.localId), 'remote-peer-id': this.describeId(id) });
  }

  /** Sends messages without blocking: one batch (one network write) per peer per call; snapshots on their own connections. */
  send(messages: readonly Message[]): void {
    const batches = new Map<NodeId, Message[]>();
    for (const message of messages) {
      const peer = this.state === 'stopped' ? undefined : this.peers.get(message.to);
      if (peer === undefined) {
        this.countersOf(message.to).messagesDropped++;
        if (message.type === MessageType.Snap) this.reportSnapshot(message.to, false);
        continue;
      }
      if (message.type === MessageType.Snap) {
        this.sendSnapshot(message.to, peer, message);
        continue;
      }
      let batch = batches.get(message.to);
      if (batch === undefined) batches.set(message.to, (batch = []));
      batch.push(message);
    }
    for (const [id, batch] of batches) this.peers.get(id)!.stream.enqueue(batch);
  }

  /** Closes every connection and the listener. No callback runs after stop() was called. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const peer of this.peers.values()) {
      peer.stream.close();
      peer.snapshot?.cancel('transport stopped');
    }
    for (const connection of [...this.inbound]) connection.close();
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.logger.info('stopped peer transport', { 'local-member-id': this.describeId(this.localId) });
  }

  peerStats(id: NodeId): PeerStats {
    const peer = this.peers.get(id);
    return {
      ...this.countersOf(id),
      connected: peer?.stream.connected ?? false,
      queuedMessages: peer?.stream.queuedMessageCount ?? 0,
      queuedBytes: peer?.stream.queuedByteCount ?? 0,
      lastError: this.lastErrors.get(id),
    };
  }

  stats(): TransportCounters & { peers: Map<NodeId, PeerStats> } {
    const peers = new Map<NodeId, PeerStats>();
    for (const id of new Set([...this.counters.keys(), ...this.peers.keys()])) peers.set(id, this.peerStats(id));
    return { ...this.transportCounters, peers };
  }

  private sendSnapshot(id: NodeId, peer: Peer, message: Message): void {
    const url = peer.snapshotUrls.pick(peer.urls);
    if (peer.snapshot !== undefined || url === undefined) {
      peer.context.counters.snapshotsFailed++;
      peer.context.counters.messagesDropped++;
      this.lastErrors.set(id, peer.snapshot !== undefined ? 'a snapshot is already in flight' : 'no peer URL');
      this.reportSnapshot(id, false);
      return;
    }
    const sender = new SnapshotSender(peer.context, message, url, (delivered) => {
      if (peer.snapshot === sender) peer.snapshot = undefined;
      if (!delivered) peer.snapshotUrls.failed();
      this.reportSnapshot(id, delivered);
    });
    peer.snapshot = sender;
    sender.start();
  }

  private accept(socket: net.Socket, refusal: string | undefined): void {
    if (this.state === 'stopped') {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const connection = new InboundConnection(socket, this.localId, this.clusterId, this.limits, this.scheduler, this.logger, {
      judge: (hello, judged) => this.judge(hello, judged, refusal),
      deliver: (message, fromId, wireBytes) => this.deliver(message, fromId, wireBytes),
      corrupt: () => {
        this.transportCounters.connectionsCorrupt++;
      },
      closed: (closed) => {
        this.inbound.delete(closed);
        this.inboundSnapshots.delete(closed);
        const fromId = closed.fromId;
        if (fromId !== undefined && this.inboundStreams.get(fromId) === closed) this.inboundStreams.delete(fromId);
      },
      http: this.options.httpHandler,
    });
    this.inbound.add(connection);
  }

  private judge(hello: Hello, connection: InboundConnection, refusal: string | undefined): Verdict {
    const verdict = refusal === undefined ? this.verdictFor(hello) : Verdict.CertificateRejected;
    if (verdict !== Verdict.Accepted) {
      this.transportCounters.connectionsRefused++;
      const log = verdict === Verdict.ClusterIdMismatch ? this.logger.error : this.logger.warn;
      log.call(this.logger, verdict === Verdict.ClusterIdMismatch ? 'request cluster ID mismatch' : 'refused a peer connection', {
        'local-member-id': this.describeId(this.localId),
        'local-member-cluster-id': this.clusterId.toString(16),
        'remote-peer-id': this.describeId(hello.fromId),
        'remote-peer-cluster-id': hello.clusterId.toString(16),
        reason: refusal ?? describeVerdict(verdict),
      });
      return verdict;
    }
    if (hello.kind === StreamKind.Messages) {
      // A peer has one message stream to us; a new one means the old is dead (e.g. it restarted).
      this.inboundStreams.get(hello.fromId)?.close();
      this.inboundStreams.set(hello.fromId, connection);
    } else {
      this.inboundSnapshots.add(connection);
    }
    return Verdict.Accepted;
  }

  private verdictFor(hello: Hello): Verdict {
    if (this.state === 'stopped') return Verdict.TooManyConnections;
    if (hello.version !== PROTOCOL_VERSION) return Verdict.UnsupportedVersion;
    if (hello.kind !== StreamKind.Messages && hello.kind !== StreamKind.Snapshot) return Verdict.UnknownStreamKind;
    if (hello.clusterId !== this.clusterId) return Verdict.ClusterIdMismatch;
    if (hello.toId !== this.localId || hello.fromId === 0 || hello.fromId === this.localId) return Verdict.WrongTarget;
    if (hello.kind === StreamKind.Snapshot && this.inboundSnapshots.size >= this.limits.maxInboundSnapshots) return Verdict.TooManyConnections;
    return Verdict.Accepted;
  }

  private deliver(message: Message, fromId: NodeId, wireBytes: number): void {
    if (this.state === 'stopped') return;
    const counters = this.countersOf(fromId);
    counters.messagesReceived++;
    counters.bytesReceived += wireBytes;
    if (message.type === MessageType.Snap) {
      counters.snapshotsReceived++;
      this.logger.info('received database snapshot', {
        'local-member-id': this.describeId(this.localId),
        'remote-peer-id': this.describeId(fromId),
        'snapshot-index': message.snapshot?.metadata.index,
        'size-bytes': message.snapshot?.data.length,
      });
    }
    try {
      this.options.onMessage(message);
    } catch (error) {
      this.logger.error('peer message handler threw', { 'remote-peer-id': this.describeId(fromId), error });
    }
  }

  /** Coalesces reports per peer and runs them outside the caller's stack. */
  private reportUnreachable(id: NodeId): void {
    if (this.unreachablePending.has(id)) return;
    this.unreachablePending.add(id);
    queueMicrotask(() => {
      this.unreachablePending.delete(id);
      this.callHook(() => this.options.onUnreachable(id));
    });
  }

  private reportSnapshot(id: NodeId, delivered: boolean): void {
    queueMicrotask(() => this.callHook(() => this.options.onSnapshotStatus(id, delivered)));
  }

  private callHook(hook: () => void): void {
    if (this.state === 'stopped') return;
    try {
      hook();
    } catch (error) {
      this.logger.error('peer transport hook threw', { error });
    }
  }

  private countersOf(id: NodeId): PeerCounters {
    let counters = this.counters.get(id);
    if (counters === undefined) this.counters.set(id, (counters = newPeerCounters()));
    return counters;
  }
}

/** A socket file left by an earlier run would make listen fail; anything else at the path is left alone. */
async function removeStaleSocketFile(path: string): Promise<void> {
  try {
    if ((await fs.lstat(path)).isSocket()) await fs.unlink(path);
  } catch {
    // Nothing there: listen creates it.
  }
}
