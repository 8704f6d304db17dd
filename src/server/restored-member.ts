// The Raft side of a restored member, as etcdctl's snapshot restore makes it:
// a new WAL that bootstraps the membership named by the flags, then a Raft
// snapshot record at the last bootstrap entry, with the imported backend's
// consistent index set to that entry. The Raft log so starts at the
// snapshot: the imported data is never in the log, so a member added later
// must catch up from a snapshot of the backend, never from entry 1.

import { join } from 'node:path';
import type { Logger } from '../pkg/logger.js';
import type { MemberConfig } from './config.js';
import { bootstrapNewCluster } from './bootstrap/new-cluster.js';
import { writeSnapshot, type SnapshotMember } from './snapshot-files.js';
import { decodeConfChange } from '../raft/codec.js';
import { ConfChangeType, EntryType, type NodeId } from '../raft/types.js';
import { WriteAheadLog } from '../wal/index.js';
import { Backend } from '../backend/index.js';

interface MemberContextJson {
  id: string;
  name?: string;
  peerUrls?: string[];
  isLearner?: boolean;
}

/** Writes the WAL and snapshot record for `config` next to the backend already imported into member/snap. */
export async function bootstrapRestoredMember(config: MemberConfig, logger: Logger): Promise<{ index: number; term: number }> {
  const walDir = config.walDir || join(config.dataDir, 'member', 'wal');
  const snapDir = join(config.dataDir, 'member', 'snap');
  // A restored member always starts a new cluster of the members named (etcd's restore).
  const bootstrapped = await bootstrapNewCluster({ ...config, initialClusterState: 'new' }, logger, walDir, {});
  await bootstrapped.wal.close();

  const opened = await WriteAheadLog.open(walDir);
  try {
    const last = opened.entries[opened.entries.length - 1];
    if (last === undefined) throw new Error('bootstrap wrote no entries');
    const voters: NodeId[] = [];
    const learners: NodeId[] = [];
    const members: SnapshotMember[] = [];
    for (const entry of opened.entries) {
      if (entry.type !== EntryType.ConfChange) continue;
      const change = decodeConfChange(entry.data);
      const context = JSON.parse(Buffer.from(change.context).toString()) as MemberContextJson;
      const isLearner = change.type === ConfChangeType.AddLearnerNode;
      (isLearner ? learners : voters).push(change.nodeId);
      members.push({ id: context.id, name: context.name ?? '', peerUrls: context.peerUrls ?? [], clientUrls: [], isLearner });
    }
    await writeSnapshot(snapDir, { index: last.index, term: last.term, confState: { voters, learners }, members });
    await opened.wal.saveSnapshot({ index: last.index, term: last.term });

    const backend = Backend.open(snapDir);
    backend.batchTx().setConsistentIndex(last.index, last.term);
    await backend.close();
    return { index: last.index, term: last.term };
  } finally {
    await opened.wal.close();
  }
}
