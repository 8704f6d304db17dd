// The server side of one HTTP/2 connection (RFC 9113), for gRPC: frames,
// header blocks (HPACK, api/http2/hpack.ts), flow control in both
// directions, SETTINGS, PING, RST_STREAM and GOAWAY. No server push, no
// priorities (ignored, as RFC 9113 allows). Built for the client transport
// thread, where Node's HTTP/2 (a Duplex per stream, events, nghttp2 behind
// a C++ binding) was most of the CPU a call cost; here a call is a few
// objects and every frame a turn writes goes out in one socket write.

import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { HTTP2_CLIENT_PREFACE as PREFACE } from '../../http2/authority-rewriter.js';
import { HpackDecoder, HpackError, type HeaderField } from '../../http2/hpack.js';

const FRAME_HEADER_BYTES = 9;

const enum FrameType {
  Data = 0x0,
  Headers = 0x1,
  Priority = 0x2,
  RstStream = 0x3,
  Settings = 0x4,
  PushPromise = 0x5,
  Ping = 0x6,
  GoAway = 0x7,
  WindowUpdate = 0x8,
  Continuation = 0x9,
}

const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;

export const enum H2Error {
  NoError = 0x0,
  ProtocolError = 0x1,
  InternalError = 0x2,
  FlowControlError = 0x3,
  StreamClosed = 0x5,
  FrameSizeError = 0x6,
  RefusedStream = 0x7,
  Cancel = 0x8,
  CompressionError = 0x9,
  EnhanceYourCalm = 0xb,
}

const SETTINGS_HEADER_TABLE_SIZE = 0x1;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;

const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 2 ** 31 - 1;
/** What this side lets a client send ahead, per stream and per connection. */
const STREAM_RECEIVE_WINDOW = 1 << 20;
const CONNECTION_RECEIVE_WINDOW = 16 << 20;
/** Frames this side accepts (the protocol's default; not raised). */
const MAX_RECEIVE_FRAME_BYTES = 16_384;
/** Header block bytes a request may take across HEADERS and CONTINUATION frames. */
const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

export class H2ProtocolError extends Error {
  constructor(
    readonly code: H2Error,
    message: string,
  ) {
    super(message);
  }
}

export interface H2ConnectionOptions {
  maxConcurrentStreams: number;
  /** A new stream's request headers (names lower case, as sent). */
  onStream(stream: H2Stream, headers: HeaderField[]): void;
  /** Something other than the client's input failed while handling it (the connection was ended). */
  onError?(error: unknown): void;
}

/** One request/response exchange. Callbacks are set by whoever takes the stream in onStream. */
export class H2Stream {
  /** Request DATA as it arrives. */
  onData: (chunk: Buffer) => void = () => undefined;
  /** The client ended its side (END_STREAM). */
  onEnd: () => void = () => undefined;
  /** The stream is gone: answered and flushed, reset by either side, or the connection ended. */
  onClose: () => void = () => undefined;

  /** Bytes this side may still send (the client's window for it). */
  sendWindow: number;
  /** DATA waiting for window, with the write callbacks to call once it has gone to the socket. */
  private pendingData: Buffer[] = [];
  private pendingDone: Array<() => void> = [];
  /** A trailers block waiting behind pendingData. */
  private pendingTrailers: Buffer | undefined;
  private receivedUnacknowledged = 0;
  remoteEnded = false;
  localEnded = false;
  closed = false;

  constructor(
    readonly connection: H2Connection,
    readonly id: number,
    initialSendWindow: number,
  ) {
    this.sendWindow = initialSendWindow;
  }

  /** Response headers (an HPACK block); `endStream` for a trailers-only answer. */
  respond(block: Buffer, endStream: boolean): void {
    if (this.closed || this.localEnded) return;
    this.connection.writeHeaders(this.id, block, endStream);
    if (endStream) this.endLocal();
  }

  /** Response DATA; `done` once it is handed to the socket. */
  write(data: Buffer, done?: () => void): void {
    if (this.closed || this.localEnded) {
      done?.();
      return;
    }
    this.pendingData.push(data);
    if (done !== undefined) this.pendingDone.push(done);
    this.connection.sendPending(this);
  }

  /** Trailers (an HPACK block) after any DATA still waiting for window; ends the stream. */
  sendTrailers(block: Buffer): void {
    if (this.closed || this.localEnded) return;
    this.pendingTrailers = block;
    this.localEnded = true;
    this.connection.sendPending(this);
  }

  /** RST_STREAM: ends the stream at once, whatever is waiting. */
  reset(code: H2Error = H2Error.Cancel): void {
    if (this.closed) return;
    this.connection.writeReset(this.id, code);
    this.close();
  }

  /** Sends what flow control allows; returns the bytes taken from the connection's window. */
  flushPending(connectionWindow: number, maxFrameBytes: number): number {
    let taken = 0;
    while (this.pendingData.length > 0) {
      const data = this.pendingData[0];
      const allowed = Math.min(this.sendWindow, connectionWindow - taken);
      if (allowed <= 0 && data.length > 0) break;
      const length = Math.min(data.length, allowed, maxFrameBytes);
      this.connection.writeData(this.id, data.subarray(0, length), false);
      this.sendWindow -= length;
      taken += length;
      if (length === data.length) this.pendingData.shift();
      else this.pendingData[0] = data.subarray(length);
    }
    if (this.pendingData.length === 0) {
      for (const done of this.pendingDone.splice(0)) this.connection.afterWrite(done);
      if (this.pendingTrailers !== undefined) {
        const trailers = this.pendingTrailers;
        this.pendingTrailers = undefined;
        this.connection.writeHeaders(this.id, trailers, true);
        this.endLocal();
      }
    }
    return taken;
  }

  get hasPending(): boolean {
    return this.pendingData.length > 0 || this.pendingTrailers !== undefined;
  }

  /** Received DATA bytes to give back to the client as window (for a stream still sending). */
  consumed(bytes: number): void {
    this.receivedUnacknowledged += bytes;
    if (!this.remoteEnded && this.receivedUnacknowledged >= STREAM_RECEIVE_WINDOW / 2) {
      this.connection.writeWindowUpdate(this.id, this.receivedUnacknowledged);
      this.receivedUnacknowledged = 0;
    }
  }

  private endLocal(): void {
    this.localEnded = true;
    // A client still sending after the answer is told to stop, without error (RFC 9113 8.1).
    if (!this.remoteEnded) this.connection.writeReset(this.id, H2Error.NoError);
    this.close();
  }

  /** @internal */
  remoteEnd(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.onEnd();
  }

  /** @internal */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pendingData = [];
    this.pendingTrailers = undefined;
    for (const done of this.pendingDone.splice(0)) done();
    this.connection.forget(this);
    this.onClose();
  }
}

/** Emits 'close' once, when the connection has ended. */
export class H2Connection extends EventEmitter {
  private readonly decoder = new HpackDecoder();
  private readonly streams = new Map<number, H2Stream>();
  private received: Buffer | undefined;
  private prefaceSeen = false;
  private lastStreamId = 0;
  /** A header block spread over HEADERS and CONTINUATION frames. */
  private continuing: { streamId: number; endStream: boolean; fragments: Buffer[]; bytes: number } | undefined;

  private sendWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrameBytes = 16_384;
  private connectionReceivedUnacknowledged = 0;
  /** Streams with DATA or trailers waiting for window. */
  private readonly blocked = new Set<H2Stream>();

  private output: Buffer[] = [];
  private outputCallbacks: Array<() => void> = [];
  private flushScheduled = false;
  private goingAway = false;
  private ended = false;

  constructor(
    readonly socket: Duplex,
    private readonly options: H2ConnectionOptions,
  ) {
    super();
    const settings = Buffer.alloc(18);
    settings.writeUInt16BE(SETTINGS_MAX_CONCURRENT_STREAMS, 0);
    settings.writeUInt32BE(options.maxConcurrentStreams, 2);
    settings.writeUInt16BE(SETTINGS_INITIAL_WINDOW_SIZE, 6);
    settings.writeUInt32BE(STREAM_RECEIVE_WINDOW, 8);
    settings.writeUInt16BE(SETTINGS_HEADER_TABLE_SIZE, 12);
    settings.writeUInt32BE(4096, 14);
    this.writeFrame(FrameType.Settings, 0, 0, settings);
    this.writeWindowUpdate(0, CONNECTION_RECEIVE_WINDOW - DEFAULT_WINDOW);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
    socket.on('end', () => this.destroy());
    // The listener hands the socket over paused, with its first bytes put back.
    socket.resume();
  }

  get closed(): boolean {
    return this.goingAway || this.ended;
  }

  get destroyed(): boolean {
    return this.ended;
  }

  /** Ends at once: every stream closes. */
  destroy(): void {
    if (this.ended) return;
    this.ended = true;
    for (const stream of [...this.streams.values()]) stream.close();
    this.socket.destroy();
    this.afterEnd();
  }

  private afterEnd(): void {
    this.emit('close');
  }

  /** Graceful close: GOAWAY, then the socket ends once the open streams are done and written ('close'). */
  close(): void {
    if (this.ended || this.goingAway) return;
    this.goingAway = true;
    this.writeGoAway(H2Error.NoError);
    this.endIfIdle();
  }

  // ---- reading ----

  private receive(chunk: Buffer): void {
    if (this.ended) return;
    let data = this.received === undefined ? chunk : Buffer.concat([this.received, chunk]);
    this.received = undefined;
    try {
      if (!this.prefaceSeen) {
        if (data.length < PREFACE.length) {
          if (!PREFACE.subarray(0, data.length).equals(data)) throw new H2ProtocolError(H2Error.ProtocolError, 'bad connection preface');
          this.received = data;
          return;
        }
        if (!data.subarray(0, PREFACE.length).equals(PREFACE)) throw new H2ProtocolError(H2Error.ProtocolError, 'bad connection preface');
        this.prefaceSeen = true;
        data = data.subarray(PREFACE.length);
      }
      let offset = 0;
      while (data.length - offset >= FRAME_HEADER_BYTES) {
        const length = data.readUIntBE(offset, 3);
        if (length > MAX_RECEIVE_FRAME_BYTES) throw new H2ProtocolError(H2Error.FrameSizeError, `frame of ${length} bytes`);
        if (data.length - offset < FRAME_HEADER_BYTES + length) break;
        const type = data[offset + 3];
        const flags = data[offset + 4];
        const streamId = data.readUInt32BE(offset + 5) & 0x7fffffff;
        const payload = data.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length);
        offset += FRAME_HEADER_BYTES + length;
        this.onFrame(type, flags, streamId, payload);
        if (this.ended) return;
      }
      if (offset < data.length) this.received = Buffer.from(data.subarray(offset));
    } catch (error) {
      if (error instanceof H2ProtocolError) this.fail(error.code);
      else if (error instanceof HpackError) this.fail(H2Error.CompressionError);
      else {
        // A bug behind a stream's callbacks: this connection ends, the thread goes on.
        this.fail(H2Error.InternalError);
        this.options.onError?.(error);
      }
    }
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.continuing !== undefined && type !== FrameType.Continuation) throw new H2ProtocolError(H2Error.ProtocolError, 'expected CONTINUATION');
    switch (type) {
      case FrameType.Data:
        return this.onData(flags, streamId, payload);
      case FrameType.Headers:
        return this.onHeaders(flags, streamId, payload);
      case FrameType.Continuation:
        return this.onContinuation(flags, streamId, payload);
      case FrameType.RstStream:
        if (streamId === 0 || payload.length !== 4) throw new H2ProtocolError(H2Error.ProtocolError, 'bad RST_STREAM');
        this.streams.get(streamId)?.close();
        return;
      case FrameType.Settings:
        return this.onSettings(flags, streamId, payload);
      case FrameType.Ping:
        if (streamId !== 0 || payload.length !== 8) throw new H2ProtocolError(H2Error.ProtocolError, 'bad PING');
        if ((flags & FLAG_ACK) === 0) this.writeFrame(FrameType.Ping, FLAG_ACK, 0, Buffer.from(payload));
        return;
      case FrameType.GoAway:
        this.goingAway = true;
        this.endIfIdle();
        return;
      case FrameType.WindowUpdate:
        return this.onWindowUpdate(streamId, payload);
      case FrameType.PushPromise:
        throw new H2ProtocolError(H2Error.ProtocolError, 'PUSH_PROMISE from a client');
      case FrameType.Priority:
      default:
        // Priorities are advice; unknown frame types are ignored (RFC 9113 4.1).
        return;
    }
  }

  private onData(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new H2ProtocolError(H2Error.ProtocolError, 'DATA on stream 0');
    this.connectionReceivedUnacknowledged += payload.length;
    if (this.connectionReceivedUnacknowledged >= CONNECTION_RECEIVE_WINDOW / 2) {
      this.writeWindowUpdate(0, this.connectionReceivedUnacknowledged);
      this.connectionReceivedUnacknowledged = 0;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.remoteEnded) {
      // A stream already closed (reset by this side, say): not an error on the connection.
      if (streamId > this.lastStreamId) throw new H2ProtocolError(H2Error.ProtocolError, 'DATA on an idle stream');
      return;
    }
    const data = unpad(flags, payload);
    stream.consumed(payload.length);
    if (data.length > 0) stream.onData(data);
    if (flags & FLAG_END_STREAM) stream.remoteEnd();
  }

  private onHeaders(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0 || streamId % 2 === 0) throw new H2ProtocolError(H2Error.ProtocolError, `HEADERS on stream ${streamId}`);
    let fragment = unpad(flags, payload);
    if (flags & FLAG_PRIORITY) {
      if (fragment.length < 5) throw new H2ProtocolError(H2Error.FrameSizeError, 'short PRIORITY fields');
      fragment = fragment.subarray(5);
    }
    const endStream = (flags & FLAG_END_STREAM) !== 0;
    if (flags & FLAG_END_HEADERS) this.onHeaderBlock(streamId, endStream, fragment);
    else this.continuing = { streamId, endStream, fragments: [Buffer.from(fragment)], bytes: fragment.length };
  }

  private onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const continuing = this.continuing;
    if (continuing === undefined || continuing.streamId !== streamId) throw new H2ProtocolError(H2Error.ProtocolError, 'unexpected CONTINUATION');
    continuing.fragments.push(Buffer.from(payload));
    continuing.bytes += payload.length;
    if (continuing.bytes > MAX_HEADER_BLOCK_BYTES) throw new H2ProtocolError(H2Error.EnhanceYourCalm, 'header block too large');
    if (flags & FLAG_END_HEADERS) {
      this.continuing = undefined;
      this.onHeaderBlock(streamId, continuing.endStream, Buffer.concat(continuing.fragments));
    }
  }

  private onHeaderBlock(streamId: number, endStream: boolean, block: Buffer): void {
    // Every block is decoded, even one that is refused: the dynamic table must follow the client's.
    const headers = this.decoder.decode(block);
    const existing = this.streams.get(streamId);
    if (existing !== undefined) {
      // Trailers from the client: only as the end of its side.
      if (!endStream || existing.remoteEnded) throw new H2ProtocolError(H2Error.ProtocolError, 'HEADERS in the middle of a stream');
      existing.remoteEnd();
      return;
    }
    if (streamId <= this.lastStreamId) {
      // A stream this side closed already: its trailers are late, nothing more.
      return;
    }
    this.lastStreamId = streamId;
    if (this.goingAway) return;
    if (this.streams.size >= this.options.maxConcurrentStreams) {
      this.writeReset(streamId, H2Error.RefusedStream);
      return;
    }
    const stream = new H2Stream(this, streamId, this.peerInitialWindow);
    this.streams.set(streamId, stream);
    this.options.onStream(stream, headers);
    if (endStream) stream.remoteEnd();
  }

  private onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new H2ProtocolError(H2Error.ProtocolError, 'SETTINGS on a stream');
    if (flags & FLAG_ACK) {
      if (payload.length !== 0) throw new H2ProtocolError(H2Error.FrameSizeError, 'SETTINGS ack with a payload');
      return;
    }
    if (payload.length % 6 !== 0) throw new H2ProtocolError(H2Error.FrameSizeError, 'SETTINGS length');
    for (let offset = 0; offset < payload.length; offset += 6) {
      const id = payload.readUInt16BE(offset);
      const value = payload.readUInt32BE(offset + 2);
      if (id === SETTINGS_INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new H2ProtocolError(H2Error.FlowControlError, 'initial window too large');
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const stream of this.streams.values()) {
          stream.sendWindow += delta;
          if (stream.sendWindow > MAX_WINDOW) throw new H2ProtocolError(H2Error.FlowControlError, 'stream window overflow');
        }
        if (delta > 0) this.unblock();
      } else if (id === SETTINGS_MAX_FRAME_SIZE) {
        if (value < 16_384 || value > 16_777_215) throw new H2ProtocolError(H2Error.ProtocolError, 'bad max frame size');
        this.peerMaxFrameBytes = value;
      }
      // The header table size this side encodes with stays 0 entries (literals only); the rest is advice.
    }
    this.writeFrame(FrameType.Settings, FLAG_ACK, 0, EMPTY);
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new H2ProtocolError(H2Error.FrameSizeError, 'WINDOW_UPDATE length');
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) throw new H2ProtocolError(H2Error.ProtocolError, 'zero window increment');
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW) throw new H2ProtocolError(H2Error.FlowControlError, 'connection window overflow');
      this.unblock();
      return;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    if (increment === 0) {
      stream.reset(H2Error.ProtocolError);
      return;
    }
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      stream.reset(H2Error.FlowControlError);
      return;
    }
    if (stream.hasPending) this.sendPending(stream);
  }

  // ---- writing ----

  /** @internal A stream has DATA or trailers to send. */
  sendPending(stream: H2Stream): void {
    const taken = stream.flushPending(this.sendWindow, this.peerMaxFrameBytes);
    this.sendWindow -= taken;
    // A stream whose trailers went out has closed itself (endLocal).
    if (stream.hasPending) this.blocked.add(stream);
    else this.blocked.delete(stream);
  }

  private unblock(): void {
    for (const stream of [...this.blocked]) {
      if (this.sendWindow <= 0) return;
      this.sendPending(stream);
    }
  }

  /** @internal */
  forget(stream: H2Stream): void {
    this.streams.delete(stream.id);
    this.blocked.delete(stream);
    this.endIfIdle();
  }

  /** @internal Runs `done` once what is queued now has gone to the socket. */
  afterWrite(done: () => void): void {
    this.outputCallbacks.push(done);
    this.scheduleFlush();
  }

  /** @internal */
  writeHeaders(streamId: number, block: Buffer, endStream: boolean): void {
    const flags = endStream ? FLAG_END_STREAM : 0;
    if (block.length <= this.peerMaxFrameBytes) {
      this.writeFrame(FrameType.Headers, flags | FLAG_END_HEADERS, streamId, block);
      return;
    }
    let offset = 0;
    while (offset < block.length) {
      const end = Math.min(block.length, offset + this.peerMaxFrameBytes);
      const last = end === block.length;
      const type = offset === 0 ? FrameType.Headers : FrameType.Continuation;
      this.writeFrame(type, (offset === 0 ? flags : 0) | (last ? FLAG_END_HEADERS : 0), streamId, block.subarray(offset, end));
      offset = end;
    }
  }

  /** @internal */
  writeData(streamId: number, data: Buffer, endStream: boolean): void {
    this.writeFrame(FrameType.Data, endStream ? FLAG_END_STREAM : 0, streamId, data);
  }

  /** @internal */
  writeReset(streamId: number, code: H2Error): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(code, 0);
    this.writeFrame(FrameType.RstStream, 0, streamId, payload);
  }

  /** @internal */
  writeWindowUpdate(streamId: number, increment: number): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(increment, 0);
    this.writeFrame(FrameType.WindowUpdate, 0, streamId, payload);
  }

  private writeGoAway(code: H2Error): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(this.lastStreamId, 0);
    payload.writeUInt32BE(code, 4);
    this.writeFrame(FrameType.GoAway, 0, 0, payload);
  }

  private writeFrame(type: FrameType, flags: number, streamId: number, payload: Buffer): void {
    if (this.ended) return;
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    header.writeUIntBE(payload.length, 0, 3);
    header[3] = type;
    header[4] = flags;
    header.writeUInt32BE(streamId, 5);
    this.output.push(header);
    if (payload.length > 0) this.output.push(payload);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Every frame this turn writes (a batch's answers, window updates) goes out in one write.
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.output.length === 0 && this.outputCallbacks.length === 0) return;
    const output = this.output;
    const callbacks = this.outputCallbacks;
    this.output = [];
    this.outputCallbacks = [];
    if (!this.ended && output.length > 0) this.socket.write(output.length === 1 ? output[0] : Buffer.concat(output));
    for (const done of callbacks) done();
    this.endIfIdle();
  };

  private endIfIdle(): void {
    if (!this.goingAway || this.ended || this.streams.size > 0 || this.flushScheduled) return;
    this.ended = true;
    this.socket.end();
    this.afterEnd();
  }

  /** A connection error: GOAWAY with its code, then the socket closes. */
  private fail(code: H2Error): void {
    if (this.ended) return;
    this.writeGoAway(code);
    this.flush();
    this.ended = true;
    for (const stream of [...this.streams.values()]) stream.close();
    // end(), not destroy(): the GOAWAY goes out first.
    this.socket.end();
    this.afterEnd();
  }
}

const EMPTY = Buffer.alloc(0);

function unpad(flags: number, payload: Buffer): Buffer {
  if ((flags & FLAG_PADDED) === 0) return payload;
  if (payload.length < 1) throw new H2ProtocolError(H2Error.FrameSizeError, 'padded frame without a pad length');
  const padLength = payload[0];
  if (padLength >= payload.length) throw new H2ProtocolError(H2Error.ProtocolError, 'padding longer than the frame');
  return payload.subarray(1, payload.length - padLength);
}
