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
