// A call object that stands in for grpc-js' own, so that the gRPC service
// implementations can run for calls that did not come through this thread's
// gRPC server: the JSON gateway's, and those the client transport thread
// (api/front/) hands over. It has what the handlers use: request, metadata,
// peer, 'cancelled', and a Duplex of messages for streams.

import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import * as grpc from '@grpc/grpc-js';

export interface GrpcStatus {
  code: number;
  message: string;
  /** Trailing metadata an error carried (an error passed on from a peer). */
  metadata?: grpc.Metadata;
}

export function statusOf(error: unknown): GrpcStatus {
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number') {
    const e = error as { code: number; details?: string; message?: string; metadata?: unknown };
    const status: GrpcStatus = { code: e.code, message: e.details ?? e.message ?? '' };
    if (e.metadata instanceof grpc.Metadata) status.metadata = e.metadata;
    return status;
  }
  return { code: grpc.status.UNKNOWN, message: error instanceof Error ? error.message : String(error) };
}

/** One call's grpc_server_* counts (metrics/grpc.ts startCall). */
export interface StandInCallMetrics {
  received(): void;
  sent(): void;
  finished(code: number): void;
}

/** What stands in for grpc-js' call object: request, metadata, peer, 'cancelled', and a Duplex for streams. */
export class StandInCall extends Duplex {
  request: unknown = undefined;
  cancelled = false;
  /** For a call whose HTTP/2 session lives on another thread: closes that session gracefully. */
  closeSessionGracefully: (() => Promise<void>) | undefined = undefined;
  private readonly sink: (message: unknown, done: (error?: Error | null) => void) => void;
  private readonly finish: (error?: GrpcStatus) => void;

  constructor(
    readonly metadata: grpc.Metadata,
    private readonly peer: string,
    private readonly path: string,
    hooks: { write: (message: unknown, done: (error?: Error | null) => void) => void; finish: (error?: GrpcStatus) => void },
  ) {
    super({ objectMode: true, allowHalfOpen: true });
    this.sink = hooks.write;
    this.finish = hooks.finish;
  }

  getPeer(): string {
    return this.peer;
  }
  getDeadline(): grpc.Deadline {
    return Infinity;
  }
  getPath(): string {
    return this.path;
  }
  sendMetadata(): void {}
  getAuthContext(): Record<string, never> {
    return {};
  }

  /** The client went away. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    super.emit('cancelled', 'cancelled');
    if (!this.destroyed) this.destroy();
  }

  override _read(): void {}

  override _write(message: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.sink(message, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finish();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error) this.finish(statusOf(error));
    else this.finish();
    callback(null);
  }

  // grpc-js answers a stream with the status in an 'error' the handler emits.
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') {
      this.finish(statusOf(args[0]));
      return this.listenerCount('error') > 0 ? super.emit(event, ...args) : false;
    }
    return super.emit(event, ...args);
  }
}


/**
 * A unary call's stand-in: what unary handlers read, without a stream (a
 * Duplex per call costs more than some requests do).
 */
export class UnaryStandInCall extends EventEmitter {
  request: unknown = undefined;
  cancelled = false;

  constructor(
    readonly metadata: grpc.Metadata,
    private readonly peer: string,
    private readonly path: string,
  ) {
    super();
  }

  getPeer(): string {
    return this.peer;
  }
  getDeadline(): grpc.Deadline {
    return Infinity;
  }
  getPath(): string {
    return this.path;
  }
  sendMetadata(): void {}
  getAuthContext(): Record<string, never> {
    return {};
  }

  /** The client went away. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  }
}
