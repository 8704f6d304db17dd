// Sends one snapshot message to a peer on a connection of its own, so a
// transfer of hundreds of megabytes never delays heartbeats on the message
// stream. The data is written straight from the message's bytes in chunks,
// waiting for the socket to drain between them, and is never copied into
// one frame. The outcome is reported exactly once: delivered when the peer
// acknowledges, failed on any error, refusal, stall, or lost link.

import type * as net from 'node:net';
import { crc32 } from 'node:zlib';
import { encodeMessage, type Message } from '../raft/index.js';
import { dial, type PendingDial } from './dial.js';
import type { PeerContext } from './peer-context.js';
import type { TimerHandle } from './scheduler.js';
import {
  PROTOCOL_VERSION,
  SNAPSHOT_ACK,
  SNAPSHOT_CHECKSUM_BYTES,
  SNAPSHOT_LENGTH_BYTES,
  StreamKind,
  asBuffer,
  frameHeader,
} from './wire.js';

export class SnapshotSender {
  private pendingDial: PendingDial | undefined;
  private socket: net.Socket | undefined;
  private idleTimer: TimerHandle | undefined;
  private finished = false;
  private readonly data: Buffer;
  private dataOffset = 0;
  private checksum = 0;
  private checksumWritten = false;

  constructor(
    private readonly context: PeerContext,
    private readonly message: Message,
    private readonly url: URL,
    private readonly onFinished: (delivered: boolean) => void,
  ) {
    this.data = asBuffer(message.snapshot?.data ?? new Uint8Array(0));
  }

  start(): void {
    const { context } = this;
    const header = this.encodeHeader();
    if (header === undefined) return;
    this.touch();
    this.pendingDial = dial(
      {
        factory: context.factory,
        sourceAddress: context.sourceAddress,
        scheduler: context.scheduler,
        url: this.url,
        timeoutMs: context.limits.dialTimeoutMs,
        hello: {
          version: PROTOCOL_VERSION,
          kind: StreamKind.Snapshot,
          clusterId: context.clusterId,
          fromId: context.localId,
          toId: context.peerId,
        },
      },
      (result) => {
        this.pendingDial = undefined;
        if (this.finished) return;
        if (!result.ok) this.finish(false, result.error.message);
        else this.transfer(result.socket, header);
      },
    );
  }

  /** Abandons the transfer; it counts as failed. */
  cancel(reason: string): void {
    this.finish(false, reason);
  }

  private encodeHeader(): Buffer | undefined {
    const snapshot = this.message.snapshot;
    if (snapshot === undefined) {
      this.finish(false, 'snapshot message without a snapshot');
      return undefined;
    }
    let payload: Uint8Array;
    try {
      payload = encodeMessage({ ...this.message, snapshot: { metadata: snapshot.metadata, data: new Uint8Array(0) } });
    } catch (error) {
      this.finish(false, `cannot encode the snapshot message: ${(error as Error).message}`);
      return undefined;
    }
    if (payload.length > this.context.limits.maxFrameBytes) {
      this.finish(false, `snapshot message header of ${payload.length} bytes exceeds the frame limit`);
      return undefined;
    }
    const length = Buffer.alloc(SNAPSHOT_LENGTH_BYTES);
    length.writeBigUInt64BE(BigInt(this.data.length), 0);
    return Buffer.concat([frameHeader(payload.length), payload, length]);
  }

  private transfer(socket: net.Socket, header: Buffer): void {
    this.socket = socket;
    socket.on('error', (error) => this.finish(false, error.message));
    socket.on('close', () => this.finish(false, 'connection closed before the snapshot was acknowledged'));
    socket.on('drain', () => this.writeData());
    socket.on('data', (chunk: Buffer) => {
      if (chunk[0] === SNAPSHOT_ACK && this.dataOffset === this.data.length) this.finish(true, undefined);
      else this.finish(false, 'unexpected reply to a snapshot');
    });
    socket.resume();
    this.context.counters.bytesSent += header.length;
    if (socket.write(header)) this.writeData();
  }

  /** Writes chunks until the socket asks us to wait ('drain' calls back in) or all data and the checksum are out. */
  private writeData(): void {
    const socket = this.socket;
    if (socket === undefined || this.finished) return;
    this.touch();
    const chunkBytes = this.context.limits.snapshotChunkBytes;
    while (this.dataOffset < this.data.length) {
      const chunk = this.data.subarray(this.dataOffset, Math.min(this.data.length, this.dataOffset + chunkBytes));
      this.dataOffset += chunk.length;
      this.checksum = crc32(chunk, this.checksum);
      this.context.counters.bytesSent += chunk.length;
      const writable = socket.write(chunk);
      if (this.dataOffset === this.data.length) break;
      if (!writable) return;
    }
    if (this.dataOffset === this.data.length && !this.checksumWritten) {
      this.checksumWritten = true;
      const trailer = Buffer.alloc(SNAPSHOT_CHECKSUM_BYTES);
      trailer.writeUInt32BE(this.checksum >>> 0, 0);
      this.context.counters.bytesSent += trailer.length;
      socket.write(trailer);
    }
  }

  /** Each sign of progress restarts the stall timer. */
  private touch(): void {
    this.idleTimer?.cancel();
    this.idleTimer = this.context.scheduler.schedule(this.context.limits.snapshotIdleTimeoutMs, () =>
      this.finish(false, `snapshot transfer made no progress for ${this.context.limits.snapshotIdleTimeoutMs} ms`),
    );
  }

  private finish(delivered: boolean, error: string | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.idleTimer?.cancel();
    this.pendingDial?.cancel();
    if (this.socket !== undefined) {
      if (delivered) this.socket.end();
      else this.socket.destroy();
    }
    const { context } = this;
    const fields = {
      'local-member-id': context.describeId(context.localId),
      'remote-peer-id': context.describeId(context.peerId),
      'snapshot-index': this.message.snapshot?.metadata.index,
      'size-bytes': this.data.length,
    };
    if (delivered) {
      context.counters.snapshotsSent++;
      context.logger.info('sent database snapshot', fields);
    } else {
      context.counters.snapshotsFailed++;
      context.setLastError(error ?? 'snapshot failed');
      context.logger.warn('failed to send database snapshot', { ...fields, error });
    }
    this.onFinished(delivered);
  }
}
