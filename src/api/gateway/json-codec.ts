// The JSON of etcd's grpc-gateway (grpc-gateway v1's JSONPb marshaler with
// OrigName, over golang/protobuf 1.3's jsonpb) for protobufjs message types:
//
// - out: the .proto's field names, in declaration order; fields at their
//   default (0, false, "", empty bytes or list, unset message) left out;
//   64-bit integers as decimal strings, 32-bit ones as numbers; bytes as
//   padded standard base64; enums by name.
// - in: both the .proto name and its lowerCamel form; unknown fields
//   ignored; numbers or numbers in strings for integers; enums by name or
//   number; null as absent; and for a wrong value, Go's error message
//   ("json: cannot unmarshal string into Go value of type bool",
//   "illegal base64 data at input byte 0", ...).

import protobuf from 'protobufjs';
import { goQuote, unmarshalGoJson, type GoJsonValue } from './go-json.js';

/** A request the gateway cannot decode: Go's message, as the gateway answers it. */
export class JsonDecodeError extends Error {}

const INT_RANGES: Record<string, { goType: string; min: bigint; max: bigint }> = {
  int64: { goType: 'int64', min: -(2n ** 63n), max: 2n ** 63n - 1n },
  sint64: { goType: 'int64', min: -(2n ** 63n), max: 2n ** 63n - 1n },
  sfixed64: { goType: 'int64', min: -(2n ** 63n), max: 2n ** 63n - 1n },
  uint64: { goType: 'uint64', min: 0n, max: 2n ** 64n - 1n },
  fixed64: { goType: 'uint64', min: 0n, max: 2n ** 64n - 1n },
  int32: { goType: 'int32', min: -(2n ** 31n), max: 2n ** 31n - 1n },
  sint32: { goType: 'int32', min: -(2n ** 31n), max: 2n ** 31n - 1n },
  sfixed32: { goType: 'int32', min: -(2n ** 31n), max: 2n ** 31n - 1n },
  uint32: { goType: 'uint32', min: 0n, max: 2n ** 32n - 1n },
  fixed32: { goType: 'uint32', min: 0n, max: 2n ** 32n - 1n },
};
const LONG_TYPES = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

/** protoc's json_name: "range_end" -> "rangeEnd". */
function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()).replace(/_/g, '');
}

/** Go's name for a generated enum type: .etcdserverpb.Compare.CompareResult -> etcdserverpb.Compare_CompareResult. */
function goEnumName(enumType: protobuf.Enum): string {
  const parts: string[] = [];
  let node: protobuf.ReflectionObject | null = enumType;
  while (node && !(node instanceof protobuf.Namespace && !(node instanceof protobuf.Type))) {
    parts.unshift(node.name);
    node = node.parent;
  }
  const pkg = node && node.fullName ? node.fullName.replace(/^\./, '') : '';
  return `${pkg.split('.').pop() ?? ''}.${parts.join('_')}`;
}

const typeError = (value: GoJsonValue, goType: string) => new JsonDecodeError(`json: cannot unmarshal ${value.kind} into Go value of type ${goType}`);

/** A gateway request body's value as an object for `type.fromObject`. */
export function jsonToObject(type: protobuf.Type, value: GoJsonValue): Record<string, unknown> {
  if (value.kind === 'null') return {};
  if (value.kind !== 'object') throw typeError(value, 'map[string]json.RawMessage');
  const fields = new Map(value.fields);
  const result: Record<string, unknown> = {};
  const consume = (field: protobuf.Field): GoJsonValue | undefined => {
    const camel = lowerCamel(field.name);
    const orig = fields.get(field.name);
    const camelValue = fields.get(camel);
    fields.delete(field.name);
    fields.delete(camel);
    return camelValue ?? orig;
  };
  // jsonpb reads the plain fields first, then the oneofs' members.
  const plain = type.fieldsArray.filter((field) => !field.partOf);
  const oneofMembers = type.fieldsArray.filter((field) => field.partOf);
  for (const field of [...plain, ...oneofMembers]) {
    const raw = consume(field);
    if (raw === undefined || raw.kind === 'null') continue;
    result[field.name] = field.repeated ? decodeRepeated(field, raw) : decodeSingle(field, raw);
  }
  return result;
}

function decodeRepeated(field: protobuf.Field, value: GoJsonValue): unknown[] {
  if (value.kind !== 'array') throw typeError(value, '[]json.RawMessage');
  return value.items.map((item) => decodeSingle(field, item));
}

function decodeSingle(field: protobuf.Field, value: GoJsonValue): unknown {
  field.resolve();
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return value.kind === 'null' ? {} : jsonToObject(resolved, value);
  // A null where a scalar goes leaves its zero value (a list's null item included).
  if (value.kind === 'null') return resolved instanceof protobuf.Enum ? 0 : field.type === 'bool' ? false : field.type === 'string' ? '' : field.type === 'bytes' ? Buffer.alloc(0) : LONG_TYPES.has(field.type) ? '0' : 0;
  if (resolved instanceof protobuf.Enum) {
    const goType = goEnumName(resolved);
    if (value.kind === 'string') {
      const number = resolved.values[value.value];
      if (number === undefined) throw new JsonDecodeError(`unknown value ${goQuote(value.value)} for enum ${goType}`);
      return number;
    }
    return Number(decodeInteger(value, { goType, min: -(2n ** 31n), max: 2n ** 31n - 1n }));
  }
  const range = INT_RANGES[field.type];
  if (range) {
    const integer = decodeInteger(value, range);
    return LONG_TYPES.has(field.type) ? integer.toString() : Number(integer);
  }
  switch (field.type) {
    case 'bool':
      if (value.kind !== 'bool') throw typeError(value, 'bool');
      return value.value;
    case 'string':
      if (value.kind !== 'string') throw typeError(value, 'string');
      return value.value;
    case 'bytes':
      if (value.kind !== 'string') throw typeError(value, '[]uint8');
      return decodeGoBase64(value.value);
    case 'double':
    case 'float': {
      const text = value.kind === 'string' ? value.value : value.kind === 'number' ? value.raw : undefined;
      if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return Number(text);
      if (value.kind !== 'number') throw typeError(value, field.type === 'double' ? 'float64' : 'float32');
      return Number(value.raw);
    }
    default:
      throw new JsonDecodeError(`unsupported field type ${field.type}`);
  }
}

/** An integer as jsonpb reads one: a number, or a number inside a string (its raw text). */
function decodeInteger(value: GoJsonValue, range: { goType: string; min: bigint; max: bigint }): bigint {
  let number = value;
  if (value.kind === 'string') {
    try {
      number = unmarshalGoJson(value.raw.slice(1, -1));
    } catch (error) {
      throw new JsonDecodeError((error as Error).message);
    }
  }
  if (number.kind !== 'number') throw typeError(number, range.goType);
  const raw = number.raw;
  if (!/^-?\d+$/.test(raw)) throw new JsonDecodeError(`json: cannot unmarshal number ${raw} into Go value of type ${range.goType}`);
  const integer = BigInt(raw);
  if (integer < range.min || integer > range.max) throw new JsonDecodeError(`json: cannot unmarshal number ${raw} into Go value of type ${range.goType}`);
  return integer;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Go's base64.StdEncoding.Decode: padded, newlines skipped, the same error offsets. */
export function decodeGoBase64(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  const corrupt = (offset: number) => new JsonDecodeError(`illegal base64 data at input byte ${offset}`);
  const isNewline = (c: number) => c === 0x0a || c === 0x0d;
  let si = 0;
  const out: number[] = [];
  while (si < bytes.length) {
    const quantum: number[] = [];
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === bytes.length) {
        if (j === 0) return Buffer.from(out);
        throw corrupt(si - j);
      }
      const c = bytes[si];
      si++;
      const index = BASE64_ALPHABET.indexOf(String.fromCharCode(c));
      if (index >= 0 && c < 0x80) {
        quantum.push(index);
        continue;
      }
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== 0x3d) throw corrupt(si - 1);
      // Padding: "=" may end a quantum of two or three characters.
      if (j === 0 || j === 1) throw corrupt(si - 1);
      if (j === 2) {
        while (si < bytes.length && isNewline(bytes[si])) si++;
        if (si === bytes.length) throw corrupt(bytes.length);
        if (bytes[si] !== 0x3d) throw corrupt(si - 1);
        si++;
      }
      while (si < bytes.length && isNewline(bytes[si])) si++;
      if (si < bytes.length) throw corrupt(si);
      dlen = j;
      break;
    }
    const [a = 0, b = 0, c = 0, d = 0] = quantum;
    const value = (a << 18) | (b << 12) | (c << 6) | d;
    const decoded = [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
    out.push(...decoded.slice(0, dlen - 1));
    if (dlen < 4) break;
  }
  return Buffer.from(out);
}

/** A decoded message as the gateway writes it. */
export function messageToJson(type: protobuf.Type, message: protobuf.Message | Record<string, unknown>): string {
  const object = type.toObject(message as protobuf.Message, { longs: String, enums: String, bytes: String, defaults: false, oneofs: false });
  return objectToJson(type, object);
}

function objectToJson(type: protobuf.Type, object: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const field of type.fieldsArray) {
    const value = object[field.name];
    if (value === undefined || value === null) continue;
    field.resolve();
    if (field.repeated) {
      const items = value as unknown[];
      if (items.length === 0) continue;
      parts.push(`${goQuote(field.name)}:[${items.map((item) => scalarOrMessage(field, item)).join(',')}]`);
      continue;
    }
    if (!(field.resolvedType instanceof protobuf.Type) && isDefault(field, value)) continue;
    parts.push(`${goQuote(field.name)}:${scalarOrMessage(field, value)}`);
  }
  return `{${parts.join(',')}}`;
}

function isDefault(field: protobuf.Field, value: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Enum) return value === 0 || value === field.resolvedType.valuesById[0];
  return value === 0 || value === '0' || value === false || value === '';
}

function scalarOrMessage(field: protobuf.Field, value: unknown): string {
  if (field.resolvedType instanceof protobuf.Type) return objectToJson(field.resolvedType, value as Record<string, unknown>);
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : goQuote(String(value));
  return String(value);
}
