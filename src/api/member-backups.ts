// Wires scheduled backups (--backup-dir...) into a running member: the key is
// read before the member starts (a bad key file refuses the start), the
// scheduler starts once the member serves, and counts into the member's
// /metrics registry.

import type { Registry } from 'prom-client';
import type { Logger } from '../pkg/logger.js';
import { ConfigError, type MemberConfig } from '../server/config.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { BackupScheduler } from '../server/backup-scheduler.js';
import { BackupKeyError, readBackupKeyFile } from '../snapshot/backup-encryption.js';
import { makeBoltSnapshot } from '../snapshot/bolt-snapshot.js';
import { BackupMetrics } from '../metrics/backup-metrics.js';

export interface BackupSettings {
  config: MemberConfig;
  key: Buffer | undefined;
}

/** Undefined without --backup-dir; a key file that is not 32 raw bytes or 64 hex characters is a ConfigError. */
export function backupSettings(config: MemberConfig): BackupSettings | undefined {
  if (config.backupDir === '') return undefined;
  if (config.backupEncryptionKeyFile === '') return { config, key: undefined };
  try {
    return { config, key: readBackupKeyFile(config.backupEncryptionKeyFile) };
  } catch (error) {
    if (error instanceof BackupKeyError) throw new ConfigError(`--backup-encryption-key-file: ${error.message}`);
    throw error;
  }
}

export function startMemberBackups(settings: BackupSettings, server: EtcdServer, registry: Registry, logger: Logger): BackupScheduler {
  const { config, key } = settings;
  return new BackupScheduler({
    directory: config.backupDir,
    intervalMs: config.backupIntervalMs,
    retention: config.backupRetention,
    ...(key !== undefined ? { encryptionKey: key } : {}),
    logger,
    hooks: new BackupMetrics(registry),
    isLeader: () => server.isLeader,
    revision: () => server.currentRevision(),
    snapshot: (scratchDirectory) => makeBoltSnapshot(server, scratchDirectory),
  });
}
