// A schema-less protobuf reader: the wire format's fields (number, wire type,
// value), with length-delimited fields shown as text, as a nested message
// when they parse as one, or as bytes.

import { isPrintable, text } from './bytes.js';

export interface ProtoField {
  number: number;
  wireType: number;
  /** varint / fixed: the number as text; bytes: see `text`, `message` or `bytes`. */
  scalar?: string;
  text?: string;
  message?: ProtoField[];
  bytes?: Uint8Array;
}

class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.offset >= this.bytes.length || shift > 63n) throw new Error('bad varint');
      const byte = this.bytes[this.offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  }

  take(length: number): Uint8Array {
    if (length < 0 || this.offset + length > this.bytes.length) throw new Error('truncated field');
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

/** Decodes a whole message, or throws when the bytes are not one. */
export function decodeMessage(bytes: Uint8Array, depth = 0): ProtoField[] {
  const reader = new Reader(bytes);
  const fields: ProtoField[] = [];
  while (!reader.done) {
    const tag = reader.varint();
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (number === 0) throw new Error('field number 0');
    switch (wireType) {
      case 0:
        fields.push({ number, wireType, scalar: reader.varint().toString() });
        break;
      case 1: {
        const view = new DataView(reader.take(8).slice().buffer);
        fields.push({ number, wireType, scalar: view.getBigUint64(0, true).toString() });
        break;
      }
      case 5: {
        const view = new DataView(reader.take(4).slice().buffer);
        fields.push({ number, wireType, scalar: String(view.getUint32(0, true)) });
        break;
      }
      case 2: {
        const body = reader.take(Number(reader.varint()));
        fields.push({ number, wireType, ...describeBytes(body, depth) });
        break;
      }
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
  return fields;
}

function describeBytes(body: Uint8Array, depth: number): Pick<ProtoField, 'text' | 'message' | 'bytes'> {
  if (body.length > 0 && isPrintable(body)) return { text: text(body) };
  if (depth < 32 && body.length > 0) {
    try {
      return { message: decodeMessage(body, depth + 1) };
    } catch {
      // not a message
    }
  }
  return { bytes: body };
}

/** The first field with this number. */
export function field(fields: ProtoField[], number: number): ProtoField | undefined {
  return fields.find((candidate) => candidate.number === number);
}
