// A compact binary encoding of the Raft types for the WAL and the peer
// transport. Integers are unsigned LEB128 varints (up to 2^53 - 1; node ids
// up to 2^64 - 1, in ten bytes, the same encoding for small ones), byte
// strings are length-prefixed, and every record starts with a format
// version byte. Decoding checks every bound and rejects trailing bytes, so
// garbage input throws CodecError and never hangs or allocates unboundedly.

import {
  ConfChangeType,
  EntryType,
  MessageType,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type Snapshot,
  type SnapshotMetadata,
  type NodeId,
  nodeIdOf,
} from './types.js';

const FORMAT_VERSION = 1;
/** A varint of a safe integer never needs more than 8 bytes (56 bits). */
const MAX_VARINT_BYTES = 8;
/** Node ids use all 64 bits: ten bytes of varint. */
const MAX_ID_VARINT_BYTES = 10;

export class CodecError extends Error {
  constructor(message: string) {
    super(`raft codec: ${message}`);
  }
}

class Writer {
  private buffer = new Uint8Array(64);
  private length = 0;

  private reserve(extraBytes: number): void {
    if (this.length + extraBytes <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extraBytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  uint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new CodecError(`cannot encode ${value} as an unsigned integer`);
    this.reserve(MAX_VARINT_BYTES);
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.length++] = value;
  }

  /** A node id: the same varint, up to 64 bits (ten bytes). */
  id(value: NodeId): void {
    if (typeof value === 'number') {
      this.uint(value);
      return;
    }
    if (value < 0n || value >= 1n << 64n) throw new CodecError(`cannot encode ${value} as a node id`);
    this.reserve(MAX_ID_VARINT_BYTES);
    let rest = value;
    while (rest >= 0x80n) {
      this.buffer[this.length++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buffer[this.length++] = Number(rest);
  }

  bytes(value: Uint8Array): void {
    this.uint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

class Reader {
  private position = 0;

  constructor(private readonly buffer: Uint8Array) {}

  remaining(): number {
    return this.buffer.length - this.position;
  }

  byte(): number {
    if (this.position >= this.buffer.length) throw new CodecError('unexpected end of input');
    return this.buffer[this.position++]!;
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    for (let count = 0; count < MAX_VARINT_BYTES; count++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) throw new CodecError('integer out of range');
        return value;
      }
      scale *= 0x80;
    }
    throw new CodecError('varint too long');
  }

  id(): NodeId {
    let value = 0n;
    for (let count = 0; count < MAX_ID_VARINT_BYTES; count++) {
      const byte = this.byte();
      value |= BigInt(byte & 0x7f) << BigInt(7 * count);
      if ((byte & 0x80) === 0) {
        if (value >= 1n << 64n) throw new CodecError('node id out of range');
        return nodeIdOf(value);
      }
    }
    throw new CodecError('varint too long');
  }

  /** A count of items that each take at least one byte: bounded by the input left. */
  count(): number {
    const count = this.uint();
    if (count > this.remaining()) throw new CodecError(`count ${count} exceeds the remaining input`);
    return count;
  }

  bytes(): Uint8Array {
    const length = this.uint();
    if (length > this.remaining()) throw new CodecError(`length ${length} exceeds the remaining input`);
    const value = this.buffer.slice(this.position, this.position + length);
    this.position += length;
    return value;
  }

  bool(): boolean {
    const byte = this.byte();
    if (byte > 1) throw new CodecError(`invalid boolean ${byte}`);
    return byte === 1;
  }

  version(): void {
    const version = this.byte();
    if (version !== FORMAT_VERSION) throw new CodecError(`unknown format version ${version}`);
  }

  end(): void {
    if (this.remaining() !== 0) throw new CodecError(`${this.remaining()} trailing bytes`);
  }
}

function enumValue<T extends number>(value: number, valid: Record<string, string | number>, name: string): T {
  if (typeof valid[value] !== 'string') throw new CodecError(`invalid ${name} ${value}`);
  return value as T;
}

function decodeWhole<T>(bytes: Uint8Array, read: (reader: Reader) => T): T {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('input is not a Uint8Array');
  const reader = new Reader(bytes);
  reader.version();
  const value = read(reader);
  reader.end();
  return value;
}

function encodeWhole(write: (writer: Writer) => void): Uint8Array {
  const writer = new Writer();
  writer.byte(FORMAT_VERSION);
  write(writer);
  return writer.finish();
}

// --- field groups shared by several records ---

function writeEntry(writer: Writer, entry: Entry): void {
  writer.uint(entry.term);
  writer.uint(entry.index);
  writer.uint(entry.type);
  writer.bytes(entry.data);
}

function readEntry(reader: Reader): Entry {
  const term = reader.uint();
  const index = reader.uint();
  const type = enumValue<EntryType>(reader.uint(), EntryType, 'entry type');
  const data = reader.bytes();
  return { term, index, type, data };
}

function writeIds(writer: Writer, ids: readonly NodeId[]): void {
  writer.uint(ids.length);
  for (const id of ids) writer.id(id);
}

function readIds(reader: Reader): NodeId[] {
  const count = reader.count();
  const ids: NodeId[] = [];
  for (let i = 0; i < count; i++) ids.push(reader.id());
  return ids;
}

function writeConfState(writer: Writer, confState: ConfState): void {
  writeIds(writer, confState.voters);
  writeIds(writer, confState.learners);
}

function readConfState(reader: Reader): ConfState {
  return { voters: readIds(reader), learners: readIds(reader) };
}

function writeSnapshotMetadata(writer: Writer, metadata: SnapshotMetadata): void {
  writer.uint(metadata.index);
  writer.uint(metadata.term);
  writeConfState(writer, metadata.confState);
}

function readSnapshotMetadata(reader: Reader): SnapshotMetadata {
  const index = reader.uint();
  const term = reader.uint();
  return { index, term, confState: readConfState(reader) };
}

function writeSnapshot(writer: Writer, snapshot: Snapshot): void {
  writeSnapshotMetadata(writer, snapshot.metadata);
  writer.bytes(snapshot.data);
}

function readSnapshot(reader: Reader): Snapshot {
  const metadata = readSnapshotMetadata(reader);
  return { metadata, data: reader.bytes() };
}

// --- public encoders and decoders ---

export function encodeEntry(entry: Entry): Uint8Array {
  return encodeWhole((writer) => writeEntry(writer, entry));
}

export function decodeEntry(bytes: Uint8Array): Entry {
  return decodeWhole(bytes, readEntry);
}

export function encodeHardState(hardState: HardState): Uint8Array {
  return encodeWhole((writer) => {
    writer.uint(hardState.term);
    writer.id(hardState.vote);
    writer.uint(hardState.commit);
  });
}

export function decodeHardState(bytes: Uint8Array): HardState {
  return decodeWhole(bytes, (reader) => ({ term: reader.uint(), vote: reader.id(), commit: reader.uint() }));
}

export function encodeSnapshotMetadata(metadata: SnapshotMetadata): Uint8Array {
  return encodeWhole((writer) => writeSnapshotMetadata(writer, metadata));
}

export function decodeSnapshotMetadata(bytes: Uint8Array): SnapshotMetadata {
  return decodeWhole(bytes, readSnapshotMetadata);
}

export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  return encodeWhole((writer) => writeSnapshot(writer, snapshot));
}

export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  return decodeWhole(bytes, readSnapshot);
}

export function encodeConfChange(change: ConfChange): Uint8Array {
  return encodeWhole((writer) => {
    writer.uint(change.type);
    writer.id(change.nodeId);
    writer.bytes(change.context);
  });
}

export function decodeConfChange(bytes: Uint8Array): ConfChange {
  return decodeWhole(bytes, (reader) => {
    const type = enumValue<ConfChangeType>(reader.uint(), ConfChangeType, 'conf change type');
    const nodeId = reader.id();
    return { type, nodeId, context: reader.bytes() };
  });
}

export function encodeMessage(message: Message): Uint8Array {
  return encodeWhole((writer) => {
    writer.uint(message.type);
    writer.id(message.to);
    writer.id(message.from);
    writer.uint(message.term);
    writer.uint(message.logTerm);
    writer.uint(message.index);
    writer.uint(message.commit);
    writer.byte(message.reject ? 1 : 0);
    writer.uint(message.rejectHint);
    writer.bytes(message.context);
    writer.uint(message.entries.length);
    for (const entry of message.entries) writeEntry(writer, entry);
    if (message.snapshot) {
      writer.byte(1);
      writeSnapshot(writer, message.snapshot);
    } else {
      writer.byte(0);
    }
  });
}

export function decodeMessage(bytes: Uint8Array): Message {
  return decodeWhole(bytes, (reader) => {
    const type = enumValue<MessageType>(reader.uint(), MessageType, 'message type');
    const to = reader.id();
    const from = reader.id();
    const term = reader.uint();
    const logTerm = reader.uint();
    const index = reader.uint();
    const commit = reader.uint();
    const reject = reader.bool();
    const rejectHint = reader.uint();
    const context = reader.bytes();
    const entryCount = reader.count();
    const entries: Entry[] = [];
    for (let i = 0; i < entryCount; i++) entries.push(readEntry(reader));
    const message: Message = { type, to, from, term, logTerm, index, entries, commit, reject, rejectHint, context };
    if (reader.bool()) message.snapshot = readSnapshot(reader);
    return message;
  });
}
