// Scheduled backups (etcd-ts; etcd has none): --backup-dir, --backup-interval,
// --backup-retention, --backup-encryption-key-file. At each interval, while
// this member is the leader (so a cluster writes one backup per interval), a
// snapshot file with the bytes `etcdctl snapshot save` would get (bbolt +
// sha256 trailer), optionally AES-256-GCM encrypted, is written durably
// (temporary name, fsync, rename, directory fsync), then the oldest backups
// beyond the retention are deleted. A failure is logged and counted and the
// next interval tries again: serving is never affected. Clock and timers are
// injected, as in the compactor, so tests run on a virtual clock.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../pkg/logger.js';
import { realCompactorClock, type CompactorClock } from './compactor.js';
import { formatGoDuration } from './config-file.js';
import { snapshotWithSha256Trailer, type BoltSnapshot } from '../snapshot/bolt-snapshot.js';
import { encryptBackup } from '../snapshot/backup-encryption.js';
import { backupFileName, pruneBackups, removeUnfinishedBackups } from '../snapshot/backup-files.js';
import { writeFileAtomically } from '../pkg/durable-files.js';

/** Where backups are reported for metrics (src/metrics/backup-metrics.ts). */
export interface BackupHooks {
  backupSucceeded(timestampSeconds: number): void;
  backupFailed(): void;
}

export interface BackupSchedulerOptions {
  directory: string;
  intervalMs: number;
  /** Backups kept: the newest N. */
  retention: number;
  /** 32 bytes: the backups are encrypted (.db.enc); none: plain snapshot files (.db). */
  encryptionKey?: Buffer;
  logger: Logger;
  clock?: CompactorClock;
  hooks?: BackupHooks;
  isLeader(): boolean;
  /** The revision the next snapshot holds. */
  revision(): number;
  /** A bbolt snapshot made in `scratchDirectory` (makeBoltSnapshot). */
  snapshot(scratchDirectory: string): Promise<BoltSnapshot>;
}

export class BackupCancelledError extends Error {
  constructor() {
    super('backup cancelled: the member is stopping');
  }
}

export class BackupScheduler {
  private readonly clock: CompactorClock;
  private readonly log: Logger;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: BackupSchedulerOptions) {
    this.clock = options.clock ?? realCompactorClock;
    this.log = options.logger.child('backup/scheduler');
    try {
      const leftovers = removeUnfinishedBackups(options.directory);
      if (leftovers.length > 0) this.log.info('removed unfinished backups', { dir: options.directory, removed: leftovers });
    } catch {
      // No directory yet: the first backup makes it.
    }
    this.log.info('scheduled backups', {
      dir: options.directory,
      interval: formatGoDuration(BigInt(Math.round(options.intervalMs * 1e6))),
      retention: options.retention,
      encrypted: options.encryptionKey !== undefined,
    });
    this.wait(options.intervalMs);
  }

  /** Stops the schedule; a backup under way stops writing and its partial files are removed. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    await this.running;
  }

  private wait(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.tick(), Math.max(0, ms));
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const startedMs = this.clock.nowMs();
    if (this.options.isLeader()) {
      this.running = this.backupAndPrune();
      await this.running;
      this.running = undefined;
    } else {
      this.log.debug('skipped backup: this member is not the leader');
    }
    // Fixed cadence from each start; a backup longer than the interval is followed at once.
    this.wait(startedMs + this.options.intervalMs - this.clock.nowMs());
  }

  private async backupAndPrune(): Promise<void> {
    const startedMs = this.clock.nowMs();
    let path: string;
    try {
      path = await this.backupNow();
      this.options.hooks?.backupSucceeded(this.clock.nowMs() / 1000);
    } catch (error) {
      this.options.hooks?.backupFailed();
      this.log.warn('failed to save backup', { dir: this.options.directory, error: (error as Error).message });
      return;
    }
    this.log.info('saved backup', { path, took: formatGoDuration(BigInt(Math.round((this.clock.nowMs() - startedMs) * 1e6))) });
    try {
      const deleted = await pruneBackups(this.options.directory, this.options.retention);
      if (deleted.length > 0) this.log.info('deleted old backups', { dir: this.options.directory, deleted, retention: this.options.retention });
    } catch (error) {
      this.log.warn('failed to delete old backups', { dir: this.options.directory, error: (error as Error).message });
    }
  }

  /** Writes one backup now; returns its path. */
  async backupNow(): Promise<string> {
    const { directory, encryptionKey } = this.options;
    mkdirSync(directory, { recursive: true });
    const revision = this.options.revision();
    const name = backupFileName(new Date(this.clock.nowMs()), revision, encryptionKey !== undefined);
    const snapshot = await this.options.snapshot(join(directory, `.${name}.scratch`));
    try {
      const plain = this.unlessStopped(snapshotWithSha256Trailer(snapshot));
      await writeFileAtomically(directory, name, `.${name}.tmp`, encryptionKey === undefined ? plain : encryptBackup(plain, encryptionKey));
    } finally {
      snapshot.dispose();
    }
    return join(directory, name);
  }

  private async *unlessStopped(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      if (this.stopped) throw new BackupCancelledError();
      yield chunk;
    }
  }
}
