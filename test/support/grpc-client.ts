// A thin promise wrapper over the generated gRPC stubs, for tests that need
// exact control over requests (the etcd3 npm client is tested separately).

import * as grpc from '@grpc/grpc-js';
import { loadGrpcPackage } from '../../src/proto/index.js';

type Unary = (request: object) => Promise<any>;

export interface EtcdGrpcClient {
  kv: { Range: Unary; Put: Unary; DeleteRange: Unary; Txn: Unary; Compact: Unary };
  maintenance: { Status: Unary };
  lease: { LeaseGrant: Unary; LeaseTimeToLive: Unary };
  cluster: { MemberList: Unary };
  close(): void;
}

function promisify(client: grpc.Client, method: string, deadlineMs: number): Unary {
  const fn = (client as unknown as Record<string, Function>)[method]!.bind(client);
  return (request) =>
    new Promise((resolve, reject) => {
      fn(request, { deadline: Date.now() + deadlineMs }, (error: grpc.ServiceError | null, response: unknown) =>
        error ? reject(error) : resolve(response),
      );
    });
}

export function connect(endpoint: string, options: { deadlineMs?: number; channelOptions?: grpc.ChannelOptions } = {}): EtcdGrpcClient {
  const etcdserverpb = loadGrpcPackage()['etcdserverpb'] as grpc.GrpcObject;
  const credentials = grpc.credentials.createInsecure();
  const make = (service: string) => new (etcdserverpb[service] as grpc.ServiceClientConstructor)(endpoint, credentials, options.channelOptions);
  const kv = make('KV');
  const maintenance = make('Maintenance');
  const cluster = make('Cluster');
  const lease = make('Lease');
  const deadlineMs = options.deadlineMs ?? 10_000;
  const bind = <K extends string>(client: grpc.Client, methods: K[]) =>
    Object.fromEntries(methods.map((method) => [method, promisify(client, method, deadlineMs)])) as Record<K, Unary>;
  return {
    kv: bind(kv, ['Range', 'Put', 'DeleteRange', 'Txn', 'Compact']),
    maintenance: bind(maintenance, ['Status']),
    lease: bind(lease, ['LeaseGrant', 'LeaseTimeToLive']),
    cluster: bind(cluster, ['MemberList']),
    close() {
      lease.close();
      kv.close();
      maintenance.close();
      cluster.close();
    },
  };
}

/** The etcdserverpb services a caller-aware client talks to. */
export type EtcdService = 'KV' | 'Lease' | 'Watch' | 'Maintenance' | 'Cluster' | 'Auth';

/**
 * A client that runs each call as a chosen caller: `token` goes in the
 * metadata key `token` (as etcd's clients send it); undefined sends none.
 * For tests that need the exact status code and details of every answer.
 */
export interface CallerAwareClient {
  /** One unary call; rejects with the grpc.ServiceError the server sent. */
  call(service: Exclude<EtcdService, 'Watch'>, method: string, request: object, token?: string): Promise<any>;
  /** Opens a Watch stream, sends one create request, and resolves with the first response; the stream is then canceled. */
  watchCreate(createRequest: object, token?: string): Promise<any>;
  close(): void;
}

export function connectCallerAware(endpoint: string, options: { deadlineMs?: number } = {}): CallerAwareClient {
  const etcdserverpb = loadGrpcPackage()['etcdserverpb'] as grpc.GrpcObject;
  const credentials = grpc.credentials.createInsecure();
  const deadlineMs = options.deadlineMs ?? 10_000;
  const services: EtcdService[] = ['KV', 'Lease', 'Watch', 'Maintenance', 'Cluster', 'Auth'];
  const clients = new Map(services.map((service) => [service, new (etcdserverpb[service] as grpc.ServiceClientConstructor)(endpoint, credentials)]));
  const metadataFor = (token: string | undefined) => {
    const metadata = new grpc.Metadata();
    if (token !== undefined) metadata.set('token', token);
    return metadata;
  };
  return {
    call(service, method, request, token) {
      const client = clients.get(service) as unknown as Record<string, Function>;
      const fn = client[method];
      if (typeof fn !== 'function') throw new Error(`no method etcdserverpb.${service}.${method}`);
      return new Promise((resolve, reject) => {
        fn.call(client, request, metadataFor(token), { deadline: Date.now() + deadlineMs }, (error: grpc.ServiceError | null, response: unknown) =>
          error ? reject(error) : resolve(response),
        );
      });
    },
    watchCreate(createRequest, token) {
      const client = clients.get('Watch') as unknown as { Watch(metadata: grpc.Metadata): grpc.ClientDuplexStream<object, unknown> };
      const stream = client.Watch(metadataFor(token));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no watch response within ${deadlineMs} ms`)), deadlineMs);
        let done = false;
        const finish = (error: Error | undefined, response?: unknown) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          stream.cancel();
          if (error) reject(error);
          else resolve(response);
        };
        stream.on('data', (response: unknown) => finish(undefined, response));
        stream.on('error', (error: grpc.ServiceError) => finish(error));
        stream.on('end', () => finish(new Error('watch stream ended without a response')));
        stream.write({ request_union: 'create_request', create_request: createRequest });
      });
    },
    close() {
      for (const client of clients.values()) client.close();
    },
  };
}
