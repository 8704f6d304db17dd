// Metrics of scheduled backups (etcd-ts's own series; etcd has no backups):
// successes, failures and the time of the last success, on the member's registry.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { BackupHooks } from '../server/backup-scheduler.js';

export class BackupMetrics implements BackupHooks {
  private readonly successes: Counter;
  private readonly failures: Counter;
  private readonly lastSuccess: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.successes = new Counter({ name: 'etcd_ts_backup_success_total', help: 'The total number of scheduled backups written.', registers });
    this.failures = new Counter({ name: 'etcd_ts_backup_failures_total', help: 'The total number of scheduled backups that failed.', registers });
    this.lastSuccess = new Gauge({
      name: 'etcd_ts_backup_last_success_timestamp_seconds',
      help: 'Unix time of the last scheduled backup written (0: none yet).',
      registers,
    });
  }

  backupSucceeded(timestampSeconds: number): void {
    this.successes.inc();
    this.lastSuccess.set(timestampSeconds);
  }

  backupFailed(): void {
    this.failures.inc();
  }
}
