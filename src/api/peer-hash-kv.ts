// Maintenance.HashKV on another member's client URL over gRPC: the PeerHashKv
// the initial corruption check (server/initial-corrupt-check.ts) is given.
// One short-lived channel per call: the check runs once, at start.

import * as grpc from '@grpc/grpc-js';
import { loadGrpcPackage } from '../proto/index.js';
import type { PeerHashKv, PeerHashKvResult } from '../server/initial-corrupt-check.js';

export interface PeerHashKvOptions {
  /** Deadline of each call (etcd uses its request timeout, 5 s + 2 × election timeout). */
  timeoutMs: number;
  /**
   * Credentials for https:// (and unixs://) URLs, e.g. built from the member's
   * client certificate as LeaderForwarding does. Without them, TLS with the
   * system's CAs and no client certificate.
   */
  credentials?: grpc.ChannelCredentials;
}

interface HashKvResponse {
  header?: { member_id?: string; revision?: string };
  hash?: number;
  compact_revision?: string;
}

/** A PeerHashKv that calls Maintenance.HashKV on a client URL (http, https, unix, unixs). */
export function grpcPeerHashKv(options: PeerHashKvOptions): PeerHashKv {
  return (clientUrl, revision) => {
    const { target, secure } = grpcTarget(clientUrl);
    const credentials = secure ? (options.credentials ?? grpc.credentials.createSsl()) : grpc.credentials.createInsecure();
    // Exact 64-bit integers: member ids use all 64 bits.
    const etcdserverpb = loadGrpcPackage({ exactLongs: true })['etcdserverpb'] as grpc.GrpcObject;
    const Maintenance = etcdserverpb['Maintenance'] as grpc.ServiceClientConstructor;
    const client = new Maintenance(target, credentials);
    return new Promise<PeerHashKvResult>((resolve, reject) => {
      const call = (client as unknown as Record<string, Function>)['HashKV']!;
      call.call(client, { revision }, { deadline: Date.now() + options.timeoutMs }, (error: grpc.ServiceError | null, response: HashKvResponse) => {
        client.close();
        if (error) {
          reject(error);
          return;
        }
        resolve({
          hash: response.hash ?? 0,
          compactRevision: Number(response.compact_revision ?? 0),
          revision: Number(response.header?.revision ?? 0),
          memberId: BigInt(response.header?.member_id ?? 0),
        });
      });
    });
  };
}

/** The grpc-js target of an etcd client URL. */
export function grpcTarget(clientUrl: string): { target: string; secure: boolean } {
  const url = new URL(clientUrl);
  switch (url.protocol) {
    case 'http:':
      return { target: url.host, secure: false };
    case 'https:':
      return { target: url.host, secure: true };
    case 'unix:':
    case 'unixs:':
      // etcd's unix://host:port names a socket file "host:port" in the working directory.
      return { target: `unix:${url.host}${url.pathname === '/' ? '' : url.pathname}`, secure: url.protocol === 'unixs:' };
    default:
      throw new Error(`unsupported client URL scheme ${url.protocol} in ${clientUrl}`);
  }
}
