// The member's side of a gRPC call that the client transport thread took:
// the request bytes are decoded with the service's own deserializer, the
// service implementation runs with a stand-in call object (as for the JSON
// gateway), and its answer goes back as bytes. What grpc-js' interceptors do
// for calls on this thread is done here: grpc_server_* counts and etcd's
// learner rule.

import * as grpc from '@grpc/grpc-js';
import { StandInCall, UnaryStandInCall, statusOf, type GrpcStatus, type StandInCallMetrics } from '../stand-in-call.js';
import type { FrontWorkerData, MetadataObject, ToFront, ToMember } from './protocol.js';

export interface BridgedService {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

interface BridgedMethod {
  definition: grpc.MethodDefinition<unknown, unknown>;
  handler: Function | undefined;
}

export interface CallBridgeOptions {
  /** Every service the member runs, with its (instrumented) definition. */
  services: Iterable<BridgedService>;
  send(message: ToFront): void;
  callMetrics(path: string, requestStream: boolean, responseStream: boolean): StandInCallMetrics;
  /** Throws to refuse a call before its handler runs (etcd's learner rule). */
  screenCall(path: string, streaming: boolean, request: unknown): void;
}

/** Writes a stream may have in flight to the transport thread before its writer waits. */
const MAX_UNACKNOWLEDGED_WRITES = 64;

interface OpenCall {
  call: StandInCall | UnaryStandInCall;
  definition: grpc.MethodDefinition<unknown, unknown>;
  counts: StandInCallMetrics;
  /** Response messages sent and not yet handed to HTTP/2. */
  unacknowledged: number;
  /** The writer's callback, held while too many writes are unacknowledged. */
  resumeWriter: (() => void) | undefined;
}

export class CallBridge {
  private readonly methods = new Map<string, BridgedMethod>();
  private readonly open = new Map<number, OpenCall>();
  /** Calls whose HTTP/2 session the transport thread is closing gracefully. */
  private readonly sessionCloses = new Map<number, () => void>();

  constructor(private readonly options: CallBridgeOptions) {
    for (const service of options.services) {
      for (const [name, definition] of Object.entries(service.definition)) {
        this.methods.set(definition.path, { definition: definition as grpc.MethodDefinition<unknown, unknown>, handler: service.implementation[name] as Function | undefined });
      }
    }
  }

  /** Paths and kinds of every method, for the transport thread's gRPC server. */
  static methodsOf(services: Iterable<BridgedService>): FrontWorkerData['services'] {
    const byService: FrontWorkerData['services'] = {};
    for (const service of services) {
      for (const [name, method] of Object.entries(service.definition)) {
        const serviceName = method.path.slice(1, method.path.lastIndexOf('/'));
        byService[serviceName] ??= {};
        byService[serviceName][name] = { path: method.path, requestStream: method.requestStream, responseStream: method.responseStream };
      }
    }
    return byService;
  }

  receive(message: Extract<ToMember, { id: number }> & { payload?: Buffer }): void {
    switch (message.kind) {
      case 'call':
        this.start(message.id, message.path, message.metadata, message.peer, message.payload);
        return;
      case 'message': {
        const open = this.open.get(message.id);
        if (!(open?.call instanceof StandInCall)) return;
        let request: unknown;
        try {
          request = open.definition.requestDeserialize(message.payload);
        } catch {
          open.call.emit('error', DESERIALIZATION_FAILED);
          return;
        }
        open.counts.received();
        open.call.push(request);
        return;
      }
      case 'half-close': {
        const call = this.open.get(message.id)?.call;
        if (call instanceof StandInCall) call.push(null);
        return;
      }
      case 'cancelled': {
        const open = this.open.get(message.id);
        this.open.delete(message.id);
        if (open === undefined) return;
        open.counts.finished(grpc.status.CANCELLED);
        open.call.cancel();
        return;
      }
      case 'written': {
        const open = this.open.get(message.id);
        if (open === undefined) return;
        open.unacknowledged -= message.count;
        const resume = open.resumeWriter;
        if (resume !== undefined && open.unacknowledged < MAX_UNACKNOWLEDGED_WRITES) {
          open.resumeWriter = undefined;
          resume();
        }
        return;
      }
      case 'session-closed':
        this.sessionCloses.get(message.id)?.();
        this.sessionCloses.delete(message.id);
        return;
    }
  }

  private start(id: number, path: string, metadataObject: MetadataObject, peer: string, payload: Buffer | undefined): void {
    const method = this.methods.get(path);
    if (method === undefined || typeof method.handler !== 'function') {
      this.sendStatus(id, { code: grpc.status.UNIMPLEMENTED, message: `The server does not implement the method ${path}` });
      return;
    }
    const { definition, handler } = method;
    const streaming = definition.requestStream || definition.responseStream;
    const counts = this.options.callMetrics(path, definition.requestStream, definition.responseStream);
    let request: unknown;
    if (payload !== undefined) {
      counts.received();
      try {
        request = definition.requestDeserialize(payload);
      } catch {
        this.finish(id, counts, DESERIALIZATION_FAILED);
        return;
      }
    }
    try {
      this.options.screenCall(path, streaming, request);
    } catch (error) {
      this.finish(id, counts, statusOf(error));
      return;
    }
    const metadata = rebuildMetadata(metadataObject);
    if (!streaming) {
      const call = new UnaryStandInCall(metadata, peer, path);
      call.request = request;
      this.open.set(id, { call, definition, counts, unacknowledged: 0, resumeWriter: undefined });
      (handler as (call: unknown, callback: grpc.sendUnaryData<unknown>) => void)(call, (error, value) => {
        if (!this.open.delete(id)) return; // cancelled meanwhile
        if (error) return this.finish(id, counts, statusOf(error));
        let bytes: Buffer;
        try {
          bytes = definition.responseSerialize(value);
        } catch (serializeError) {
          return this.finish(id, counts, { code: grpc.status.INTERNAL, message: `grpc: error while marshaling: ${(serializeError as Error).message}` });
        }
        counts.sent();
        counts.finished(grpc.status.OK);
        this.options.send({ kind: 'reply', id, payload: bytes });
      });
      return;
    }
    const open: OpenCall = { call: undefined as unknown as StandInCall, definition, counts, unacknowledged: 0, resumeWriter: undefined };
    const call = new StandInCall(metadata, peer, path, {
      write: (message, done) => {
        if (!this.open.has(id)) return done();
        let bytes: Buffer;
        try {
          bytes = definition.responseSerialize(message);
        } catch (error) {
          return done(error as Error);
        }
        counts.sent();
        open.unacknowledged++;
        this.options.send({ kind: 'write', id, payload: bytes });
        if (open.unacknowledged < MAX_UNACKNOWLEDGED_WRITES) done();
        else open.resumeWriter = () => done();
      },
      finish: (status) => {
        if (!this.open.delete(id)) return;
        counts.finished(status?.code ?? grpc.status.OK);
        if (status === undefined || status.code === grpc.status.OK) this.options.send({ kind: 'end', id });
        else this.sendStatus(id, status);
      },
    });
    open.call = call;
    call.request = request;
    // A stopping member ends its snapshot streams with an error, then closes their sessions gracefully.
    call.closeSessionGracefully = () =>
      new Promise<void>((resolve) => {
        this.sessionCloses.set(id, resolve);
        this.options.send({ kind: 'close-session', id });
      });
    this.open.set(id, open);
    (handler as (call: unknown) => void)(call);
  }

  private finish(id: number, counts: StandInCallMetrics, status: GrpcStatus): void {
    counts.finished(status.code);
    this.sendStatus(id, status);
  }

  private sendStatus(id: number, status: GrpcStatus): void {
    const metadata = status.metadata?.toJSON() as MetadataObject | undefined;
    this.options.send({ kind: 'status', id, code: status.code, details: status.message, metadata: metadata && Object.keys(metadata).length > 0 ? metadata : undefined });
  }
}

function rebuildMetadata(object: MetadataObject): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const key of Object.keys(object)) {
    for (const value of object[key]) metadata.add(key, typeof value === 'string' ? value : Buffer.from(value));
  }
  return metadata;
}

/** grpc-js' status for a request its deserializer cannot read (it leaves the reason out). */
const DESERIALIZATION_FAILED: GrpcStatus = { code: grpc.status.INTERNAL, message: 'Error deserializing request' };
