// authpb.User and authpb.Role as etcd keeps them in the authUsers and
// authRoles buckets, encoded byte for byte as Go's gogoproto marshals them:
// fields in number order, proto3 defaults (0, empty bytes) left out, an
// embedded message written whenever it is set (even when empty: etcd writes
// User.options as `22 00` for a user with a password), repeated strings
// always written, unknown fields kept and written back last.
//
// Hand-written rather than through protobufjs (proto/index.ts): protobufjs
// writes a field whenever the object has it, so `permType: 0` or an empty
// `range_end` would come out as `08 00` / `1a 00`, which Go never writes, and
// the records would differ from etcd's bytes.

import type { Permission } from './types.js';

export interface UserAddOptionsRecord {
  noPassword: boolean;
  unknownFields?: Buffer;
}

/** authpb.User */
export interface UserRecord {
  name: Buffer;
  /** The bcrypt hash itself ("$2a$10$..."), not base64; empty for a user without a password. */
  password: Buffer;
  /** Kept sorted (bytewise) by the store, as etcd does. */
  roles: string[];
  /** undefined when the record has no options field (users written by etcd before 3.4). */
  options: UserAddOptionsRecord | undefined;
  /** Fields this version does not know, written back unchanged. */
  unknownFields?: Buffer;
}

/** authpb.Permission with the fields this version does not know. */
export interface PermissionRecord extends Permission {
  unknownFields?: Buffer;
}

/** authpb.Role */
export interface RoleRecord {
  name: Buffer;
  keyPermission: PermissionRecord[];
  unknownFields?: Buffer;
}

// ---- encoding ----

class ProtoWriter {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  bytes(value: Buffer): this {
    this.chunks.push(value);
    this.length += value.length;
    return this;
  }

  varint(value: number | bigint): this {
    // Negative int32/enum values are sign-extended to 64 bits, as Go does.
    let remaining = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (remaining >= 0x80n) {
      out.push(Number(remaining & 0x7fn) | 0x80);
      remaining >>= 7n;
    }
    out.push(Number(remaining));
    return this.bytes(Buffer.from(out));
  }

  tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }

  lengthDelimited(field: number, value: Buffer): this {
    return this.tag(field, 2).varint(value.length).bytes(value);
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

export function encodePermission(permission: PermissionRecord): Buffer {
  const writer = new ProtoWriter();
  if (permission.permType !== 0) writer.tag(1, 0).varint(permission.permType);
  if (permission.key.length > 0) writer.lengthDelimited(2, permission.key);
  if (permission.range_end.length > 0) writer.lengthDelimited(3, permission.range_end);
  if (permission.unknownFields) writer.bytes(permission.unknownFields);
  return writer.finish();
}

export function encodeUser(user: UserRecord): Buffer {
  const writer = new ProtoWriter();
  if (user.name.length > 0) writer.lengthDelimited(1, user.name);
  if (user.password.length > 0) writer.lengthDelimited(2, user.password);
  for (const role of user.roles) writer.lengthDelimited(3, Buffer.from(role, 'utf8'));
  if (user.options !== undefined) {
    const options = new ProtoWriter();
    if (user.options.noPassword) options.tag(1, 0).varint(1);
    if (user.options.unknownFields) options.bytes(user.options.unknownFields);
    writer.lengthDelimited(4, options.finish());
  }
  if (user.unknownFields) writer.bytes(user.unknownFields);
  return writer.finish();
}

export function encodeRole(role: RoleRecord): Buffer {
  const writer = new ProtoWriter();
  if (role.name.length > 0) writer.lengthDelimited(1, role.name);
  for (const permission of role.keyPermission) writer.lengthDelimited(2, encodePermission(permission));
  if (role.unknownFields) writer.bytes(role.unknownFields);
  return writer.finish();
}

// ---- decoding ----

export class RecordDecodeError extends Error {}

interface Field {
  number: number;
  wireType: number;
  /** Varint value (wire type 0). */
  varint: bigint;
  /** Payload of a length-delimited field (wire type 2). */
  payload: Buffer;
  /** The whole field, tag included (to keep unknown fields). */
  raw: Buffer;
}

function* fields(bytes: Buffer): Generator<Field> {
  let position = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (position >= bytes.length) throw new RecordDecodeError('unexpected end of record');
      const byte = bytes[position++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new RecordDecodeError('varint too long');
  };
  while (position < bytes.length) {
    const start = position;
    const tag = readVarint();
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (number <= 0) throw new RecordDecodeError(`illegal field number ${number}`);
    let varint = 0n;
    let payload: Buffer = EMPTY;
    switch (wireType) {
      case 0:
        varint = readVarint();
        break;
      case 1:
        position += 8;
        break;
      case 2: {
        const length = Number(readVarint());
        if (length < 0 || position + length > bytes.length) throw new RecordDecodeError('length out of range');
        payload = bytes.subarray(position, position + length);
        position += length;
        break;
      }
      case 5:
        position += 4;
        break;
      default:
        throw new RecordDecodeError(`unsupported wire type ${wireType}`);
    }
    if (position > bytes.length) throw new RecordDecodeError('unexpected end of record');
    yield { number, wireType, varint, payload, raw: bytes.subarray(start, position) };
  }
}

const EMPTY: Buffer = Buffer.alloc(0);

function expectWireType(field: Field, wireType: number, message: string): void {
  if (field.wireType !== wireType) throw new RecordDecodeError(`${message}: wrong wire type ${field.wireType} for field ${field.number}`);
}

/** Unknown fields, concatenated in the order they came (Go keeps them so). */
class UnknownFields {
  private readonly parts: Buffer[] = [];
  add(field: Field): void {
    this.parts.push(field.raw);
  }
  addBytes(bytes: Buffer): void {
    this.parts.push(bytes);
  }
  result(): Buffer | undefined {
    return this.parts.length === 0 ? undefined : Buffer.from(Buffer.concat(this.parts));
  }
}

function copy(bytes: Buffer): Buffer {
  return Buffer.from(bytes);
}

export function decodePermission(bytes: Buffer): PermissionRecord {
  const permission: PermissionRecord = { permType: 0, key: EMPTY, range_end: EMPTY };
  const unknown = new UnknownFields();
  for (const field of fields(bytes)) {
    switch (field.number) {
      case 1:
        expectWireType(field, 0, 'authpb.Permission');
        permission.permType = Number(BigInt.asIntN(32, field.varint));
        break;
      case 2:
        expectWireType(field, 2, 'authpb.Permission');
        permission.key = copy(field.payload);
        break;
      case 3:
        expectWireType(field, 2, 'authpb.Permission');
        permission.range_end = copy(field.payload);
        break;
      default:
        unknown.add(field);
    }
  }
  const unknownFields = unknown.result();
  if (unknownFields) permission.unknownFields = unknownFields;
  return permission;
}

export function decodeUser(bytes: Buffer): UserRecord {
  const user: UserRecord = { name: EMPTY, password: EMPTY, roles: [], options: undefined };
  const unknown = new UnknownFields();
  for (const field of fields(bytes)) {
    switch (field.number) {
      case 1:
        expectWireType(field, 2, 'authpb.User');
        user.name = copy(field.payload);
        break;
      case 2:
        expectWireType(field, 2, 'authpb.User');
        user.password = copy(field.payload);
        break;
      case 3:
        expectWireType(field, 2, 'authpb.User');
        user.roles.push(field.payload.toString('utf8'));
        break;
      case 4: {
        expectWireType(field, 2, 'authpb.User');
        // An embedded message seen twice is merged, as protobuf does.
        const options: UserAddOptionsRecord = user.options ?? { noPassword: false };
        const unknownOptions = new UnknownFields();
        if (options.unknownFields) unknownOptions.addBytes(options.unknownFields);
        for (const optionField of fields(field.payload)) {
          if (optionField.number === 1) {
            expectWireType(optionField, 0, 'authpb.UserAddOptions');
            options.noPassword = optionField.varint !== 0n;
          } else {
            unknownOptions.add(optionField);
          }
        }
        const unknownOptionFields = unknownOptions.result();
        if (unknownOptionFields) options.unknownFields = unknownOptionFields;
        user.options = options;
        break;
      }
      default:
        unknown.add(field);
    }
  }
  const unknownFields = unknown.result();
  if (unknownFields) user.unknownFields = unknownFields;
  return user;
}

export function decodeRole(bytes: Buffer): RoleRecord {
  const role: RoleRecord = { name: EMPTY, keyPermission: [] };
  const unknown = new UnknownFields();
  for (const field of fields(bytes)) {
    switch (field.number) {
      case 1:
        expectWireType(field, 2, 'authpb.Role');
        role.name = copy(field.payload);
        break;
      case 2:
        expectWireType(field, 2, 'authpb.Role');
        role.keyPermission.push(decodePermission(field.payload));
        break;
      default:
        unknown.add(field);
    }
  }
  const unknownFields = unknown.result();
  if (unknownFields) role.unknownFields = unknownFields;
  return role;
}
