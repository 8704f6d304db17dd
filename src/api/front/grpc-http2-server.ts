// gRPC's wire protocol on Node's HTTP/2, for the client transport thread.
// This thread never decodes a message, so grpc-js' per-call machinery
// (interceptor chains, Metadata objects, call wrappers, several closures and
// streams per call) is cost without use here: this serves length-prefixed
// messages as bytes and hands them on. What clients see follows grpc-js,
// which served them before: its status texts for oversized messages, bad
// deadlines and unknown methods, trailers-only error answers, grpc-message
// percent-encoded as encodeURI does, and gzip/deflate request messages.

import * as http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { FrontMethod, MetadataObject } from './protocol.js';

const { HTTP2_HEADER_PATH, HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE } = http2.constants;

// grpc-js' status codes (no import: this thread does not load grpc-js).
const OK = 0;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
const UNIMPLEMENTED = 12;
const INTERNAL = 13;

const DEADLINE_PATTERN = /(\d{1,8})\s*([HMSmun])/;
const DEADLINE_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
/** Request headers that are transport, not the call's metadata (as grpc-js leaves them out). */
const NOT_METADATA = new Set(['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te', 'content-type']);
const RESPONSE_HEADERS = {
  [HTTP2_HEADER_STATUS]: 200,
  [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
};

/** What the server tells its owner about one call. */
export interface CallListener {
  onMessage(message: Buffer): void;
  onHalfClose(): void;
  /** The client went away, or its deadline passed, before the call ended. */
  onCancel(): void;
}

export interface GrpcHttp2ServerOptions {
  methods: ReadonlyMap<string, FrontMethod>;
  maxReceiveMessageBytes: number;
  maxConcurrentStreams: number;
  /**
   * A call whose request is complete enough to run: a unary or server-streaming
   * call with its one message, a bidirectional stream at once. Returns the
   * listener for what comes after.
   */
  onCall(call: GrpcServerCall, firstMessage: Buffer | undefined): CallListener;
}

export class GrpcServerCall {
  private headersSent = false;
  private ended = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  listener: CallListener | undefined;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    readonly method: FrontMethod,
    readonly metadata: MetadataObject,
    readonly peer: string,
  ) {}

  get session(): http2.Http2Session | undefined {
    return this.stream.session;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Sends response messages in one write (a watch's events of one batch); `done` once HTTP/2 has taken them. */
  write(messages: readonly Buffer[], done: () => void): void {
    if (this.ended || this.stream.destroyed) return done();
    const written = this.guarded(() => {
      this.sendHeaders();
      this.stream.write(messages.length === 1 ? frame(messages[0]) : frameAll(messages), () => done());
    });
    if (!written) done();
  }

  /** A unary call's answer: headers, the message and the OK status in one go. */
  reply(message: Buffer): void {
    if (this.ended || this.stream.destroyed) return;
    this.ended = true;
    this.clearDeadline();
    this.guarded(() => {
      this.sendHeaders();
      this.stream.once('wantTrailers', () => this.guarded(() => this.stream.sendTrailers({ 'grpc-status': String(OK), 'grpc-message': 'OK' })));
      this.stream.end(frame(message));
    });
  }

  /** Ends the call with a status (OK or an error) and its trailing metadata. */
  sendStatus(code: number, details: string, metadata?: MetadataObject): void {
    if (this.ended || this.stream.destroyed) return;
    this.ended = true;
    this.clearDeadline();
    this.guarded(() => {
      const trailers: http2.OutgoingHttpHeaders = { 'grpc-status': String(code), 'grpc-message': encodeURI(details), ...metadataHeaders(metadata) };
      if (!this.headersSent) {
        // Trailers-only: one header block that ends the stream.
        this.headersSent = true;
        this.stream.respond({ ...RESPONSE_HEADERS, ...trailers }, { endStream: true });
        return;
      }
      this.stream.once('wantTrailers', () => this.guarded(() => this.stream.sendTrailers(trailers)));
      this.stream.end();
    });
  }

  /**
   * Runs an HTTP/2 operation on the stream; one that throws (the session
   * went away meanwhile, a status text encodeURI refuses) resets this stream
   * instead of ending the whole transport thread. Says whether it ran.
   */
  private guarded(operation: () => void): boolean {
    try {
      operation();
      return true;
    } catch {
      this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return false;
    }
  }

  setDeadline(timeoutMs: number): void {
    this.deadlineTimer = setTimeout(() => {
      if (this.ended) return;
      this.sendStatus(DEADLINE_EXCEEDED, 'Deadline exceeded');
      this.listener?.onCancel();
    }, timeoutMs);
  }

  /** The stream closed: a call not ended by its handler was cancelled by the client. */
  closed(): void {
    this.clearDeadline();
    if (this.ended) return;
    this.ended = true;
    this.listener?.onCancel();
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  }

  private clearDeadline(): void {
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }
}

export class GrpcHttp2Server {
  private readonly server: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly peers = new WeakMap<http2.Http2Session, string>();

  constructor(private readonly options: GrpcHttp2ServerOptions) {
    this.server = http2.createServer({
      // As grpc-js: Node's HTTP/2 degrades badly once it enforces a session memory limit.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      settings: { maxConcurrentStreams: options.maxConcurrentStreams },
    });
    this.server.setTimeout(0);
    this.server.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      session.on('error', () => undefined);
    });
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
  }

  /** "address:port" of a session's client, as grpc-js' getPeer; read once per session (its socket is a proxy). */
  private peerOf(session: http2.Http2Session | undefined): string {
    if (session === undefined) return 'unknown';
    let peer = this.peers.get(session);
    if (peer === undefined) {
      const socket = session.socket;
      peer = socket?.remoteAddress ? (socket.remotePort ? `${socket.remoteAddress}:${socket.remotePort}` : socket.remoteAddress) : 'unknown';
      this.peers.set(session, peer);
    }
    return peer;
  }

  /** Serves an HTTP/2 connection (a socket, or the :authority rewriter's stream). */
  injectConnection(connection: Duplex): void {
    this.server.emit('connection', connection);
  }

  /** Ends every session at once. */
  destroySessions(): void {
    for (const session of this.sessions) session.destroy();
    this.sessions.clear();
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    // Errors are followed by 'close', which is where a call learns of them.
    stream.on('error', () => undefined);
    const contentType = headers[HTTP2_HEADER_CONTENT_TYPE];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      stream.respond({ [HTTP2_HEADER_STATUS]: http2.constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE }, { endStream: true });
      return;
    }
    const path = String(headers[HTTP2_HEADER_PATH] ?? '');
    const peer = this.peerOf(stream.session);
    const method = this.options.methods.get(path);
    const call = new GrpcServerCall(stream, method ?? { path, requestStream: false, responseStream: false }, metadataOf(headers), peer);
    if (method === undefined) {
      call.sendStatus(UNIMPLEMENTED, `The server does not implement the method ${path}`);
      return;
    }
    const timeout = headers['grpc-timeout'];
    if (typeof timeout === 'string') {
      const match = DEADLINE_PATTERN.exec(timeout);
      if (match === null) {
        call.sendStatus(INTERNAL, `Invalid grpc-timeout value "${timeout}"`);
        return;
      }
      call.setDeadline((Number(match[1]) * DEADLINE_UNIT_MS[match[2]]) | 0);
    }
    const encoding = typeof headers['grpc-encoding'] === 'string' ? headers['grpc-encoding'] : 'identity';
    stream.once('close', () => call.closed());

    const decoder = new MessageDecoder(this.options.maxReceiveMessageBytes);
    let firstMessage: Buffer | undefined;
    let started = false;
    const start = () => {
      started = true;
      call.listener = this.options.onCall(call, firstMessage);
    };
    if (method.requestStream) start();
    stream.on('data', (chunk: Buffer) => {
      if (call.isEnded) return;
      let messages: Buffer[];
      try {
        messages = decoder.write(chunk).map((message) => decompress(message, encoding));
      } catch (error) {
        const failure = error as { code?: number; message: string };
        call.sendStatus(failure.code ?? RESOURCE_EXHAUSTED, failure.message);
        if (started) call.listener?.onCancel();
        return;
      }
      for (const message of messages) {
        if (method.requestStream) {
          call.listener?.onMessage(message);
        } else if (firstMessage !== undefined) {
          call.sendStatus(UNIMPLEMENTED, `Received a second request message for server streaming method ${path}`);
          return;
        } else firstMessage = message;
      }
    });
    stream.on('end', () => {
      if (call.isEnded) return;
      if (method.requestStream) {
        call.listener?.onHalfClose();
        return;
      }
      if (firstMessage === undefined) {
        call.sendStatus(UNIMPLEMENTED, `Received no request message for server streaming method ${path}`);
        return;
      }
      start();
    });
  }
}

/** A request header block as grpc-js' Metadata.fromHttp2Headers makes it, as plain values. */
function metadataOf(headers: http2.IncomingHttpHeaders): MetadataObject {
  const metadata: MetadataObject = {};
  for (const key of Object.keys(headers)) {
    if (key.charCodeAt(0) === 58 /* ':' */ || NOT_METADATA.has(key)) continue;
    const value = headers[key];
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    if (key.endsWith('-bin')) {
      metadata[key] = values.flatMap((item) => item.split(',')).map((item) => Buffer.from(item.trim(), 'base64'));
    } else metadata[key] = values.map(String);
  }
  return metadata;
}

/** Trailing metadata as HTTP/2 headers (binary values base64, as gRPC sends them). */
function metadataHeaders(metadata: MetadataObject | undefined): http2.OutgoingHttpHeaders {
  const headers: http2.OutgoingHttpHeaders = {};
  if (metadata === undefined) return headers;
  for (const [key, values] of Object.entries(metadata)) {
    headers[key] = values.map((value) => (typeof value === 'string' ? value : Buffer.from(value).toString('base64')));
  }
  return headers;
}

/** A message with gRPC's five-byte prefix: flag 0 (not compressed) and the length. */
function frame(message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(message.length + 5);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, 5);
  return framed;
}

/** Several messages, each with its prefix, in one buffer. */
function frameAll(messages: readonly Buffer[]): Buffer {
  let total = 0;
  for (const message of messages) total += message.length + 5;
  const framed = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const message of messages) {
    framed[offset] = 0;
    framed.writeUInt32BE(message.length, offset + 1);
    message.copy(framed, offset + 5);
    offset += message.length + 5;
  }
  return framed;
}

function decompress(prefixed: Buffer, encoding: string): Buffer {
  const body = prefixed.subarray(5);
  if (prefixed[0] !== 1) return body;
  try {
    if (encoding === 'gzip') return gunzipSync(body);
    if (encoding === 'deflate') return inflateSync(body);
  } catch {
    throw Object.assign(new Error('Failed to decompress message'), { code: INTERNAL });
  }
  throw Object.assign(new Error(`Received message compressed with unsupported encoding "${encoding}"`), { code: UNIMPLEMENTED });
}

/** Splits DATA frames into length-prefixed messages (each returned with its prefix). */
class MessageDecoder {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

  constructor(private readonly maxMessageBytes: number) {}

  write(chunk: Buffer): Buffer[] {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    const messages: Buffer[] = [];
    while (this.bufferedBytes >= 5) {
      const head = this.buffered[0].length >= 5 ? this.buffered[0] : this.concat();
      const length = head.readUInt32BE(1);
      if (length > this.maxMessageBytes) throw Object.assign(new Error(`Received message larger than max (${length} vs ${this.maxMessageBytes})`), { code: RESOURCE_EXHAUSTED });
      if (this.bufferedBytes < length + 5) break;
      const all = this.buffered.length === 1 ? this.buffered[0] : this.concat();
      messages.push(all.subarray(0, length + 5));
      const rest = all.subarray(length + 5);
      this.buffered = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
    }
    return messages;
  }

  private concat(): Buffer {
    const all = Buffer.concat(this.buffered, this.bufferedBytes);
    this.buffered = [all];
    return all;
  }
}
