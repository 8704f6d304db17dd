// How a member comes up, before anything serves: restart from its WAL, start
// a new cluster, or join a running one. Each path leaves an open WAL and the
// Raft log rebuilt in memory; the Raft loop then makes the node from them.
// (An etcd data dir is imported into the backend before this, by
// snapshot/import.ts; its Raft log then starts new, as restored-member.ts does.)

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../pkg/logger.js';
import type { SocketFactory } from '../../transport/index.js';
import { WriteAheadLog, type WalObserver } from '../../wal/index.js';
import type { MemberConfig } from '../config.js';
import type { BootstrappedState } from './bootstrapped-state.js';
import { joinExistingCluster } from './join.js';
import { bootstrapNewCluster } from './new-cluster.js';
import { restartFromWal } from './restart.js';

export type { BootstrappedState } from './bootstrapped-state.js';

export function walDirOf(config: MemberConfig): string {
  return config.walDir || join(config.dataDir, 'member', 'wal');
}

export function snapDirOf(config: MemberConfig): string {
  return join(config.dataDir, 'member', 'snap');
}

export async function bootstrap(config: MemberConfig, logger: Logger, peerSocketFactory: SocketFactory, walObserver: WalObserver = {}): Promise<BootstrappedState> {
  const walDir = walDirOf(config);
  const snapDir = snapDirOf(config);
  await mkdir(snapDir, { recursive: true });
  if (await WriteAheadLog.exists(walDir)) return restartFromWal(config, logger, walDir, snapDir, walObserver);
  if (config.initialClusterState === 'existing') return joinExistingCluster(config, logger, walDir, peerSocketFactory, walObserver);
  return bootstrapNewCluster(config, logger, walDir, walObserver);
}
