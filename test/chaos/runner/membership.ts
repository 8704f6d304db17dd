// Cluster membership requests for the membership fault, with member ids as
// exact decimal strings: ids use all 64 bits, which JS numbers round.

import * as grpc from '@grpc/grpc-js';
import { loadGrpcPackage } from '../../../src/proto/index.js';
import { FAST_RECONNECT } from './kv-client.js';

export interface MemberInfo {
  id: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
}

type Callback = (error: grpc.ServiceError | null, response: any) => void;
type ClusterStub = grpc.Client & Record<'MemberList' | 'MemberAdd' | 'MemberRemove', (request: object, options: grpc.CallOptions, callback: Callback) => void>;

export class MembershipClient {
  private readonly stub: ClusterStub;

  constructor(
    endpoint: string,
    private readonly deadlineMs = 5_000,
  ) {
    const etcdserverpb = loadGrpcPackage({ exactLongs: true })['etcdserverpb'] as grpc.GrpcObject;
    const Cluster = etcdserverpb['Cluster'] as grpc.ServiceClientConstructor;
    this.stub = new Cluster(endpoint, grpc.credentials.createInsecure(), FAST_RECONNECT) as unknown as ClusterStub;
  }

  async list(): Promise<MemberInfo[]> {
    const response = await this.call('MemberList', {});
    return response.members.map(toInfo);
  }

  async remove(id: string): Promise<void> {
    await this.call('MemberRemove', { ID: id });
  }

  async add(peerUrls: string[]): Promise<MemberInfo> {
    const response = await this.call('MemberAdd', { peerURLs: peerUrls });
    return toInfo(response.member);
  }

  close(): void {
    this.stub.close();
  }

  private call(method: 'MemberList' | 'MemberAdd' | 'MemberRemove', request: object): Promise<any> {
    return new Promise((resolve, reject) =>
      this.stub[method](request, { deadline: Date.now() + this.deadlineMs }, (error, response) => (error ? reject(error) : resolve(response))),
    );
  }
}

function toInfo(member: any): MemberInfo {
  return { id: String(member.ID), name: member.name, peerUrls: member.peerURLs, clientUrls: member.clientURLs };
}
