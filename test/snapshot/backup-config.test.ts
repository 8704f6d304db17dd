// The scheduled backup flags (--backup-dir, --backup-interval,
// --backup-retention, --backup-encryption-key-file): defaults, ETCD_*
// variables, Go durations, and the refusals.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildMemberConfig, parseCommandLine } from '../../src/server/config.js';

const configOf = (argv: string[], env: NodeJS.ProcessEnv = {}) => buildMemberConfig(parseCommandLine(argv, env).values);

describe('backup flags', () => {
  it('are off by default, with a 1h interval and 24 kept once a directory is given', () => {
    const config = configOf([]);
    assert.equal(config.backupDir, '');
    assert.equal(config.backupIntervalMs, 3_600_000);
    assert.equal(config.backupRetention, 24);
    assert.equal(config.backupEncryptionKeyFile, '');
  });

  it('take Go durations, counts and ETCD_* variables', () => {
    const config = configOf(['--backup-dir', '/b', '--backup-interval=1m30s', '--backup-retention', '3'], { ETCD_BACKUP_ENCRYPTION_KEY_FILE: '/k' });
    assert.deepEqual(
      [config.backupDir, config.backupIntervalMs, config.backupRetention, config.backupEncryptionKeyFile],
      ['/b', 90_000, 3, '/k'],
    );
    assert.equal(configOf(['--backup-dir=/b', '--backup-interval=1s']).backupIntervalMs, 1000);
  });

  it('refuses an interval under 1s, no retention, a bad duration and a key without a directory', () => {
    assert.throws(() => configOf(['--backup-dir=/b', '--backup-interval=500ms']), /--backup-interval must be at least 1s \(set to 500ms\)/);
    assert.throws(() => configOf(['--backup-dir=/b', '--backup-retention=0']), /--backup-retention must be at least 1/);
    assert.throws(() => configOf(['--backup-dir=/b', '--backup-interval=soon']), /invalid value "soon" for flag -backup-interval/);
    assert.throws(() => configOf(['--backup-encryption-key-file=/k']), /--backup-encryption-key-file needs --backup-dir/);
  });
});
