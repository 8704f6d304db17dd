// The messages between the member's thread and the client transport thread
// (api/front/). The transport thread owns the client sockets: TLS, HTTP/2,
// gRPC framing. The member's thread owns everything that decides: protobuf,
// auth, the services, Raft. A gRPC call crosses as its path, metadata, peer
// and message bytes; an HTTP/1 connection (the JSON gateway, /health,
// /metrics, the dashboard) crosses as a byte stream.

import type { LoadedTls } from '../../tls/tls-info.js';
import type { LogFields } from '../../pkg/logger.js';

/** grpc-js Metadata.toJSON(): what crosses for a call's metadata. */
export type MetadataObject = Record<string, Array<string | Uint8Array>>;

export interface FrontMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

export interface FrontWorkerData {
  /** By service ("etcdserverpb.KV"): the methods to serve. */
  services: Record<string, Record<string, FrontMethod>>;
  /** grpc-js Server options (message sizes, stream limits, keep-alive). */
  grpcOptions: Record<string, number>;
  tls: LoadedTls | undefined;
}

/** From the transport thread to the member's thread. */
export type ToMember =
  /** A call started; unary and server-streaming calls carry their one request. */
  | { kind: 'call'; id: number; path: string; metadata: MetadataObject; peer: string; payload?: Uint8Array }
  /** A request message of a bidirectional stream. */
  | { kind: 'message'; id: number; payload: Uint8Array }
  | { kind: 'half-close'; id: number }
  /** The client went away, or its deadline passed. */
  | { kind: 'cancelled'; id: number }
  /** Response messages were handed to HTTP/2 (flow control for the member's writes). */
  | { kind: 'written'; id: number; count: number }
  | { kind: 'session-closed'; id: number }
  | { kind: 'http1-open'; connection: number; remoteAddress: string | undefined; remotePort: number | undefined }
  | { kind: 'http1-data'; connection: number; payload: Uint8Array }
  | { kind: 'http1-end'; connection: number }
  | { kind: 'http1-close'; connection: number }
  | { kind: 'http1-written'; connection: number }
  | { kind: 'certificate-name'; peer: string; commonName: string }
  | { kind: 'certificate-gone'; peer: string }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; caller: string; msg: string; fields: LogFields | undefined }
  | { kind: 'listening'; request: number; host: string; port: number }
  | { kind: 'listen-failed'; request: number; message: string; code: string | undefined }
  | { kind: 'done'; request: number };

/** From the member's thread to the transport thread. */
export type ToFront =
  | { kind: 'reply'; id: number; payload: Uint8Array }
  | { kind: 'write'; id: number; payload: Uint8Array }
  | { kind: 'end'; id: number }
  | { kind: 'status'; id: number; code: number; details: string; metadata: MetadataObject | undefined }
  | { kind: 'close-session'; id: number }
  | { kind: 'http1-data'; connection: number; payload: Uint8Array }
  | { kind: 'http1-end'; connection: number }
  | { kind: 'http1-destroy'; connection: number }
  | { kind: 'listen'; request: number; host: string; port: number; plaintext: boolean; secure: boolean }
  | { kind: 'close-listener'; request: number; listener: number }
  | { kind: 'shutdown'; request: number };
