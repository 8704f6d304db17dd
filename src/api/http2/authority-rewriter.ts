// The HTTP/2 :authority rewriter: a shim for old gRPC clients, to be deleted
// once they no longer need support.
//
// Which clients. grpc-go takes a connection's :authority from the endpoint
// part of its dial target (unless TLS credentials name the server or
// WithAuthority sets it), and before grpc-go 1.57.0 it sent that verbatim;
// 1.57.0 percent-encodes it (grpc/grpc-go#6428: "http:%2F%2Fhost:port",
// which Node accepts). Over plain http://, the clients that send a '/' are:
//   - etcd clientv3 and etcdctl 3.4.0 to 3.4.27 (grpc-go 1.23 to 1.26):
//     Client.Dial(ep) dials "passthrough:///" + ep, so the per-endpoint
//     Maintenance calls Status, HashKV and Defragment (`etcdctl endpoint
//     status`, `endpoint hashkv`, `defrag`, `move-leader`, also with
//     --cluster) send "http://127.0.0.1:2379"; other requests send
//     host:port. Debian's etcdctl 3.4.23, which the tests run, is one.
//   - etcd clientv3 3.5.0 (grpc-go 1.38): every request sends
//     "#initially=[<the endpoints, ';'-joined>]" (etcd-io/etcd#13192). This
//     rewrites it only when the first endpoint has a scheme, and then to
//     "127.0.0.1:2379]" (accepted; nothing here reads it); with no scheme
//     there is no "://", no rewrite, and Node resets every stream.
//   - any other program on grpc-go before 1.57.0 that dials a URL:
//     grpc.Dial("http://host:port") finds no "http" resolver and falls back
//     to passthrough with the whole URL as the endpoint.
// The fix for etcd-io/etcd#13192 (etcd-io/etcd#13359: target
// "etcd-endpoints://<id>/<host:port of the first endpoint>") is in clientv3
// 3.5.1 and, backported, 3.4.28 (etcd-io/etcd#16988). Over TLS, 3.4's
// direct dial names the server, so the authority is the bare host name.
// Go's HTTP/2 server, and so etcd, accepts such an authority; Node's
// (nghttp2) resets the stream with PROTOCOL_ERROR.
//
// Retiring it. Once etcd-ts stops supporting etcdctl/clientv3 3.4.0-3.4.27
// and 3.5.0 (and grpc-go before 1.57.0 dialing a URL), and the tests run an
// etcdctl of 3.4.28 or 3.5.1 and later (today test/integration and
// test/chaos run Debian's 3.4.23, e.g. `endpoint status --cluster`):
// delete this folder, let client-listener.ts give HTTP/2 sockets straight
// to the gRPC server, and delete test/api/http2/ and
// test/integration/authority-with-scheme.test.ts.
//
// How. The client port puts this rewriter between each HTTP/2 connection
// and gRPC (see handoff.ts): it follows the client→server frames and, for a
// connection whose first header block carries an :authority with a scheme,
// rewrites it to host:port.
//
// The first header block decides. If its :authority needs no rewrite the
// connection becomes a pure passthrough: the original bytes are forwarded
// untouched from then on and no later block is decoded. Otherwise every
// header block of the connection is decoded (HPACK state: the client's) and
// re-encoded as literals without indexing (the server's decoder table stays
// empty), in HEADERS/CONTINUATION frames within the default 16384-byte
// frame size. Server→client bytes are never touched.

import type * as net from 'node:net';
import { Duplex } from 'node:stream';
import { encodeLiteralsWithoutIndexing, HpackDecoder, type HeaderField } from './hpack.js';

export const HTTP2_CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const FRAME_HEADER_LENGTH = 9;
const TYPE_HEADERS = 0x1;
const TYPE_SETTINGS = 0x4;
const TYPE_PUSH_PROMISE = 0x5;
const TYPE_CONTINUATION = 0x9;
const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
const PRIORITY_LENGTH = 5;
/** SETTINGS_MAX_FRAME_SIZE's initial value; Node's server does not raise it. */
export const MAX_FRAME_PAYLOAD = 16384;
/** A header block larger than this (while deciding or rewriting) ends the connection. */
const MAX_HEADER_BLOCK = 1 << 20;
const AUTHORITY = Buffer.from(':authority', 'latin1');
const SCHEME_SEPARATOR = Buffer.from('://', 'latin1');
const EMPTY = Buffer.alloc(0);

export class Http2FrameError extends Error {
  constructor(message: string) {
    super(`http2 authority rewrite: ${message}`);
    this.name = 'Http2FrameError';
  }
}

/**
 * "http://127.0.0.1:2379/x" → "127.0.0.1:2379"; undefined if the value has
 * no scheme (nothing to rewrite).
 */
export function authorityWithoutScheme(value: Buffer): Buffer | undefined {
  const separator = value.indexOf(SCHEME_SEPARATOR);
  if (separator < 0) return undefined;
  const start = separator + SCHEME_SEPARATOR.length;
  let end = start;
  while (end < value.length) {
    const octet = value[end]!;
    if (octet === 0x2f /* / */ || octet === 0x3f /* ? */ || octet === 0x23 /* # */) break;
    end++;
  }
  return end > start ? value.subarray(start, end) : Buffer.from('localhost', 'latin1');
}

/**
 * The client→server half of a connection as a transform: feed it the bytes
 * as they arrive, forward what it returns. Throws Http2FrameError (or
 * HpackError) on input it cannot follow; the connection must then be closed.
 */
export interface AuthorityRewriterOptions {
  /**
   * Drop the client's first SETTINGS ACK: it acknowledges a SETTINGS frame
   * sent before the HTTP/2 server took over (see handoff.ts), which
   * that server never sent and would treat as a protocol error.
   */
  dropFirstSettingsAck?: boolean;
}

export class AuthorityRewriter {
  private mode: 'deciding' | 'passthrough' | 'rewriting' = 'deciding';
  private settingsAckToDrop: boolean;
  private prefaceSeen = false;
  /** Input not yet consumed: part of a frame header or of a header frame. */
  private pending: Buffer = EMPTY;
  /** Payload bytes of a forwarded (non-header) frame still to come. */
  private forwardRemaining = 0;
  /** The open header block: its stream (0: none), fragments, flags. */
  private blockStream = 0;
  private blockFragments: Buffer[] = [];
  private blockLength = 0;
  private blockEndStream = false;
  private blockPriority: Buffer | undefined;
  /** While deciding: the original frames of the open block. */
  private heldFrames: Buffer[] = [];
  private readonly decoder = new HpackDecoder();
  /** Header blocks re-encoded so far (for tests and logs). */
  rewrittenBlocks = 0;

  constructor(options: AuthorityRewriterOptions = {}) {
    this.settingsAckToDrop = options.dropFirstSettingsAck ?? false;
  }

  /** True while the first SETTINGS ACK is still to be dropped. */
  get awaitingSettingsAck(): boolean {
    return this.settingsAckToDrop;
  }

  /** True until the first header block has been seen. */
  get deciding(): boolean {
    return this.mode === 'deciding';
  }

  /** True once the first header block needed no rewrite: input is forwarded as is. */
  get passthrough(): boolean {
    return this.mode === 'passthrough';
  }

  get rewriting(): boolean {
    return this.mode === 'rewriting';
  }

  /** The bytes to forward for `chunk`, in order (possibly none). */
  transform(chunk: Buffer): Buffer[] {
    if (this.mode === 'passthrough' && !this.settingsAckToDrop) return [chunk];
    const out: Buffer[] = [];
    let input = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let position = 0;
    this.pending = EMPTY;

    if (!this.prefaceSeen) {
      const available = Math.min(input.length, HTTP2_CLIENT_PREFACE.length);
      if (!input.subarray(0, available).equals(HTTP2_CLIENT_PREFACE.subarray(0, available))) {
        throw new Http2FrameError('bad connection preface');
      }
      if (input.length < HTTP2_CLIENT_PREFACE.length) {
        this.pending = input;
        return out;
      }
      out.push(input.subarray(0, HTTP2_CLIENT_PREFACE.length));
      position = HTTP2_CLIENT_PREFACE.length;
      this.prefaceSeen = true;
    }

    while (position < input.length) {
      if (this.passthrough && !this.settingsAckToDrop) {
        out.push(input.subarray(position));
        return out;
      }
      if (this.forwardRemaining > 0) {
        const length = Math.min(this.forwardRemaining, input.length - position);
        out.push(input.subarray(position, position + length));
        position += length;
        this.forwardRemaining -= length;
        continue;
      }
      if (input.length - position < FRAME_HEADER_LENGTH) break;
      const length = input.readUIntBE(position, 3);
      const type = input[position + 3]!;
      const flags = input[position + 4]!;
      const streamId = input.readUInt32BE(position + 5) & 0x7fffffff;

      if (type === TYPE_SETTINGS && flags & FLAG_ACK && length === 0 && this.settingsAckToDrop) {
        this.settingsAckToDrop = false;
        position += FRAME_HEADER_LENGTH;
        continue;
      }
      // Once passing through, frames are only delimited (to find that ACK), not checked.
      if (!this.passthrough) {
        if (this.blockStream !== 0) {
          if (type !== TYPE_CONTINUATION || streamId !== this.blockStream) {
            throw new Http2FrameError(`frame of type ${type} inside the header block of stream ${this.blockStream}`);
          }
        } else if (type === TYPE_CONTINUATION) {
          throw new Http2FrameError('CONTINUATION outside a header block');
        }
        if (type === TYPE_PUSH_PROMISE) throw new Http2FrameError('PUSH_PROMISE from a client');
      }
      if (this.passthrough || (type !== TYPE_HEADERS && type !== TYPE_CONTINUATION)) {
        out.push(input.subarray(position, position + FRAME_HEADER_LENGTH));
        position += FRAME_HEADER_LENGTH;
        this.forwardRemaining = length;
        continue;
      }
      if (this.blockLength + length > MAX_HEADER_BLOCK) throw new Http2FrameError('header block too large');
      if (input.length - position < FRAME_HEADER_LENGTH + length) break;
      const frame = input.subarray(position, position + FRAME_HEADER_LENGTH + length);
      position += FRAME_HEADER_LENGTH + length;
      this.headerFrame(type, flags, streamId, frame, out);
    }

    if (position < input.length) {
      // Copy: a small remainder must not keep a large chunk alive.
      this.pending = Buffer.from(input.subarray(position));
    }
    input = EMPTY;
    return out;
  }

  private headerFrame(type: number, flags: number, streamId: number, frame: Buffer, out: Buffer[]): void {
    if (streamId === 0) throw new Http2FrameError('header frame on stream 0');
    let start = FRAME_HEADER_LENGTH;
    let end = frame.length;
    if (type === TYPE_HEADERS) {
      if (flags & FLAG_PADDED) {
        if (end - start < 1) throw new Http2FrameError('PADDED HEADERS without a pad length');
        const padLength = frame[start]!;
        start += 1;
        end -= padLength;
      }
      if (flags & FLAG_PRIORITY) {
        this.blockPriority = Buffer.from(frame.subarray(start, start + PRIORITY_LENGTH));
        start += PRIORITY_LENGTH;
      } else {
        this.blockPriority = undefined;
      }
      if (start > end) throw new Http2FrameError('HEADERS padding or priority longer than the frame');
      this.blockStream = streamId;
      this.blockEndStream = (flags & FLAG_END_STREAM) !== 0;
    }
    if (this.mode === 'deciding') this.heldFrames.push(frame);
    this.blockFragments.push(frame.subarray(start, end));
    this.blockLength += end - start;
    if (flags & FLAG_END_HEADERS) this.finishBlock(out);
  }

  private finishBlock(out: Buffer[]): void {
    const block =
      this.blockFragments.length === 1 ? this.blockFragments[0]! : Buffer.concat(this.blockFragments, this.blockLength);
    const fields = this.decoder.decode(block);
    let rewrite = false;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      if (!field.name.equals(AUTHORITY)) continue;
      const fixed = authorityWithoutScheme(field.value);
      if (fixed !== undefined) {
        fields[i] = { name: field.name, value: fixed };
        rewrite = true;
      }
    }
    if (this.mode === 'deciding') {
      if (rewrite) {
        this.mode = 'rewriting';
      } else {
        out.push(...this.heldFrames);
        this.mode = 'passthrough';
      }
      this.heldFrames = [];
    }
    if (this.mode === 'rewriting') {
      out.push(...encodeHeaderFrames(this.blockStream, fields, this.blockEndStream, this.blockPriority));
      this.rewrittenBlocks++;
    }
    this.blockStream = 0;
    this.blockFragments = [];
    this.blockLength = 0;
    this.blockPriority = undefined;
  }
}

/** A header block as HEADERS + CONTINUATION frames, literals without indexing. */
function encodeHeaderFrames(
  streamId: number,
  fields: readonly HeaderField[],
  endStream: boolean,
  priority?: Buffer,
): Buffer[] {
  const block = encodeLiteralsWithoutIndexing(fields);
  const frames: Buffer[] = [];
  let offset = 0;
  let first = true;
  do {
    const prefix = first && priority ? priority : EMPTY;
    const room = MAX_FRAME_PAYLOAD - prefix.length;
    const fragment = block.subarray(offset, offset + room);
    offset += fragment.length;
    const last = offset >= block.length;
    let flags = last ? FLAG_END_HEADERS : 0;
    if (first) flags |= (endStream ? FLAG_END_STREAM : 0) | (prefix.length > 0 ? FLAG_PRIORITY : 0);
    const header = Buffer.allocUnsafe(FRAME_HEADER_LENGTH);
    header.writeUIntBE(prefix.length + fragment.length, 0, 3);
    header[3] = first ? TYPE_HEADERS : TYPE_CONTINUATION;
    header[4] = flags;
    header.writeUInt32BE(streamId, 5);
    frames.push(Buffer.concat([header, prefix, fragment]));
    first = false;
  } while (offset < block.length);
  return frames;
}

/**
 * A duplex over an HTTP/2 client `socket` (which may hold unread bytes) for
 * the gRPC server: reads are the socket's bytes through an AuthorityRewriter,
 * writes go to the socket unchanged. Backpressure holds both ways; input the
 * rewriter cannot follow destroys the socket.
 */
export function rewritingAuthority(
  socket: net.Socket,
  onError?: (error: Error) => void,
  /** A rewriter that has already read the start of the connection, and what it produced. */
  started?: { rewriter: AuthorityRewriter; output: Buffer[] },
): Duplex {
  const rewriter = started?.rewriter ?? new AuthorityRewriter();
  // Node's HTTP/2 turns Nagle off on the sockets it is given; on a duplex it
  // cannot, and small frames (WINDOW_UPDATE, responses) would wait for ACKs.
  socket.setNoDelay(true);
  const afterDrain = (callback: (error?: Error | null) => void) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      callback(socket.destroyed ? new Error('socket closed') : null);
    };
    socket.on('drain', done);
    socket.on('close', done);
  };
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (socket.write(chunk)) callback();
      else afterDrain(callback);
    },
    writev(chunks, callback) {
      let ok = true;
      socket.cork();
      for (const { chunk } of chunks) ok = socket.write(chunk as Buffer);
      socket.uncork();
      if (ok) callback();
      else afterDrain(callback);
    },
    final(callback) {
      socket.end(() => callback());
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  // gRPC names a call's peer by its connection's address: the same as the socket's,
  // so calls on this stream are told apart (and matched to a client certificate).
  Object.defineProperties(duplex, {
    remoteAddress: { get: () => socket.remoteAddress },
    remotePort: { get: () => socket.remotePort },
  });
  for (const piece of started?.output ?? []) duplex.push(piece);
  socket.on('data', (chunk: Buffer) => {
    if (rewriter.passthrough && !rewriter.awaitingSettingsAck) {
      if (!duplex.push(chunk)) socket.pause();
      return;
    }
    let output: Buffer[];
    try {
      output = rewriter.transform(chunk);
    } catch (error) {
      onError?.(error as Error);
      socket.destroy();
      return;
    }
    let more = true;
    for (const piece of output) more = duplex.push(piece) && more;
    if (!more) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  return duplex;
}
