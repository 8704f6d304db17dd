// gRPC's wire protocol for the client transport thread, on this thread's
// own HTTP/2 (h2/h2-connection.ts). This thread never decodes a message, so
// grpc-js' per-call machinery (interceptor chains, Metadata objects, call
// wrappers, several closures and streams per call) and Node's HTTP/2 (a
// Duplex per stream, nghttp2 behind a binding) were cost without use here:
// this serves length-prefixed messages as bytes and hands them on. What
// clients see follows grpc-js, which served them before: its status texts
// for oversized messages, bad deadlines and unknown methods, trailers-only
// error answers, grpc-message percent-encoded as encodeURI does, and
// gzip/deflate request messages.

import type { Duplex } from 'node:stream';
import { gunzipSync, inflateSync } from 'node:zlib';
import { encodeLiteralsWithoutIndexing, type HeaderField } from '../http2/hpack.js';
import { H2Connection, H2Error, type H2Stream } from './h2/h2-connection.js';
import type { FrontMethod, MetadataObject } from './protocol.js';

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
const RESPONSE_HEADERS: ReadonlyArray<readonly [string, string]> = [
  [':status', '200'],
  ['content-type', 'application/grpc+proto'],
  ['grpc-accept-encoding', 'identity,deflate,gzip'],
  ['grpc-encoding', 'identity'],
];
/** Every call's response headers and every OK answer's trailers are the same bytes. */
const RESPONSE_HEADERS_BLOCK = headerBlock(RESPONSE_HEADERS);
const OK_TRAILERS_BLOCK = headerBlock([['grpc-status', String(OK)], ['grpc-message', 'OK']]);
const UNSUPPORTED_MEDIA_TYPE_BLOCK = headerBlock([[':status', '415']]);

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
  /** A connection ended because handling its input threw (a bug, logged by the owner). */
  onConnectionError?(error: unknown): void;
}

export class GrpcServerCall {
  private headersSent = false;
  private ended = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly closeListeners: Array<() => void> = [];
  listener: CallListener | undefined;

  constructor(
    readonly stream: H2Stream,
    readonly method: FrontMethod,
    readonly metadata: MetadataObject,
    readonly peer: string,
  ) {}

  get session(): H2Connection {
    return this.stream.connection;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Runs `listener` once the stream is gone (answered, reset, or its connection ended). */
  onClosed(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /** Sends response messages in one write (a watch's events of one batch); `done` once they are handed to the socket. */
  write(messages: readonly Buffer[], done: () => void): void {
    if (this.ended || this.stream.closed) return done();
    const written = this.guarded(() => {
      this.sendHeaders();
      this.stream.write(messages.length === 1 ? frame(messages[0]) : frameAll(messages), done);
    });
    if (!written) done();
  }

  /** A unary call's answer: headers, the message and the OK status in one go. */
  reply(message: Buffer): void {
    if (this.ended || this.stream.closed) return;
    this.ended = true;
    this.clearDeadline();
    this.guarded(() => {
      this.sendHeaders();
      this.stream.write(frame(message));
      this.stream.sendTrailers(OK_TRAILERS_BLOCK);
    });
  }

  /** Ends the call with a status (OK or an error) and its trailing metadata. */
  sendStatus(code: number, details: string, metadata?: MetadataObject): void {
    if (this.ended || this.stream.closed) return;
    this.ended = true;
    this.clearDeadline();
    this.guarded(() => {
      const trailers: Array<readonly [string, string]> = [['grpc-status', String(code)], ['grpc-message', encodeURI(details)], ...metadataFields(metadata)];
      if (!this.headersSent) {
        // Trailers-only: one header block that ends the stream.
        this.headersSent = true;
        this.stream.respond(headerBlock([...RESPONSE_HEADERS, ...trailers]), true);
        return;
      }
      this.stream.sendTrailers(headerBlock(trailers));
    });
  }

  /**
   * Runs an operation on the stream; one that throws (a status text
   * encodeURI refuses, say) resets this stream instead of ending the whole
   * transport thread. Says whether it ran.
   */
  private guarded(operation: () => void): boolean {
    try {
      operation();
      return true;
    } catch {
      this.stream.reset(H2Error.InternalError);
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
    if (!this.ended) {
      this.ended = true;
      this.listener?.onCancel();
    }
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond(RESPONSE_HEADERS_BLOCK, false);
  }

  private clearDeadline(): void {
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }
}

export class GrpcHttp2Server {
  private readonly sessions = new Set<H2Connection>();

  constructor(private readonly options: GrpcHttp2ServerOptions) {}

  /** Serves an HTTP/2 connection: a socket as the client listener sorted it (paused, its first bytes put back). */
  injectConnection(connection: Duplex): void {
    const { remoteAddress, remotePort } = connection as Duplex & { remoteAddress?: string; remotePort?: number };
    // As grpc-js' getPeer.
    const peer = remoteAddress ? (remotePort ? `${remoteAddress}:${remotePort}` : remoteAddress) : 'unknown';
    const session = new H2Connection(connection, {
      maxConcurrentStreams: this.options.maxConcurrentStreams,
      onStream: (stream, fields) => this.onStream(stream, headersOf(fields), peer),
      onError: (error) => this.options.onConnectionError?.(error),
    });
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
  }

  /** Ends every session at once. */
  destroySessions(): void {
    for (const session of this.sessions) session.destroy();
    this.sessions.clear();
  }

  private onStream(stream: H2Stream, headers: Record<string, string>, peer: string): void {
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      stream.respond(UNSUPPORTED_MEDIA_TYPE_BLOCK, true);
      return;
    }
    const path = headers[':path'] ?? '';
    const method = this.options.methods.get(path);
    const call = new GrpcServerCall(stream, method ?? { path, requestStream: false, responseStream: false }, metadataOf(headers), peer);
    stream.onClose = () => call.closed();
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

    const decoder = new MessageDecoder(this.options.maxReceiveMessageBytes);
    let firstMessage: Buffer | undefined;
    let started = false;
    const start = () => {
      started = true;
      call.listener = this.options.onCall(call, firstMessage);
    };
    if (method.requestStream) start();
    stream.onData = (chunk: Buffer) => {
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
    };
    stream.onEnd = () => {
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
    };
  }
}

/** A request header block as grpc-js' Metadata.fromHttp2Headers makes it, as plain values. */
function metadataOf(headers: Record<string, string>): MetadataObject {
  const metadata: MetadataObject = {};
  for (const key of Object.keys(headers)) {
    if (key.charCodeAt(0) === 58 /* ':' */ || NOT_METADATA.has(key)) continue;
    const value = headers[key];
    if (key.endsWith('-bin')) {
      metadata[key] = value.split(',').map((item) => Buffer.from(item.trim(), 'base64'));
    } else metadata[key] = [value];
  }
  return metadata;
}

/** Trailing metadata as header fields (binary values base64, as gRPC sends them). */
function metadataFields(metadata: MetadataObject | undefined): Array<readonly [string, string]> {
  const fields: Array<readonly [string, string]> = [];
  if (metadata === undefined) return fields;
  for (const [key, values] of Object.entries(metadata)) {
    for (const value of values) fields.push([key.toLowerCase(), typeof value === 'string' ? value : Buffer.from(value).toString('base64')]);
  }
  return fields;
}

/** A header block of literal fields (HPACK without indexing: nothing to keep in step with the client). */
function headerBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  return encodeLiteralsWithoutIndexing(fields.map(([name, value]): HeaderField => ({ name: Buffer.from(name, 'latin1'), value: Buffer.from(value, 'latin1') })));
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

/** A request's header fields by name; a repeated name's values joined with ", ", as Node's HTTP/2 gives them. */
function headersOf(fields: readonly HeaderField[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { name, value } of fields) {
    const key = name.toString('latin1');
    const text = value.toString('latin1');
    headers[key] = headers[key] === undefined ? text : `${headers[key]}, ${text}`;
  }
  return headers;
}
