// Requests only the leader can answer (promoting a learner, lease renewals
// and TTLs), forwarded by a follower to the leader's client URL over gRPC,
// as etcd's followers forward them over their peer links.

import * as grpc from '@grpc/grpc-js';
import { loadGrpcPackage } from '../proto/index.js';
import { serverErrors } from '../server/errors.js';
import type { LoadedTls } from '../tls/tls-info.js';

export type ForwardedService = 'Cluster' | 'Lease';

/**
 * gRPC credentials for one member calling another's client port: its own
 * client-port certificate, and the trusted CA. A generated certificate
 * (--auto-tls) cannot be verified by anyone, so it is not, as in etcd.
 */
export function memberTlsCredentials(clientTls: LoadedTls): grpc.ChannelCredentials {
  const { ca, key, cert, info } = clientTls;
  return grpc.credentials.createSsl(ca ?? null, key, cert, info.selfSigned ? { rejectUnauthorized: false } : {});
}

export class LeaderForwarding {
  private readonly clients = new Map<string, grpc.Client>();

  /** `clientTls`: the member's own client-port certificate, for a leader served over https. */
  constructor(
    private readonly leaderClientUrls: () => string[],
    private readonly clientTls?: LoadedTls,
  ) {}

  /** Calls `method` of `service` on the leader; rejects with "no leader" when there is none. */
  unary<Response>(service: ForwardedService, method: string, request: object, timeoutMs: number, metadata = new grpc.Metadata()): Promise<Response> {
    const client = this.clientFor(service);
    if (!client) return Promise.reject(serverErrors.noLeader());
    const call = (client as unknown as Record<string, Function>)[method]!.bind(client);
    return new Promise((resolve, reject) => {
      call(request, metadata, { deadline: Date.now() + timeoutMs }, (error: grpc.ServiceError | null, response: Response) => (error ? reject(error) : resolve(response)));
    });
  }

  /** A client stream to the leader (e.g. LeaseKeepAlive); undefined while there is no leader. */
  duplex(service: ForwardedService, method: string, metadata = new grpc.Metadata()): grpc.ClientDuplexStream<object, object> | undefined {
    const client = this.clientFor(service);
    if (!client) return undefined;
    return (client as unknown as Record<string, (metadata: grpc.Metadata) => grpc.ClientDuplexStream<object, object>>)[method]!.call(client, metadata);
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private credentialsFor(url: string): grpc.ChannelCredentials {
    if (!url.startsWith('https://') || !this.clientTls) return grpc.credentials.createInsecure();
    return memberTlsCredentials(this.clientTls);
  }

  private clientFor(service: ForwardedService): grpc.Client | undefined {
    // A plain URL when the leader has one; https only with a certificate to present.
    const urls = this.leaderClientUrls();
    const url = urls.find((candidate) => candidate.startsWith('http://')) ?? (this.clientTls ? urls.find((candidate) => candidate.startsWith('https://')) : undefined);
    if (!url) return undefined;
    const key = `${service} ${url}`;
    let client = this.clients.get(key);
    if (!client) {
      const etcdserverpb = loadGrpcPackage({ exactLongs: true })['etcdserverpb'] as grpc.GrpcObject;
      const Constructor = etcdserverpb[service] as grpc.ServiceClientConstructor;
      client = new Constructor(new URL(url).host, this.credentialsFor(url));
      this.clients.set(key, client);
    }
    return client;
  }
}
