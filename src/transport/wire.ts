// The bytes on a peer connection. Every connection is opened by the sender
// of messages and starts with a fixed-size hello naming the stream kind, the
// cluster and both ends; the listener answers with a fixed-size verdict
// before anything else flows, so a member of another cluster is refused
// before it can deliver a single message.
//
//   hello  (dialer → listener, HELLO_BYTES):
//     magic "ETRP" | version u8 | kind u8 | clusterId u64 | fromId u64 | toId u64
//   verdict (listener → dialer, VERDICT_BYTES):
//     status u8 | listener's clusterId u64 | listener's raft id u64
//
// After an accepted hello:
//   kind Messages: frames until either end closes, each
//     length u32 | encodeMessage(message)              (length ≤ maxFrameBytes)
//   kind Snapshot: one snapshot message, then a one-byte acknowledgement back
//     length u32 | encodeMessage(message without snapshot data)
//     dataLength u64 | data (written in chunks) | crc32(data) u32
//     ← SNAPSHOT_ACK once the receiver handed the message over
// All integers are big-endian.

import { nodeIdOf, type NodeId } from '../raft/types.js';

export const MAGIC = Uint8Array.of(0x45, 0x54, 0x52, 0x50); // "ETRP": etcd-ts raft peer
export const PROTOCOL_VERSION = 1;
export const HELLO_BYTES = 4 + 1 + 1 + 8 + 8 + 8;
export const VERDICT_BYTES = 1 + 8 + 8;
export const FRAME_HEADER_BYTES = 4;
export const SNAPSHOT_LENGTH_BYTES = 8;
export const SNAPSHOT_CHECKSUM_BYTES = 4;
export const SNAPSHOT_ACK = 0x01;

export enum StreamKind {
  Messages = 1,
  Snapshot = 2,
}

export enum Verdict {
  Accepted = 0,
  ClusterIdMismatch = 1,
  WrongTarget = 2,
  UnsupportedVersion = 3,
  UnknownStreamKind = 4,
  TooManyConnections = 5,
  /** The TLS handshake succeeded but the certificate failed a further check (CRL, allowed CN or host name). */
  CertificateRejected = 6,
}

export function describeVerdict(verdict: number): string {
  switch (verdict) {
    case Verdict.Accepted:
      return 'accepted';
    case Verdict.ClusterIdMismatch:
      return 'cluster ID mismatch';
    case Verdict.WrongTarget:
      return 'to field mismatch';
    case Verdict.UnsupportedVersion:
      return 'incompatible version';
    case Verdict.UnknownStreamKind:
      return 'unknown stream kind';
    case Verdict.TooManyConnections:
      return 'too many connections';
    case Verdict.CertificateRejected:
      // etcd's peers refuse such a certificate in the handshake; the dialer sees this.
      return 'remote error: tls: bad certificate';
    default:
      return `unknown verdict ${verdict}`;
  }
}

export interface Hello {
  version: number;
  kind: number;
  clusterId: bigint;
  fromId: NodeId;
  toId: NodeId;
}

export class WireError extends Error {
  constructor(message: string) {
    super(`peer transport: ${message}`);
  }
}

const UINT64_MAX = (1n << 64n) - 1n;

function writeRaftId(buffer: Buffer, id: NodeId, offset: number): void {
  const bits = BigInt(id);
  if (bits < 0n || bits > UINT64_MAX) throw new WireError(`invalid raft id ${id}`);
  buffer.writeBigUInt64BE(bits, offset);
}

function readRaftId(buffer: Buffer, offset: number): NodeId {
  return nodeIdOf(buffer.readBigUInt64BE(offset));
}

export function checkClusterId(clusterId: bigint): void {
  if (clusterId < 0n || clusterId > UINT64_MAX) throw new WireError(`cluster id ${clusterId} is not an unsigned 64-bit integer`);
}

export function encodeHello(hello: Hello): Buffer {
  const buffer = Buffer.alloc(HELLO_BYTES);
  buffer.set(MAGIC, 0);
  buffer.writeUInt8(hello.version, 4);
  buffer.writeUInt8(hello.kind, 5);
  buffer.writeBigUInt64BE(hello.clusterId, 6);
  writeRaftId(buffer, hello.fromId, 14);
  writeRaftId(buffer, hello.toId, 22);
  return buffer;
}

/** Throws WireError when the bytes are not a hello of this protocol (any version). */
export function decodeHello(buffer: Buffer): Hello {
  if (buffer.length !== HELLO_BYTES) throw new WireError(`hello must be ${HELLO_BYTES} bytes, got ${buffer.length}`);
  for (let i = 0; i < MAGIC.length; i++) if (buffer[i] !== MAGIC[i]) throw new WireError('bad magic: not a raft peer connection');
  return {
    version: buffer.readUInt8(4),
    kind: buffer.readUInt8(5),
    clusterId: buffer.readBigUInt64BE(6),
    fromId: readRaftId(buffer, 14),
    toId: readRaftId(buffer, 22),
  };
}

export interface VerdictReply {
  verdict: number;
  clusterId: bigint;
  raftId: NodeId;
}

export function encodeVerdict(reply: VerdictReply): Buffer {
  const buffer = Buffer.alloc(VERDICT_BYTES);
  buffer.writeUInt8(reply.verdict, 0);
  buffer.writeBigUInt64BE(reply.clusterId, 1);
  writeRaftId(buffer, reply.raftId, 9);
  return buffer;
}

export function decodeVerdict(buffer: Buffer): VerdictReply {
  if (buffer.length !== VERDICT_BYTES) throw new WireError(`verdict must be ${VERDICT_BYTES} bytes, got ${buffer.length}`);
  return { verdict: buffer.readUInt8(0), clusterId: buffer.readBigUInt64BE(1), raftId: readRaftId(buffer, 9) };
}

export function frameHeader(payloadBytes: number): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payloadBytes, 0);
  return header;
}

/** A view of `bytes` as a Buffer without copying. */
export { asBuffer } from '../pkg/bytes.js';
