// Scheduled, encrypted backups on a real member process:
// - with --backup-interval 1s --backup-retention 2 and a key file, the member
//   writes a backup each second (counted on /metrics), and after three or
//   more only the newest two remain; `etcd-ts snapshot decrypt` refuses a
//   wrong key and an existing output, and turns the newest into a file the
//   real `etcdctl snapshot status` and `snapshot restore` accept; the real
//   etcd 3.4, and etcd-ts after `etcd-ts snapshot restore`, serve the keys;
// - an unwritable --backup-dir is logged and counted while the member keeps serving;
// - a key file that is not 32 raw bytes or 64 hex characters refuses the start.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MemberProcess, stopAllMembers, SERVER_ENTRY } from '../support/member-process.js';
import { ServerProcess, type MemberKind } from '../support/server-process.js';
import { etcdctlOk, ETCDCTL_BINARY } from '../support/etcdctl.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';

const BACKUP_NAME = /^etcd-ts-backup-\d{8}T\d{6}Z-rev(\d+)\.db\.enc$/;

function etcdTs(args: string[]) {
  return spawnSync(process.execPath, [SERVER_ENTRY, ...args], { encoding: 'utf8', timeout: 60_000 });
}

function etcdctlLocal(args: string[]) {
  return spawnSync(ETCDCTL_BINARY, args, { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 60_000 });
}

async function metric(member: MemberProcess, name: string): Promise<number> {
  const text = await (await fetch(`${member.clientUrl}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (match === null) throw new Error(`no ${name} in /metrics`);
  return Number(match[1]);
}

describe('scheduled encrypted backups on a real member', { timeout: 240_000 }, () => {
  const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-backup-it-'));
  const started: ServerProcess[] = [];
  after(async () => {
    await stopAllMembers();
    for (const process of started) await process.signalAndWait('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  });

  /** Starts a one-member `kind` on a restored `dataDir` (name m1 at `peerUrl`); returns its endpoint. */
  async function startOn(kind: MemberKind, dataDir: string, peerUrl: string): Promise<string> {
    const clientUrl = `http://127.0.0.1:${await freePort()}`;
    const process = new ServerProcess(kind, [
      '--name=m1',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=m1=${peerUrl}`,
    ]);
    started.push(process);
    await process.waitReady(`${kind} on the restored ${dataDir}`);
    return clientUrl.replace('http://', '');
  }

  async function keysOf(endpoint: string): Promise<string> {
    return etcdctlOk(endpoint, ['get', 'backup/', '--prefix']);
  }

  it('keeps the newest two of a 1s schedule; the newest decrypts into a snapshot etcdctl restores and etcd serves', async () => {
    const backupDir = join(directory, 'backups');
    const keyFile = join(directory, 'backup.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`);
    const member = await MemberProcess.start({
      extraFlags: [`--backup-dir=${backupDir}`, '--backup-interval=1s', '--backup-retention=2', `--backup-encryption-key-file=${keyFile}`],
    });
    for (let i = 0; i < 5; i++) await etcdctlOk(member.endpoint, ['put', `backup/k${i}`, `value-${i}`]);
    await etcdctlOk(member.endpoint, ['put', 'backup/k1', 'value-1-again']);
    await etcdctlOk(member.endpoint, ['del', 'backup/k4']);
    const expected = await keysOf(member.endpoint);
    const revision = (JSON.parse(await etcdctlOk(member.endpoint, ['get', 'backup/', '--prefix', '-w', 'json'])) as { header: { revision: number } }).header.revision;
    const successesBefore = await metric(member, 'etcd_ts_backup_success_total');
    // Three more backups after the writes: the retention has deleted at least one.
    await waitFor('three backups after the writes', async () => (await metric(member, 'etcd_ts_backup_success_total')) >= successesBefore + 3, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(await metric(member, 'etcd_ts_backup_failures_total'), 0);
    assert.ok((await metric(member, 'etcd_ts_backup_last_success_timestamp_seconds')) > Date.now() / 1000 - 30);
    await member.stop();
    const output = member.output;
    assert.ok((output.match(/"saved backup"/g) ?? []).length >= 3, output.slice(-3000));
    assert.match(output, /"deleted old backups"/);

    // Only the newest two remain, and nothing half-written.
    const files = readdirSync(backupDir).sort();
    assert.equal(files.length, 2, files.join(' '));
    for (const name of files) assert.match(name, BACKUP_NAME);
    const newest = files[1]!;
    assert.equal(Number(BACKUP_NAME.exec(newest)![1]), revision, 'the name carries the revision');

    // Bad input to decrypt: a wrong key, an existing output; the backup is untouched.
    const wrongKey = join(directory, 'wrong.key');
    writeFileSync(wrongKey, randomBytes(32));
    const plain = join(directory, 'restored.db');
    const refused = etcdTs(['snapshot', 'decrypt', join(backupDir, newest), '--key-file', wrongKey, '--output', plain]);
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /^Error: .*wrong key or corrupted file\n$/);
    assert.equal(existsSync(plain), false);
    const badKey = etcdTs(['snapshot', 'decrypt', join(backupDir, newest), `--key-file=${keyFile}x`, `--output=${plain}`]);
    assert.equal(badKey.status, 1);
    assert.match(badKey.stderr, /cannot read encryption key file/);

    const decrypted = etcdTs(['snapshot', 'decrypt', join(backupDir, newest), '--key-file', keyFile, '--output', plain]);
    assert.equal(decrypted.status, 0, decrypted.stderr);
    const again = etcdTs(['snapshot', 'decrypt', join(backupDir, newest), '--key-file', keyFile, '--output', plain]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists; refusing to overwrite it/);

    // The real etcdctl accepts it: status (which checks nothing but reads bbolt) and restore (which checks the sha256).
    const status = etcdctlLocal(['snapshot', 'status', plain, '-w', 'json']);
    assert.equal(status.status, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as { revision: number; totalKey: number };
    assert.equal(parsed.revision, revision);
    assert.ok(parsed.totalKey > 0);
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const etcdDataDir = join(directory, 'etcd-restored');
    const restored = etcdctlLocal(['snapshot', 'restore', plain, '--data-dir', etcdDataDir, '--name', 'm1', '--initial-cluster', `m1=${peerUrl}`, '--initial-advertise-peer-urls', peerUrl]);
    assert.equal(restored.status, 0, restored.stderr);
    const etcdEndpoint = await startOn('etcd', etcdDataDir, peerUrl);
    assert.equal(await keysOf(etcdEndpoint), expected);
    assert.match(expected, /backup\/k1\nvalue-1-again\n/);
    assert.doesNotMatch(expected, /backup\/k4/);

    // And etcd-ts restores it too.
    const etcdTsPeerUrl = `http://127.0.0.1:${await freePort()}`;
    const etcdTsDataDir = join(directory, 'etcd-ts-restored');
    const restoredTs = etcdTs(['snapshot', 'restore', plain, '--data-dir', etcdTsDataDir, '--name', 'm1', '--initial-cluster', `m1=${etcdTsPeerUrl}`, '--initial-advertise-peer-urls', etcdTsPeerUrl]);
    assert.equal(restoredTs.status, 0, restoredTs.stderr);
    assert.equal(await keysOf(await startOn('etcd-ts', etcdTsDataDir, etcdTsPeerUrl)), expected);
  });

  it('logs and counts backups into a directory it cannot create, and keeps serving', async () => {
    const blocker = join(directory, 'not-a-directory');
    writeFileSync(blocker, 'a file');
    const member = await MemberProcess.start({ extraFlags: [`--backup-dir=${join(blocker, 'backups')}`, '--backup-interval=1s'] });
    await waitFor('two failed backups', async () => (await metric(member, 'etcd_ts_backup_failures_total')) >= 2, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(await metric(member, 'etcd_ts_backup_success_total'), 0);
    assert.equal(await metric(member, 'etcd_ts_backup_last_success_timestamp_seconds'), 0);
    await etcdctlOk(member.endpoint, ['put', 'still', 'serving']);
    assert.equal(await etcdctlOk(member.endpoint, ['get', 'still', '--print-value-only']), 'serving\n');
    assert.match(member.output, /"level":"warn".*"msg":"failed to save backup".*ENOTDIR/);
    assert.ok(member.child !== undefined && member.child.exitCode === null, 'the member is still running');
  });

  it('refuses to start with a key file that is not 32 raw bytes or 64 hex characters', async () => {
    const keyFile = join(directory, 'short.key');
    writeFileSync(keyFile, randomBytes(31));
    const clientUrl = `http://127.0.0.1:${await freePort()}`;
    const peerUrl = `http://127.0.0.1:${await freePort()}`;
    const result = etcdTs([
      `--data-dir=${join(directory, 'never-started')}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      `--backup-dir=${join(directory, 'never-backups')}`,
      `--backup-encryption-key-file=${keyFile}`,
    ]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /failed to start etcd.*--backup-encryption-key-file: .*short\.key: an encryption key must be 32 raw bytes or 64 hex characters, got 31 bytes/);
    assert.equal(existsSync(join(directory, 'never-backups')), false);
  });
});
