// The backup scheduler (src/server/backup-scheduler.ts) on a virtual clock,
// with real files: a backup at each interval only while leader, named by time
// and revision, holding the snapshot and its sha256 trailer (or that,
// encrypted); retention keeps the newest N and deletes only the scheduler's
// own files; a failure (snapshot error, unwritable directory) is logged and
// counted and the next interval still runs; leftovers of an interrupted
// backup are removed at start; stop() cancels a backup under way cleanly.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupScheduler, type BackupSchedulerOptions } from '../../src/server/backup-scheduler.js';
import type { BoltSnapshot } from '../../src/snapshot/bolt-snapshot.js';
import { decryptBackupFile } from '../../src/snapshot/backup-encryption.js';
import { recordingLogger } from '../support/recording-logger.js';
import { waitFor } from '../support/wait-for.js';
import { VirtualTimers } from '../support/virtual-timers.js';

const root = mkdtempSync(join(tmpdir(), 'etcd-ts-backup-scheduler-'));
after(() => rmSync(root, { recursive: true, force: true }));
let directoryNumber = 0;
const freshDirectory = (): string => join(root, `dir-${directoryNumber++}`);

const START = Date.UTC(2026, 11, 3, 8, 15, 0);
const INTERVAL = 60_000;


/** Each scheduler tick ends by arming its next timer: wait for that before the next one fires. */
function rearmed(clock: VirtualTimers): Promise<unknown> {
  return waitFor('the scheduler to re-arm its timer', () => clock.pending > 0, { timeoutMs: 10_000, intervalMs: 2 });
}

interface Harness {
  scheduler: BackupScheduler;
  clock: VirtualTimers;
  directory: string;
  logger: ReturnType<typeof recordingLogger>;
  counts: { succeeded: number; failed: number; lastSuccess: number; snapshots: number };
  state: { leader: boolean; revision: number; fail: Error | undefined };
  contents: Buffer[];
}

function harness(options: Partial<BackupSchedulerOptions> = {}): Harness {
  const clock = new VirtualTimers(START);
  const logger = recordingLogger();
  const counts = { succeeded: 0, failed: 0, lastSuccess: 0, snapshots: 0 };
  const state = { leader: true, revision: 10, fail: undefined as Error | undefined };
  const contents: Buffer[] = [];
  const directory = options.directory ?? freshDirectory();
  const scheduler = new BackupScheduler({
    directory,
    intervalMs: INTERVAL,
    retention: 3,
    logger,
    clock,
    hooks: {
      backupSucceeded: (seconds) => {
        counts.succeeded++;
        counts.lastSuccess = seconds;
      },
      backupFailed: () => counts.failed++,
    },
    isLeader: () => state.leader,
    revision: () => state.revision,
    // A stand-in for the bbolt file, made in the scratch directory as makeBoltSnapshot does.
    snapshot: async (scratch): Promise<BoltSnapshot> => {
      counts.snapshots++;
      if (state.fail) throw state.fail;
      mkdirSync(scratch);
      const content = randomBytes(100_000 + counts.snapshots);
      contents.push(content);
      writeFileSync(join(scratch, 'snapshot.db'), content);
      return { path: join(scratch, 'snapshot.db'), size: content.length, dispose: () => rmSync(scratch, { recursive: true, force: true }) };
    },
    ...options,
  });
  return { scheduler, clock, directory, logger, counts, state, contents };
}

const withTrailer = (content: Buffer): Buffer => Buffer.concat([content, createHash('sha256').update(content).digest()]);

describe('backup scheduler', () => {
  it('writes a backup at each interval only while leader, named by time and revision, with the sha256 trailer', async () => {
    const { scheduler, clock, directory, counts, state, contents } = harness();
    try {
      state.leader = false;
      await clock.advance(INTERVAL, () => rearmed(clock));
      assert.equal(counts.snapshots, 0, 'a follower takes no backup');
      assert.equal(existsSync(directory) ? readdirSync(directory).length : 0, 0);
      state.leader = true;
      await clock.advance(INTERVAL - 1, () => rearmed(clock));
      assert.equal(counts.snapshots, 0, 'not before the interval');
      await clock.advance(1, () => rearmed(clock));
      assert.equal(counts.succeeded, 1);
      assert.deepEqual(readdirSync(directory), ['etcd-ts-backup-20261203T081700Z-rev10.db']);
      assert.deepEqual(readFileSync(join(directory, 'etcd-ts-backup-20261203T081700Z-rev10.db')), withTrailer(contents[0]!));
      assert.equal(counts.lastSuccess, (START + 2 * INTERVAL) / 1000);
      state.revision = 17;
      await clock.advance(INTERVAL, () => rearmed(clock));
      assert.deepEqual(readdirSync(directory).sort(), ['etcd-ts-backup-20261203T081700Z-rev10.db', 'etcd-ts-backup-20261203T081800Z-rev17.db']);
      state.leader = false;
      await clock.advance(3 * INTERVAL, () => rearmed(clock));
      assert.equal(counts.succeeded, 2, 'no backups after losing leadership');
      assert.equal(counts.failed, 0);
    } finally {
      await scheduler.stop();
    }
  });

  it('encrypts with the key: .db.enc files that decrypt to the snapshot with its trailer', async () => {
    const key = randomBytes(32);
    const { scheduler, clock, directory, contents } = harness({ encryptionKey: key });
    try {
      await clock.advance(INTERVAL, () => rearmed(clock));
      const [name] = readdirSync(directory);
      assert.equal(name, 'etcd-ts-backup-20261203T081600Z-rev10.db.enc');
      const encrypted = readFileSync(join(directory, name!));
      assert.deepEqual(encrypted.subarray(0, 8), Buffer.from('ETCDTSBK'));
      const output = join(root, `decrypted-${directoryNumber++}.db`);
      await decryptBackupFile(join(directory, name!), output, key);
      assert.deepEqual(readFileSync(output), withTrailer(contents[0]!));
    } finally {
      await scheduler.stop();
    }
  });

  it('keeps the newest N backups and deletes only files of its own naming pattern', async () => {
    const directory = freshDirectory();
    mkdirSync(directory);
    const foreign = ['notes.txt', 'etcd-ts-backup-garbage.db', 'other-20261203T081500Z-rev1.db', 'etcd-ts-backup-20261203T081500Z-rev1.db.bak', 'snapshot.db'];
    for (const name of foreign) writeFileSync(join(directory, name), name);
    // An older backup of the same pattern (an earlier run) counts towards the retention.
    writeFileSync(join(directory, 'etcd-ts-backup-20251203T081500Z-rev999.db'), 'old');
    const { scheduler, clock, counts, state } = harness({ directory, retention: 2 });
    try {
      for (let run = 0; run < 5; run++) {
        state.revision += 5;
        await clock.advance(INTERVAL, () => rearmed(clock));
      }
      assert.equal(counts.succeeded, 5);
      const backups = readdirSync(directory).filter((name) => !foreign.includes(name)).sort();
      assert.deepEqual(backups, ['etcd-ts-backup-20261203T081900Z-rev30.db', 'etcd-ts-backup-20261203T082000Z-rev35.db']);
      for (const name of foreign) assert.equal(readFileSync(join(directory, name), 'utf8'), name, `${name} untouched`);
    } finally {
      await scheduler.stop();
    }
  });

  it('counts and logs a failed backup, and the next interval still runs', async () => {
    const { scheduler, clock, directory, counts, state, logger } = harness();
    try {
      await clock.advance(INTERVAL, () => rearmed(clock));
      state.fail = new Error('disk on fire');
      await clock.advance(INTERVAL, () => rearmed(clock));
      assert.equal(counts.failed, 1);
      const warning = logger.lines.find((line) => line.level === 'warn' && line.msg === 'failed to save backup');
      assert.ok(warning, JSON.stringify(logger.lines));
      assert.equal(warning.fields?.['error'], 'disk on fire');
      state.fail = undefined;
      await clock.advance(INTERVAL, () => rearmed(clock));
      assert.equal(counts.succeeded, 2);
      assert.equal(readdirSync(directory).length, 2, 'no partial file from the failed run');
      assert.equal(counts.lastSuccess, (START + 3 * INTERVAL) / 1000);
    } finally {
      await scheduler.stop();
    }
  });

  it('counts a backup directory it cannot create or write as a failure', async () => {
    const blocker = join(root, `a-file-${directoryNumber++}`);
    writeFileSync(blocker, 'not a directory');
    const { scheduler, clock, counts, logger } = harness({ directory: join(blocker, 'backups') });
    try {
      await clock.advance(2 * INTERVAL, () => rearmed(clock));
      assert.equal(counts.failed, 2);
      assert.equal(counts.succeeded, 0);
      assert.match(String(logger.lines.find((line) => line.msg === 'failed to save backup')?.fields?.['error']), /ENOTDIR|EEXIST/);
    } finally {
      await scheduler.stop();
    }
  });

  it('removes what an interrupted backup left behind at start, and nothing else', async () => {
    const directory = freshDirectory();
    mkdirSync(directory);
    writeFileSync(join(directory, '.etcd-ts-backup-20261203T081500Z-rev5.db.enc.tmp'), 'partial');
    mkdirSync(join(directory, '.etcd-ts-backup-20261203T081500Z-rev5.db.scratch'));
    writeFileSync(join(directory, '.hidden-of-someone-else.tmp'), 'keep');
    const { scheduler } = harness({ directory });
    await scheduler.stop();
    assert.deepEqual(readdirSync(directory), ['.hidden-of-someone-else.tmp']);
  });

  it('stop() cancels a backup under way and leaves no partial file', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const directory = freshDirectory();
    const { scheduler, clock, counts } = harness({
      directory,
      snapshot: async (scratch) => {
        mkdirSync(scratch);
        writeFileSync(join(scratch, 'snapshot.db'), randomBytes(1_000_000));
        await gate;
        return { path: join(scratch, 'snapshot.db'), size: 1_000_000, dispose: () => rmSync(scratch, { recursive: true, force: true }) };
      },
    });
    clock.now += INTERVAL;
    clock.fireDue();
    await waitFor('the backup to start', () => existsSync(directory) && readdirSync(directory).length > 0);
    const stopped = scheduler.stop();
    release();
    await stopped;
    assert.deepEqual(readdirSync(directory), []);
    assert.equal(counts.succeeded, 0);
    assert.equal(counts.failed, 1);
  });
});
