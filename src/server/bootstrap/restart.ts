// A member with a WAL restarts from it: the newest snapshot the WAL has a
// marker for, then the entries after it; --force-new-cluster rewrites the
// membership to this member alone (force-new-cluster.ts).

import type { Logger } from '../../pkg/logger.js';
import { MemoryStorage } from '../../raft/index.js';
import { WriteAheadLog, WalNotFoundError, type OpenedLog, type WalObserver } from '../../wal/index.js';
import type { MemberConfig } from '../config.js';
import { forceNewClusterLog } from '../force-new-cluster.js';
import { formatId, parseId, urlString } from '../membership/ids.js';
import { readSnapshots, type SnapshotRecord } from '../snapshot-files.js';
import { decodeWalMetadata, type BootstrappedState } from './bootstrapped-state.js';
import { memberIdsNamedIn, truncatedIdMap, upgradeConfState, upgradeEntries, upgradeHardState } from './legacy-raft-ids.js';

const EMPTY = new Uint8Array(0);

export async function restartFromWal(config: MemberConfig, logger: Logger, walDir: string, snapDir: string, walObserver: WalObserver): Promise<BootstrappedState> {
  const walLogger = logger.child('etcdserver/storage.go');
  // Start from the newest snapshot record whose marker the WAL holds (a
  // crash can leave a record written but its WAL marker not).
  const snapshots = await readSnapshots(snapDir);
  let opened: OpenedLog | undefined;
  let snapshot: SnapshotRecord | undefined;
  for (const candidate of [...snapshots, undefined]) {
    try {
      opened = await WriteAheadLog.open(walDir, candidate ? { fromSnapshot: { index: candidate.index, term: candidate.term }, observer: walObserver } : { observer: walObserver });
      snapshot = candidate;
      break;
    } catch (error) {
      if (!(error instanceof WalNotFoundError)) throw error;
    }
  }
  if (!opened) throw new Error(`no snapshot in ${snapDir} matches the WAL in ${walDir}`);
  if (opened.repairedTailBytes > 0) walLogger.warn('repaired torn tail of WAL', { 'wal-dir': walDir, 'removed-bytes': opened.repairedTailBytes });
  const metadata = decodeWalMetadata(opened.metadata);
  const memberId = parseId(metadata.memberId);
  const clusterId = parseId(metadata.clusterId);
  // Raft's configuration comes from the snapshot, then from re-applying the
  // ConfChange entries the log replays after it. The member table is the
  // backend's (MemberStorage); a data dir from before it was kept there
  // rebuilds it the same way, from the record's members and the log.
  // Older data dirs name Raft nodes by the low 53 bits of their ids (legacy-raft-ids.ts).
  const truncatedIds = truncatedIdMap(memberIdsNamedIn(memberId, snapshot?.members.map((member) => member.id) ?? [], opened.entries));
  const raftLog = MemoryStorage.withConfState({ voters: [], learners: [] });
  if (snapshot) {
    snapshot = { ...snapshot, confState: upgradeConfState(snapshot.confState, truncatedIds) };
    raftLog.applySnapshot({ metadata: { index: snapshot.index, term: snapshot.term, confState: snapshot.confState }, data: EMPTY });
  }
  // A crash between the snapshot marker and the next hard state can leave
  // a commit index below the snapshot's; a snapshot only holds committed entries.
  let hardState = upgradeHardState({ ...opened.hardState, commit: Math.max(opened.hardState.commit, snapshot?.index ?? 0) }, truncatedIds);
  let entries = upgradeEntries(opened.entries, truncatedIds);
  if (config.forceNewCluster) {
    const forced = forceNewClusterLog({
      snapshotIndex: snapshot?.index ?? 0,
      snapshotTerm: snapshot?.term ?? 0,
      snapshotMembers: snapshot?.members ?? [],
      entries,
      hardState,
      localMemberId: memberId,
      localMember: { name: config.name, peerUrls: config.initialAdvertisePeerUrls.map(urlString) },
    });
    await opened.wal.save(forced.hardState, forced.appended, true);
    ({ entries, hardState } = forced);
    walLogger.info('forcing restart member', {
      'cluster-id': formatId(clusterId),
      'local-member-id': formatId(memberId),
      'commit-index': hardState.commit,
      'removed-member-ids': forced.removedMemberIds.map(formatId),
    });
  }
  raftLog.setHardState(hardState);
  if (entries.length > 0) raftLog.append(entries);
  walLogger.info('restarting local member', {
    'cluster-id': formatId(clusterId),
    'local-member-id': formatId(memberId),
    'commit-index': opened.hardState.commit,
    'snapshot-index': snapshot?.index ?? 0,
    'replayed-entries': opened.entries.length,
  });
  return { mode: 'restart', memberId, clusterId, wal: opened.wal, raftLog, snapshot, joinedClusterMembers: [] };
}
