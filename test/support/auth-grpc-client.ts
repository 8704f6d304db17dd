// Raw gRPC calls that carry an auth token (etcd's "token" metadata), for
// tests that authenticate on one member and use the token on another, or
// need to know exactly which requests a member receives (the audit log).

import * as grpc from '@grpc/grpc-js';
import { loadGrpcPackage } from '../../src/proto/index.js';

type Unary = (request: object) => Promise<any>;

export interface AuthGrpcClient {
  /** Authenticate on this endpoint and use the token for every later call of this client. */
  authenticate(name: string, password: string): Promise<string>;
  /** Uses this token (or none) for later calls. */
  useToken(token: string | undefined): void;
  auth: { Authenticate: Unary; AuthStatus: Unary; UserList: Unary; UserAdd: Unary };
  kv: { Range: Unary; Put: Unary; DeleteRange: Unary };
  maintenance: { Status: Unary };
  close(): void;
}

export function connectWithToken(endpoint: string, options: { deadlineMs?: number; token?: string } = {}): AuthGrpcClient {
  const etcdserverpb = loadGrpcPackage()['etcdserverpb'] as grpc.GrpcObject;
  const credentials = grpc.credentials.createInsecure();
  const make = (service: string) => new (etcdserverpb[service] as grpc.ServiceClientConstructor)(endpoint, credentials);
  const clients = { Auth: make('Auth'), KV: make('KV'), Maintenance: make('Maintenance') };
  const deadlineMs = options.deadlineMs ?? 10_000;
  let token = options.token;
  const unary = (client: grpc.Client, method: string): Unary => {
    const fn = (client as unknown as Record<string, Function>)[method]!.bind(client);
    return (request) =>
      new Promise((resolve, reject) => {
        const metadata = new grpc.Metadata();
        if (token !== undefined) metadata.set('token', token);
        fn(request, metadata, { deadline: Date.now() + deadlineMs }, (error: grpc.ServiceError | null, response: unknown) => (error ? reject(error) : resolve(response)));
      });
  };
  const result: AuthGrpcClient = {
    auth: {
      Authenticate: unary(clients.Auth, 'Authenticate'),
      AuthStatus: unary(clients.Auth, 'AuthStatus'),
      UserList: unary(clients.Auth, 'UserList'),
      UserAdd: unary(clients.Auth, 'UserAdd'),
    },
    kv: { Range: unary(clients.KV, 'Range'), Put: unary(clients.KV, 'Put'), DeleteRange: unary(clients.KV, 'DeleteRange') },
    maintenance: { Status: unary(clients.Maintenance, 'Status') },
    async authenticate(name, password) {
      token = undefined;
      const response = await result.auth.Authenticate({ name, password });
      token = String(response.token);
      return token;
    },
    useToken(next) {
      token = next;
    },
    close() {
      for (const client of Object.values(clients)) client.close();
    },
  };
  return result;
}
