// The long-lived outbound connection that carries Raft messages to one
// peer, in order. Messages wait in a bounded queue; the connection is dialed
// lazily when there is something to send, re-dialed with capped exponential
// backoff after failures, and all batches queued when the socket becomes
// writable leave in one corked write. When the queue is full new messages
// are dropped and Raft hears the peer is unreachable: Raft retransmits, so
// losing messages is safe, while buffering without bound is not.

import type * as net from 'node:net';
import { encodeMessage, type Message } from '../raft/index.js';
import { Backoff } from './backoff.js';
import { dial, type PendingDial } from './dial.js';
import type { PeerContext } from './peer-context.js';
import { UrlPicker } from './peer-context.js';
import type { TimerHandle } from './scheduler.js';
import { FRAME_HEADER_BYTES, PROTOCOL_VERSION, StreamKind } from './wire.js';

interface QueuedBatch {
  /** Frames of several messages, back to back. */
  frames: Buffer;
  messageCount: number;
}

type StreamState =
  | { name: 'idle' }
  | { name: 'dialing'; pending: PendingDial; url: URL }
  | { name: 'open'; socket: net.Socket; url: URL; waitingForDrain: boolean; stallTimer: TimerHandle | undefined }
  | { name: 'backingOff'; timer: TimerHandle }
  | { name: 'closed' };

export class MessageStream {
  private state: StreamState = { name: 'idle' };
  private readonly queue: QueuedBatch[] = [];
  private queuedBytes = 0;
  private queuedMessages = 0;
  private readonly backoff: Backoff;
  private readonly urlPicker = new UrlPicker();
  /** Log the first failure of a run loudly, the repeats quietly. */
  private failuresSinceConnected = 0;

  constructor(private readonly context: PeerContext) {
    this.backoff = new Backoff({
      initialDelayMs: context.limits.backoffInitialDelayMs,
      maxDelayMs: context.limits.backoffMaxDelayMs,
    });
  }

  get connected(): boolean {
    return this.state.name === 'open';
  }

  get queuedMessageCount(): number {
    return this.queuedMessages;
  }

  get queuedByteCount(): number {
    return this.queuedBytes;
  }

  /** Queues the messages as one batch (dropping what exceeds the bounds) and writes at once when possible. */
  enqueue(messages: readonly Message[]): void {
    if (this.state.name === 'closed') {
      this.context.counters.messagesDropped += messages.length;
      return;
    }
    const { limits, counters } = this.context;
    const payloads: Uint8Array[] = [];
    let batchBytes = 0;
    let dropped = 0;
    for (const message of messages) {
      let payload: Uint8Array;
      try {
        payload = encodeMessage(message);
      } catch (error) {
        this.context.logger.error('dropped a raft message that cannot be encoded', { 'remote-peer-id': this.peerIdHex(), error });
        dropped++;
        continue;
      }
      if (payload.length > limits.maxFrameBytes) {
        this.context.logger.warn('dropped an oversized raft message', {
          'remote-peer-id': this.peerIdHex(),
          'message-type': message.type,
          'size-bytes': payload.length,
          'max-frame-bytes': limits.maxFrameBytes,
        });
        dropped++;
        continue;
      }
      const frameBytes = FRAME_HEADER_BYTES + payload.length;
      const fits =
        this.queuedMessages + payloads.length + 1 <= limits.maxQueueMessages &&
        this.queuedBytes + batchBytes + frameBytes <= limits.maxQueueBytes;
      if (!fits) {
        dropped++;
        continue;
      }
      payloads.push(payload);
      batchBytes += frameBytes;
    }
    if (dropped > 0) {
      counters.messagesDropped += dropped;
      this.context.setLastError('send queue full');
      this.context.reportUnreachable();
    }
    if (payloads.length === 0) return;
    this.queue.push({ frames: concatFrames(payloads, batchBytes), messageCount: payloads.length });
    this.queuedBytes += batchBytes;
    this.queuedMessages += payloads.length;
    this.pump();
  }

  /** The peer's URLs changed: drop a connection to an address no longer listed. */
  urlsChanged(): void {
    const state = this.state;
    const current = state.name === 'open' || state.name === 'dialing' ? state.url : undefined;
    if (current === undefined) return;
    if (this.context.urls().some((url) => url.href === current.href)) return;
    if (state.name === 'dialing') state.pending.cancel();
    if (state.name === 'open') this.dropSocket(state);
    this.state = { name: 'idle' };
    this.pump();
  }

  /** Closes for good; queued messages are discarded and counted as dropped. */
  close(): void {
    const state = this.state;
    if (state.name === 'dialing') state.pending.cancel();
    if (state.name === 'open') this.dropSocket(state);
    if (state.name === 'backingOff') state.timer.cancel();
    this.state = { name: 'closed' };
    this.context.counters.messagesDropped += this.queuedMessages;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.queuedMessages = 0;
  }

  /**
   * Keeps a link to the peer up from now on, with or without messages to
   * send, as etcd's streams do: every member then knows which peers are
   * reachable (membership changes are checked against that).
   */
  activate(): void {
    this.pump();
  }

  /** Moves toward delivering the queue: dial when idle, write when open. */
  private pump(): void {
    switch (this.state.name) {
      case 'idle':
        this.startDial();
        return;
      case 'open':
        if (this.queue.length > 0) this.flush();
        return;
      default:
        return; // dialing or backing off: the queue waits
    }
  }

  private startDial(): void {
    const url = this.urlPicker.pick(this.context.urls());
    if (url === undefined) return; // no URL known yet; updatePeer will pump
    const { context } = this;
    const pending = dial(
      {
        factory: context.factory,
        sourceAddress: context.sourceAddress,
        scheduler: context.scheduler,
        url,
        timeoutMs: context.limits.dialTimeoutMs,
        hello: {
          version: PROTOCOL_VERSION,
          kind: StreamKind.Messages,
          clusterId: context.clusterId,
          fromId: context.localId,
          toId: context.peerId,
        },
      },
      (result) => {
        if (this.state.name !== 'dialing' || this.state.pending !== pending) return;
        if (result.ok) this.opened(result.socket, url);
        else this.failed(result.error, result.refused ? 'error' : 'warn');
      },
    );
    this.state = { name: 'dialing', pending, url };
  }

  private opened(socket: net.Socket, url: URL): void {
    const { context } = this;
    this.state = { name: 'open', socket, url, waitingForDrain: false, stallTimer: undefined };
    this.backoff.reset();
    this.failuresSinceConnected = 0;
    context.counters.connectionsOpened++;
    context.logger.info('established TCP streaming connection with remote peer', {
      'local-member-id': context.describeId(context.localId),
      'remote-peer-id': this.peerIdHex(),
      address: url.host,
    });
    socket.on('drain', () => {
      if (this.state.name === 'open' && this.state.socket === socket) {
        this.state.waitingForDrain = false;
        this.state.stallTimer?.cancel();
        this.state.stallTimer = undefined;
        this.flush();
      }
    });
    // The listener never sends on a message stream; anything it does send is ignored.
    socket.on('data', () => {});
    socket.on('error', (error) => this.lost(socket, error));
    socket.on('close', () => this.lost(socket, new Error('connection closed by peer')));
    socket.resume();
    this.flush();
  }

  private flush(): void {
    const state = this.state;
    if (state.name !== 'open' || state.waitingForDrain || this.queue.length === 0) return;
    const { counters } = this.context;
    state.socket.cork();
    while (this.queue.length > 0) {
      const batch = this.queue.shift()!;
      this.queuedBytes -= batch.frames.length;
      this.queuedMessages -= batch.messageCount;
      counters.messagesSent += batch.messageCount;
      counters.bytesSent += batch.frames.length;
      if (!state.socket.write(batch.frames)) {
        // The socket holds at most this batch beyond its high-water mark; the rest waits in our bounded queue.
        state.waitingForDrain = true;
        const socket = state.socket;
        const stallTimeoutMs = this.context.limits.streamStallTimeoutMs;
        state.stallTimer = this.context.scheduler.schedule(stallTimeoutMs, () =>
          this.lost(socket, new Error(`no write progress for ${stallTimeoutMs} ms`)),
        );
        break;
      }
    }
    state.socket.uncork();
    counters.networkWrites++;
  }

  private lost(socket: net.Socket, error: Error): void {
    if (this.state.name !== 'open' || this.state.socket !== socket) return;
    this.dropSocket(this.state);
    this.context.logger.warn('lost TCP streaming connection with remote peer', {
      'local-member-id': this.context.describeId(this.context.localId),
      'remote-peer-id': this.peerIdHex(),
      error: error.message,
    });
    this.failed(error, undefined);
  }

  private failed(error: Error, level: 'warn' | 'error' | undefined): void {
    const { context } = this;
    this.urlPicker.failed();
    context.setLastError(error.message);
    if (level !== undefined) {
      context.counters.dialsFailed++;
      const log = this.failuresSinceConnected === 0 || level === 'error' ? context.logger[level] : context.logger.debug;
      log.call(context.logger, 'failed to dial remote peer', {
        'local-member-id': context.describeId(context.localId),
        'remote-peer-id': this.peerIdHex(),
        error: error.message,
      });
    }
    this.failuresSinceConnected++;
    // Messages written to a broken link are lost, and the peer cannot be reached now.
    context.reportUnreachable();
    const timer = context.scheduler.schedule(this.backoff.next(), () => {
      if (this.state.name !== 'backingOff' || this.state.timer !== timer) return;
      this.state = { name: 'idle' };
      this.pump();
    });
    this.state = { name: 'backingOff', timer };
  }

  private dropSocket(state: Extract<StreamState, { name: 'open' }>): void {
    state.stallTimer?.cancel();
    state.socket.destroy();
  }

  private peerIdHex(): string {
    return this.context.describeId(this.context.peerId);
  }
}

function concatFrames(payloads: readonly Uint8Array[], totalBytes: number): Buffer {
  const frames = Buffer.allocUnsafe(totalBytes);
  let offset = 0;
  for (const payload of payloads) {
    frames.writeUInt32BE(payload.length, offset);
    frames.set(payload, offset + FRAME_HEADER_BYTES);
    offset += FRAME_HEADER_BYTES + payload.length;
  }
  return frames;
}
