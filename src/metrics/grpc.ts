// gRPC server metrics as go-grpc-prometheus names them (grpc_server_*), and
// etcd's client byte counters (etcd_network_client_grpc_*_bytes_total, which
// etcd counts in its codec). One server interceptor sees every call's
// messages and final status, so no service is touched. Per call the hot path
// adds to plain numbers in a per-method record; the labelled samples are made
// only when scraped. As go-grpc-prometheus' Register does, every method of a
// registered service is exported from the start, with every status code.

import { ServerInterceptingCall, type ServerInterceptor, type ServiceDefinition } from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';

/** grpc-go's codes.Code.String(), indexed by code. */
const CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;
const CANCELLED = 1;
const UNKNOWN = 2;

type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

/** One call's counts, for calls made without the gRPC server (see GrpcMetrics.startCall). */
export interface CallMetrics {
  received(): void;
  sent(): void;
  /** The call ended with this gRPC status code; later calls are ignored. */
  finished(code: number): void;
}

interface MethodRecord {
  /** Labels in Go's (sorted) order, made once. */
  readonly labels: { grpc_method: string; grpc_service: string; grpc_type: GrpcType };
  started: number;
  received: number;
  sent: number;
  readonly handled: number[];
}

/** One call's counts: a plain object with methods, one allocation per call on the hot path. */
class CallCounts implements CallMetrics {
  private done = false;
  private readonly startedMs: number;

  constructor(
    private readonly record: MethodRecord,
    private readonly histogram: Histogram | undefined,
  ) {
    this.startedMs = histogram === undefined ? 0 : performance.now();
  }

  received(): void {
    this.record.received++;
  }

  sent(): void {
    this.record.sent++;
  }

  finished(code: number): void {
    if (this.done) return;
    this.done = true;
    this.record.handled[code >= 0 && code < CODE_NAMES.length ? code : UNKNOWN]!++;
    this.histogram?.observe(this.record.labels, (performance.now() - this.startedMs) / 1000);
  }
}

// The DefBuckets of Prometheus' Go client.
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class GrpcMetrics {
  private readonly methods = new Map<string, MethodRecord>();
  private sentBytes = 0;
  private receivedBytes = 0;
  private readonly handlingSeconds: Histogram | undefined;

  constructor(registers: Registry[], extensive: boolean) {
    const methods = this.methods;
    const metrics = this;
    const perMethod = (name: string, help: string, value: (record: MethodRecord) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['grpc_method', 'grpc_service', 'grpc_type'],
        registers,
        collect() {
          this.reset();
          for (const record of methods.values()) this.inc(record.labels, value(record));
        },
      });
    perMethod('grpc_server_started_total', 'Total number of RPCs started on the server.', (record) => record.started);
    new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: ['grpc_code', 'grpc_method', 'grpc_service', 'grpc_type'],
      registers,
      collect() {
        this.reset();
        for (const record of methods.values()) {
          const { grpc_method, grpc_service, grpc_type } = record.labels;
          for (let code = 0; code < CODE_NAMES.length; code++) {
            this.inc({ grpc_code: CODE_NAMES[code]!, grpc_method, grpc_service, grpc_type }, record.handled[code]!);
          }
        }
      },
    });
    perMethod('grpc_server_msg_received_total', 'Total number of RPC stream messages received on the server.', (record) => record.received);
    perMethod('grpc_server_msg_sent_total', 'Total number of gRPC stream messages sent by the server.', (record) => record.sent);
    new Counter({
      name: 'etcd_network_client_grpc_sent_bytes_total',
      help: 'The total number of bytes sent to grpc clients.',
      registers,
      collect() {
        this.reset();
        this.inc(metrics.sentBytes);
      },
    });
    new Counter({
      name: 'etcd_network_client_grpc_received_bytes_total',
      help: 'The total number of bytes received from grpc clients.',
      registers,
      collect() {
        this.reset();
        this.inc(metrics.receivedBytes);
      },
    });
    if (extensive) {
      this.handlingSeconds = new Histogram({
        name: 'grpc_server_handling_seconds',
        help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
        labelNames: ['grpc_method', 'grpc_service', 'grpc_type'],
        buckets: DEFAULT_BUCKETS,
        registers,
      });
    }
  }

  /**
   * The service definition with its codec counting bytes (as etcd's codec
   * does), its methods registered for export. Pass to Server.addService.
   */
  instrument<T extends ServiceDefinition>(definition: T): T {
    const instrumented: Record<string, unknown> = {};
    for (const [name, method] of Object.entries(definition)) {
      this.recordOf(method.path, method.requestStream, method.responseStream);
      const { requestSerialize, requestDeserialize, responseSerialize, responseDeserialize } = method;
      instrumented[name] = {
        ...method,
        requestSerialize,
        responseDeserialize,
        requestDeserialize: (bytes: Buffer) => {
          this.receivedBytes += bytes.length;
          return requestDeserialize(bytes);
        },
        responseSerialize: (value: unknown) => {
          const bytes = responseSerialize(value);
          this.sentBytes += bytes.length;
          return bytes;
        },
      };
    }
    return instrumented as T;
  }

  /**
   * Counts a call that does not cross the gRPC server: the JSON gateway calls
   * the same handlers directly, where etcd's gateway reaches them through a
   * loopback gRPC client, so its calls show in grpc_server_* there too.
   */
  startCall(path: string, requestStream: boolean, responseStream: boolean): CallMetrics {
    const record = this.recordOf(path, requestStream, responseStream);
    record.started++;
    return new CallCounts(record, this.handlingSeconds);
  }

  /** The server interceptor (Server option `interceptors`). */
  readonly interceptor: ServerInterceptor = (descriptor, call) => {
    const counts = this.startCall(descriptor.path, descriptor.requestStream, descriptor.responseStream);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage: (message, nextMessage) => {
            counts.received();
            nextMessage(message);
          },
          onCancel: () => counts.finished(CANCELLED),
        }),
      sendMessage: (message, next) => {
        counts.sent();
        next(message);
      },
      sendStatus: (status, next) => {
        counts.finished(status.code ?? UNKNOWN);
        next(status);
      },
    });
  };

  private recordOf(path: string, requestStream: boolean, responseStream: boolean): MethodRecord {
    let record = this.methods.get(path);
    if (record === undefined) {
      // '/etcdserverpb.KV/Range' → service 'etcdserverpb.KV', method 'Range'.
      const slash = path.lastIndexOf('/');
      const grpcType: GrpcType = requestStream ? (responseStream ? 'bidi_stream' : 'client_stream') : responseStream ? 'server_stream' : 'unary';
      record = {
        labels: { grpc_method: path.slice(slash + 1), grpc_service: path.slice(1, slash), grpc_type: grpcType },
        started: 0,
        received: 0,
        sent: 0,
        handled: new Array<number>(CODE_NAMES.length).fill(0),
      };
      this.methods.set(path, record);
    }
    return record;
  }
}
