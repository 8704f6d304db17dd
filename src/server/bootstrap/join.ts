// A member added to a running cluster (--initial-cluster-state=existing)
// starts with an empty log; the leader sends it the log (or a snapshot),
// membership included. It learns its id and the cluster id from the other
// members (GET /members on their peer URLs, membership/remote-cluster.ts),
// since whoever ran MemberAdd chose the id.

import type { Logger } from '../../pkg/logger.js';
import { MemoryStorage } from '../../raft/index.js';
import type { SocketFactory } from '../../transport/index.js';
import { WriteAheadLog, type WalObserver } from '../../wal/index.js';
import type { MemberConfig } from '../config.js';
import { formatId, urlString } from '../membership/ids.js';
import { findSelf, getClusterFromRemotePeers } from '../membership/remote-cluster.js';
import { encodeWalMetadata, type BootstrappedState } from './bootstrapped-state.js';

/** How long a joining member keeps asking the others for the member table before it gives up. */
const JOIN_GIVE_UP_MS = 60_000;

export async function joinExistingCluster(
  config: MemberConfig,
  logger: Logger,
  walDir: string,
  peerSocketFactory: SocketFactory,
  walObserver: WalObserver,
): Promise<BootstrappedState> {
  const ownPeerUrls = config.initialCluster.get(config.name)!.map(urlString);
  const otherPeerUrls = [...config.initialCluster.entries()].filter(([name]) => name !== config.name).flatMap(([, urls]) => urls.map(urlString));
  const cluster = await getClusterFromRemotePeers({
    peerUrls: otherPeerUrls,
    socketFactory: peerSocketFactory,
    requestTimeoutMs: 1000 + 2 * config.electionTimeoutMs,
    giveUpAfterMs: JOIN_GIVE_UP_MS,
    logger: logger.child('etcdserver/cluster_util.go'),
  });
  const self = findSelf(cluster, ownPeerUrls);
  if (self === undefined) {
    const known = cluster.members.map((member) => ({ id: formatId(member.id), peerURLs: member.peerUrls }));
    throw new Error(`error validating peerURLs ${JSON.stringify({ 'local-member-peer-urls': ownPeerUrls, members: known })}: PeerURLs: no match found for existing member`);
  }
  const memberId = self.id;
  const clusterId = cluster.clusterId;
  const wal = await WriteAheadLog.create(walDir, encodeWalMetadata({ memberId: formatId(memberId), clusterId: formatId(clusterId) }), { observer: walObserver });
  logger.child('etcdserver/storage.go').info('starting local member', { 'local-member-id': formatId(memberId), 'cluster-id': formatId(clusterId), 'initial-cluster-state': 'existing' });
  const raftLog = MemoryStorage.withConfState({ voters: [], learners: [] });
  return { mode: 'join', memberId, clusterId, wal, raftLog, snapshot: undefined, joinedClusterMembers: cluster.members };
}
