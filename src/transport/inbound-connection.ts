// One accepted connection: reads the hello, lets the transport judge it,
// answers with the verdict, then reads either a stream of message frames or
// one chunked snapshot. Every read is bounded and every malformed input
// ends in closing this connection; nothing here throws into the event loop.

import type * as net from 'node:net';
import { crc32 } from 'node:zlib';
import { decodeMessage, MessageType, type Message, type NodeId } from '../raft/index.js';
import type { Logger } from '../pkg/logger.js';
import { ByteQueue } from './byte-queue.js';
import { FrameDecoder } from './frame-decoder.js';
import type { TransportLimits } from './limits.js';
import type { Scheduler, TimerHandle } from './scheduler.js';
import {
  HELLO_BYTES,
  SNAPSHOT_ACK,
  SNAPSHOT_CHECKSUM_BYTES,
  SNAPSHOT_LENGTH_BYTES,
  StreamKind,
  Verdict,
  decodeHello,
  encodeVerdict,
  type Hello,
} from './wire.js';

export interface InboundHandlers {
  /** Judges a hello; on Accepted the connection belongs to hello.fromId from now on. */
  judge(hello: Hello, connection: InboundConnection): Verdict;
  /** A message arrived (for a snapshot: with its data); `wireBytes` is what it cost on the wire. */
  deliver(message: Message, fromId: NodeId, wireBytes: number): void;
  /** Malformed input made us close the connection. */
  corrupt(reason: string, fromId: NodeId | undefined): void;
  closed(connection: InboundConnection): void;
  /**
   * The connection speaks HTTP, not the Raft protocol (etcd's peer port also
   * serves GET /members and /version): it now belongs to the handler, with
   * the bytes read so far. Without a handler such a connection is malformed.
   */
  http?(socket: net.Socket, head: Buffer): void;
}

/** An HTTP/1.x request line starts with a method in capitals and a space; the hello starts with "ETRP". */
const HTTP_REQUEST_START = /^[A-Z]{3,7} \//;

interface SnapshotReceipt {
  message: Message;
  headerBytes: number;
  dataLength: number;
  chunks: Buffer[];
  receivedBytes: number;
  checksum: number;
}

type Phase =
  | { name: 'hello' }
  | { name: 'messages'; decoder: FrameDecoder }
  | { name: 'snapshotHeader'; decoder: FrameDecoder }
  | { name: 'snapshotLength'; message: Message; headerBytes: number }
  | { name: 'snapshotData'; receipt: SnapshotReceipt }
  | { name: 'snapshotChecksum'; receipt: SnapshotReceipt }
  | { name: 'done' };

export class InboundConnection {
  private phase: Phase = { name: 'hello' };
  private readonly pending = new ByteQueue();
  private handshakeTimer: TimerHandle | undefined;
  private idleTimer: TimerHandle | undefined;
  private remoteId: NodeId | undefined;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly localId: NodeId,
    private readonly clusterId: bigint,
    private readonly limits: TransportLimits,
    private readonly scheduler: Scheduler,
    private readonly logger: Logger,
    private readonly handlers: InboundHandlers,
  ) {
    this.handshakeTimer = scheduler.schedule(limits.handshakeTimeoutMs, () => this.fail('no handshake in time'));
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** The member on the other end, once its hello was accepted. */
  get fromId(): NodeId | undefined {
    return this.remoteId;
  }

  get isMessageStream(): boolean {
    return this.phase.name === 'messages';
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.phase = { name: 'done' };
    this.handshakeTimer?.cancel();
    this.idleTimer?.cancel();
    this.pending.clear();
    this.socket.destroy();
    this.handlers.closed(this);
  }

  private received(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.consume(chunk);
    } catch (error) {
      this.fail((error as Error).message);
    }
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.logger.warn('closed a peer connection after malformed input', {
      'local-member-id': this.localId.toString(16),
      'remote-peer-id': this.remoteId?.toString(16),
      'remote-address': this.socket.remoteAddress,
      error: reason,
    });
    this.handlers.corrupt(reason, this.remoteId);
    this.close();
  }

  private consume(chunk: Buffer): void {
    const phase = this.phase;
    switch (phase.name) {
      case 'hello':
        this.pending.push(chunk);
        if (this.handlers.http !== undefined && this.pending.length >= 9 && this.looksLikeHttp()) {
          this.handOffToHttp(this.handlers.http);
          return;
        }
        if (this.pending.length >= HELLO_BYTES) this.handshake(decodeHello(this.pending.take(HELLO_BYTES)));
        return;
      case 'messages':
        phase.decoder.push(chunk);
        this.readMessages(phase.decoder);
        return;
      case 'snapshotHeader':
      case 'snapshotLength':
      case 'snapshotData':
      case 'snapshotChecksum':
        this.touch();
        this.pending.push(chunk);
        this.readSnapshot();
        return;
      case 'done':
        return;
    }
  }

  private looksLikeHttp(): boolean {
    return HTTP_REQUEST_START.test(this.pending.peek(9).toString('latin1'));
  }

  /** Gives the socket, and what was read of it, to the HTTP handler; this connection is done without closing it. */
  private handOffToHttp(http: (socket: net.Socket, head: Buffer) => void): void {
    const head = this.pending.take(this.pending.length);
    this.closed = true;
    this.phase = { name: 'done' };
    this.handshakeTimer?.cancel();
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
    this.handlers.closed(this);
    http(this.socket, head);
  }

  private handshake(hello: Hello): void {
    this.handshakeTimer?.cancel();
    this.handshakeTimer = undefined;
    const verdict = this.handlers.judge(hello, this);
    this.socket.write(encodeVerdict({ verdict, clusterId: this.clusterId, raftId: this.localId }));
    if (verdict !== Verdict.Accepted) {
      // Let the verdict reach the dialer, then hang up; a dialer that keeps its half open is cut off.
      this.phase = { name: 'done' };
      this.socket.end();
      this.pending.clear();
      this.handshakeTimer = this.scheduler.schedule(this.limits.handshakeTimeoutMs, () => this.close());
      return;
    }
    this.remoteId = hello.fromId;
    const rest = this.pending.take(this.pending.length);
    if (hello.kind === StreamKind.Messages) {
      this.phase = { name: 'messages', decoder: new FrameDecoder(this.limits.maxFrameBytes) };
    } else {
      this.phase = { name: 'snapshotHeader', decoder: new FrameDecoder(this.limits.maxFrameBytes) };
      this.touch();
    }
    if (rest.length > 0) this.consume(rest);
  }

  private readMessages(decoder: FrameDecoder): void {
    for (let payload = decoder.next(); payload !== undefined; payload = decoder.next()) {
      const message = this.checkedMessage(decodeMessage(payload));
      this.handlers.deliver(message, this.remoteId!, payload.length + 4);
      if (this.closed) return; // the handler may have closed us (e.g. the transport stopped)
    }
  }

  private checkedMessage(message: Message): Message {
    if (message.from !== this.remoteId) throw new Error(`message from ${message.from} on the connection of ${this.remoteId}`);
    if (message.to !== this.localId) throw new Error(`message to ${message.to} arrived at ${this.localId}`);
    return message;
  }

  private readSnapshot(): void {
    for (;;) {
      const phase = this.phase;
      switch (phase.name) {
        case 'snapshotHeader': {
          phase.decoder.push(this.pending.take(this.pending.length));
          const payload = phase.decoder.next();
          if (payload === undefined) return;
          const message = this.checkedMessage(decodeMessage(payload));
          if (message.type !== MessageType.Snap || message.snapshot === undefined) throw new Error('snapshot stream without a snapshot message');
          const rest = phase.decoder.rest();
          this.pending.push(rest.take(rest.length));
          this.phase = { name: 'snapshotLength', message, headerBytes: payload.length + 4 };
          continue;
        }
        case 'snapshotLength': {
          if (this.pending.length < SNAPSHOT_LENGTH_BYTES) return;
          const dataLength = this.pending.take(SNAPSHOT_LENGTH_BYTES).readBigUInt64BE(0);
          if (dataLength > BigInt(this.limits.maxSnapshotBytes)) {
            throw new Error(`snapshot of ${dataLength} bytes exceeds the limit of ${this.limits.maxSnapshotBytes}`);
          }
          const receipt: SnapshotReceipt = {
            message: phase.message,
            headerBytes: phase.headerBytes + SNAPSHOT_LENGTH_BYTES,
            dataLength: Number(dataLength),
            chunks: [],
            receivedBytes: 0,
            checksum: 0,
          };
          this.phase = { name: 'snapshotData', receipt };
          continue;
        }
        case 'snapshotData': {
          const receipt = phase.receipt;
          while (receipt.receivedBytes < receipt.dataLength && this.pending.length > 0) {
            // Views of the socket's chunks; joined once at the end.
            const chunk = this.pending.takeChunk(receipt.dataLength - receipt.receivedBytes);
            receipt.chunks.push(chunk);
            receipt.receivedBytes += chunk.length;
            receipt.checksum = crc32(chunk, receipt.checksum);
          }
          if (receipt.receivedBytes < receipt.dataLength) return;
          this.phase = { name: 'snapshotChecksum', receipt };
          continue;
        }
        case 'snapshotChecksum': {
          if (this.pending.length < SNAPSHOT_CHECKSUM_BYTES) return;
          const receipt = phase.receipt;
          const expected = this.pending.take(SNAPSHOT_CHECKSUM_BYTES).readUInt32BE(0);
          if (expected !== receipt.checksum >>> 0) throw new Error('snapshot data checksum mismatch');
          if (this.pending.length > 0) throw new Error('bytes after the snapshot');
          this.finishSnapshot(receipt);
          return;
        }
        default:
          return;
      }
    }
  }

  private finishSnapshot(receipt: SnapshotReceipt): void {
    this.phase = { name: 'done' };
    this.idleTimer?.cancel();
    const data = receipt.chunks.length === 1 ? receipt.chunks[0]! : Buffer.concat(receipt.chunks, receipt.dataLength);
    receipt.chunks = [];
    const message: Message = { ...receipt.message, snapshot: { metadata: receipt.message.snapshot!.metadata, data } };
    this.handlers.deliver(message, this.remoteId!, receipt.headerBytes + receipt.dataLength + SNAPSHOT_CHECKSUM_BYTES);
    if (this.closed) return;
    this.socket.end(Uint8Array.of(SNAPSHOT_ACK));
  }

  /** A snapshot sender that stalls is cut off, so its buffered chunks are freed. */
  private touch(): void {
    this.idleTimer?.cancel();
    this.idleTimer = this.scheduler.schedule(this.limits.snapshotIdleTimeoutMs, () => this.fail('snapshot transfer stalled'));
  }
}
