// A member of a new cluster (--initial-cluster-state=new) bootstraps the
// log the way etcd does: one ConfChange entry per initial member at term 1,
// each carrying that member's record so a restart can rebuild the member
// table from the log alone. Ids derive from the peer URLs and the cluster
// token, so every initial member computes the same ones.

import type { Logger } from '../../pkg/logger.js';
import { MemoryStorage } from '../../raft/index.js';
import { WriteAheadLog, type WalObserver } from '../../wal/index.js';
import type { MemberConfig } from '../config.js';
import { computeClusterId, computeMemberId, formatId, parseId, raftIdOf, urlString } from '../membership/ids.js';
import { encodeInitialMemberConfChange, type MemberContext } from '../membership/member-context.js';
import { encodeWalMetadata, type BootstrappedState } from './bootstrapped-state.js';

export async function bootstrapNewCluster(config: MemberConfig, logger: Logger, walDir: string, walObserver: WalObserver): Promise<BootstrappedState> {
  const initialMembers: MemberContext[] = [...config.initialCluster.entries()].map(([name, urls]) => {
    const peerUrls = urls.map(urlString);
    return { id: formatId(computeMemberId(peerUrls, config.initialClusterToken)), name, peerUrls, isLearner: false };
  });
  const ownPeerUrls = config.initialCluster.get(config.name)!.map(urlString);
  const memberId = computeMemberId(ownPeerUrls, config.initialClusterToken);
  const clusterId = computeClusterId(initialMembers.map((member) => parseId(member.id)));
  const wal = await WriteAheadLog.create(walDir, encodeWalMetadata({ memberId: formatId(memberId), clusterId: formatId(clusterId) }), { observer: walObserver });

  const bootstrapped = MemoryStorage.bootstrap(initialMembers.map((member) => raftIdOf(parseId(member.id))));
  const bootstrapEntries = bootstrapped.entries(1, bootstrapped.lastIndex() + 1, Number.MAX_SAFE_INTEGER).map((entry, position) => ({
    ...entry,
    data: encodeInitialMemberConfChange(initialMembers[position]!),
  }));
  const hardState = bootstrapped.initialState().hardState;
  // The conf state comes from applying those entries, as on a restart.
  const raftLog = MemoryStorage.withConfState({ voters: [], learners: [] });
  raftLog.append(bootstrapEntries);
  raftLog.setHardState(hardState);
  await wal.save(hardState, bootstrapEntries, true);
  logger.child('etcdserver/storage.go').info('starting local member', {
    'local-member-id': formatId(memberId),
    'cluster-id': formatId(clusterId),
    'initial-cluster': initialMembers.map((member) => `${member.name}=${member.peerUrls.join(',')}`).join(','),
  });
  return { mode: 'new', memberId, clusterId, wal, raftLog, snapshot: undefined, joinedClusterMembers: [] };
}
