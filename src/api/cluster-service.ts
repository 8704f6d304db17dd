// etcdserverpb.Cluster: the member list and membership changes. Member ids
// travel as decimal strings (the service is loaded with exact 64-bit
// integers). Promotion is decided by the leader; a follower forwards it.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import type { MemberRecord } from '../server/membership/member-record.js';
import type { LeaderForwarding } from './leader-forwarding.js';
import { unary } from './unary.js';
import { tokenOf, type Callers } from './callers.js';
import { Metadata } from '@grpc/grpc-js';

/** The leader checks the caller again: the token goes along. */
function forwardedMetadata(incoming: Metadata): Metadata {
  const metadata = new Metadata();
  const token = tokenOf(incoming);
  if (token !== undefined) metadata.set('token', token);
  return metadata;
}

interface WireMember {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

function wireMember(member: MemberRecord): WireMember {
  return { ID: member.id.toString(), name: member.name, peerURLs: member.peerUrls, clientURLs: member.clientUrls, isLearner: member.isLearner };
}

// Membership changes need root once auth is on (etcd's checkMembershipOperationPermission); the list a user (etcd 3.5.29+).
export function clusterService(server: EtcdServer, forwarding: LeaderForwarding, callers: Callers): UntypedServiceImplementation {
  // etcd's cluster server answers without a revision (cluster_server.go: header()).
  const header = () => server.header(0);
  const list = (members: MemberRecord[]) => ({ header: header(), members: members.map(wireMember) });
  const requireAdmin = (call: Parameters<Callers['of']>[0]) => server.requireAdmin(callers.of(call));
  return {
    MemberList: unary((_request: object, call) =>
      callers.with(call, (caller) => {
        server.requireCaller(caller);
        return list(server.members());
      }),
    ),
    MemberAdd: unary(async (request: { peerURLs: string[]; isLearner: boolean }, call) => {
      requireAdmin(call);
      const { member, members } = await server.membership.add(request.peerURLs, request.isLearner);
      return { header: header(), member: wireMember(member), members: members.map(wireMember) };
    }),
    MemberRemove: unary(async (request: { ID: string }, call) => {
      requireAdmin(call);
      return list(await server.membership.remove(BigInt(request.ID)));
    }),
    MemberUpdate: unary(async (request: { ID: string; peerURLs: string[] }, call) => {
      requireAdmin(call);
      return list(await server.membership.update(BigInt(request.ID), request.peerURLs));
    }),
    MemberPromote: unary(async (request: { ID: string }, call) => {
      requireAdmin(call);
      if (!server.isLeader) return forwarding.unary('Cluster', 'MemberPromote', request, 10_000, forwardedMetadata(call.metadata));
      return list(await server.membership.promote(BigInt(request.ID)));
    }),
  };
}
