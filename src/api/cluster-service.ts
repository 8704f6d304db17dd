// etcdserverpb.Cluster: the member list (membership changes come with
// clustering and answer UNIMPLEMENTED until then).

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import { unary } from './unary.js';

export function clusterService(server: EtcdServer): UntypedServiceImplementation {
  return {
    MemberList: unary(() => ({
      header: server.header(0),
      members: server.members().map((member) => ({
        ID: member.id.toString(),
        name: member.name,
        peerURLs: member.peerUrls,
        clientURLs: member.clientUrls,
        isLearner: member.isLearner,
      })),
    })),
  };
}
