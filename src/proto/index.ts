// Loads the wire contract (the .proto files beside this module's source) once
// and hands out gRPC service definitions and message codecs. Objects follow
// one convention everywhere: snake_case field names as in the .proto, int64
// as JS numbers while exact and bigints beyond (pkg/int64.ts), enums as numbers, bytes as Buffer, defaults filled in, and a
// oneof's name set to the field that is present.

import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { asBuffer } from '../pkg/bytes.js';
import './exact-int64.js';

// Compiled code lives in dist/src/proto; the .proto files stay in src/proto.
const here = dirname(fileURLToPath(import.meta.url));
export const PROTO_DIR = here.includes(`${join('dist', 'src', 'proto')}`) ? join(here, '..', '..', '..', 'src', 'proto') : here;

export const PROTO_FILES = ['rpc.proto', 'raft_internal.proto', 'v3election.proto', 'v3lock.proto'];

export const CONVERSION_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: Number,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
} as const;

const cachedPackages = new Map<boolean, grpc.GrpcObject>();

/**
 * The gRPC package object: `etcdserverpb.KV.service`, `etcdserverpb.Watch.service`, ...
 * With `exactLongs`, 64-bit integers decode as decimal strings: member ids
 * use all 64 bits, which a JS number cannot hold.
 */
export function loadGrpcPackage(options: { exactLongs?: boolean } = {}): grpc.GrpcObject {
  const exactLongs = options.exactLongs ?? false;
  let cached = cachedPackages.get(exactLongs);
  if (!cached) {
    const longs = exactLongs ? String : Number;
    const definition = protoLoader.loadSync(PROTO_FILES, { ...CONVERSION_OPTIONS, longs, includeDirs: [PROTO_DIR] });
    cached = grpc.loadPackageDefinition(definition);
    cachedPackages.set(exactLongs, cached);
  }
  return cached;
}

/** A service of `etcdserverpb` unless another package is named (`v3electionpb`, `v3lockpb`). */
export function serviceDefinition(serviceName: string, options: { exactLongs?: boolean; packageName?: string } = {}): grpc.ServiceDefinition {
  const packageName = options.packageName ?? 'etcdserverpb';
  const pkg = loadGrpcPackage(options)[packageName] as grpc.GrpcObject | undefined;
  const service = pkg?.[serviceName] as grpc.ServiceClientConstructor | undefined;
  if (!service) throw new Error(`unknown gRPC service ${packageName}.${serviceName}`);
  return service.service;
}

let cachedRoot: protobuf.Root | undefined;

function protobufRoot(): protobuf.Root {
  if (!cachedRoot) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(PROTO_DIR, target));
    root.loadSync(PROTO_FILES, { keepCase: true });
    cachedRoot = root;
  }
  return cachedRoot;
}

/** The protobufjs reflection of a message type or service, e.g. for the JSON gateway. */
export function protoType(fullName: string): protobuf.Type {
  return protobufRoot().lookupType(fullName);
}

export function protoService(fullName: string): protobuf.Service {
  return protobufRoot().lookupService(fullName);
}

export interface MessageCodec<T> {
  encode(message: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** A codec for one message type, e.g. `messageCodec('etcdserverpb.InternalRaftRequest')`. */
export function messageCodec<T>(fullName: string): MessageCodec<T> {
  const type = protobufRoot().lookupType(fullName);
  return {
    encode: (message) => type.encode(type.fromObject(message as Record<string, unknown>)).finish(),
    // protobufjs hands out bytes fields as Buffers only when it reads from a
    // Buffer; from a plain Uint8Array (e.g. an entry read back from the WAL)
    // they would come out as Uint8Arrays, which the layers above do not expect.
    decode: (bytes) => type.toObject(type.decode(asBuffer(bytes)), CONVERSION_OPTIONS) as T,
  };
}
