// The audit log (--audit-log-path, --enable-audit) of a real member with auth
// enabled: one JSON line per request with the method, the user, the key, the
// revision, the result and the gRPC code; a denied request and a request
// with no user are logged too; values, passwords and tokens never reach the
// file (also for `etcdctl user add` and `user passwd`); SIGHUP reopens the
// file after it was renamed (log rotation); --enable-audit writes
// <data-dir>/audit.log.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { connectWithToken, type AuthGrpcClient } from '../support/auth-grpc-client.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';

interface AuditLine {
  time: string;
  member: string;
  user?: string;
  certificateCN?: string;
  remote?: string;
  method: string;
  key?: string;
  keyBase64?: string;
  rangeEnd?: string;
  revision?: number;
  result: 'ok' | 'denied' | 'error';
  code: string;
  error?: string;
  dropped?: number;
}

const ROOT_PASSWORD = 'ROOT-PASSWORD-7f3a19';
const LIMITED_PASSWORD = 'LIMITED-PASSWORD-91c2d4';
const DAVE_FIRST_PASSWORD = 'DAVE-FIRST-PASSWORD-5e1d88';
const DAVE_SECOND_PASSWORD = 'DAVE-SECOND-PASSWORD-0b7c42';
const PASSWORDS = [ROOT_PASSWORD, LIMITED_PASSWORD, DAVE_FIRST_PASSWORD, DAVE_SECOND_PASSWORD];
const ROOT = `--user=root:${ROOT_PASSWORD}`;

function readLines(path: string): AuditLine[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  // Only complete lines: the member may be in the middle of a write.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditLine);
}

describe('the audit log', { timeout: 90_000 }, () => {
  const step = { timeout: 30_000 };
  let directory: string;
  let auditPath: string;
  let member: MemberProcess;
  const clients: AuthGrpcClient[] = [];
  let markers = 0;

  const client = (): AuthGrpcClient => {
    const made = connectWithToken(member.endpoint);
    clients.push(made);
    return made;
  };

  /**
   * Lines are written asynchronously, in order: once a marker request's line
   * is in the file, every line recorded before it is too.
   */
  async function flushed(path = auditPath): Promise<AuditLine[]> {
    const marker = `marker/${++markers}`;
    const anonymous = client();
    await assert.rejects(anonymous.kv.Range({ key: Buffer.from(marker) }), /user name is empty/);
    return waitFor(`the audit line of ${marker} in ${path}`, () => {
      const lines = readLines(path);
      return lines.some((line) => line.key === marker) ? lines : undefined;
    });
  }

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'audit-log-test-'));
    auditPath = join(directory, 'audit.log');
    member = await MemberProcess.start({ extraFlags: ['--bcrypt-cost=4', `--audit-log-path=${auditPath}`] });
    for (const args of [
      ['user', 'add', `root:${ROOT_PASSWORD}`],
      ['role', 'add', 'root'],
      ['user', 'grant-role', 'root', 'root'],
      ['role', 'add', 'limited'],
      ['role', 'grant-permission', 'limited', 'read', 'audit/', '--prefix'],
      ['user', 'add', `lim:${LIMITED_PASSWORD}`],
      ['user', 'grant-role', 'lim', 'limited'],
      ['auth', 'enable'],
    ]) {
      await etcdctlOk(member.endpoint, args);
    }
  });
  after(async () => {
    for (const made of clients) made.close();
    await stopAllMembers();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('writes one line each for an allowed put, a denied put and a range with no user', step, async () => {
    const root = client();
    const limited = client();
    const anonymous = client();
    const rootToken = await root.authenticate('root', ROOT_PASSWORD);
    const limitedToken = await limited.authenticate('lim', LIMITED_PASSWORD);

    const put = await root.kv.Put({ key: Buffer.from('audit/by-root'), value: Buffer.from('VALUE-OF-ROOT-PUT-3c9e') });
    await assert.rejects(limited.kv.Put({ key: Buffer.from('audit/by-lim'), value: Buffer.from('VALUE-OF-DENIED-PUT-a41f') }), (error: ServiceError) => {
      assert.match(error.details, /etcdserver: permission denied/);
      return true;
    });
    await assert.rejects(anonymous.kv.Range({ key: Buffer.from('audit/anonymous'), range_end: Buffer.from('audit/anonymouz') }), /etcdserver: user name is empty/);
    const read = await limited.kv.Range({ key: Buffer.from('audit/'), range_end: Buffer.from('audit0') });
    assert.equal(read.kvs.length, 1);

    const lines = await flushed();
    const about = (method: string, key: string) => lines.filter((line) => line.method === method && line.key === key);

    const putLines = about('/etcdserverpb.KV/Put', 'audit/by-root');
    assert.equal(putLines.length, 1, JSON.stringify(putLines));
    assert.equal(putLines[0]!.user, 'root');
    assert.equal(putLines[0]!.code, 'OK');
    assert.equal(putLines[0]!.result, 'ok');
    assert.equal(putLines[0]!.revision, Number(put.header.revision));
    assert.equal(putLines[0]!.error, undefined);

    const deniedLines = about('/etcdserverpb.KV/Put', 'audit/by-lim');
    assert.equal(deniedLines.length, 1, JSON.stringify(deniedLines));
    assert.equal(deniedLines[0]!.user, 'lim');
    assert.equal(deniedLines[0]!.code, 'PermissionDenied');
    assert.equal(deniedLines[0]!.result, 'denied');
    assert.equal(deniedLines[0]!.error, 'etcdserver: permission denied');

    const anonymousLines = about('/etcdserverpb.KV/Range', 'audit/anonymous');
    assert.equal(anonymousLines.length, 1, JSON.stringify(anonymousLines));
    assert.equal(anonymousLines[0]!.user, undefined);
    assert.equal(anonymousLines[0]!.rangeEnd, 'audit/anonymouz');
    assert.equal(anonymousLines[0]!.code, 'InvalidArgument');
    assert.equal(anonymousLines[0]!.result, 'error');
    assert.equal(anonymousLines[0]!.error, 'etcdserver: user name is empty');

    const rangeLines = lines.filter((line) => line.method === '/etcdserverpb.KV/Range' && line.key === 'audit/' && line.rangeEnd === 'audit0');
    assert.equal(rangeLines.length, 1);
    assert.equal(rangeLines[0]!.user, 'lim');
    assert.equal(rangeLines[0]!.code, 'OK');

    // The common fields, on every line.
    const memberIds = new Set(lines.map((line) => line.member));
    assert.equal(memberIds.size, 1);
    assert.match([...memberIds][0]!, /^[0-9a-f]+$/);
    for (const line of [putLines[0]!, deniedLines[0]!, anonymousLines[0]!]) {
      assert.ok(!Number.isNaN(Date.parse(line.time)) && line.time.endsWith('Z'), line.time);
      assert.match(line.remote ?? '', /127\.0\.0\.1:\d+/);
    }
    // The setup through etcdctl was logged as well (management calls before auth: no user).
    assert.ok(lines.some((line) => line.method === '/etcdserverpb.Auth/AuthEnable' && line.code === 'OK'));
    assert.ok(lines.some((line) => line.method === '/etcdserverpb.Auth/Authenticate' && line.code === 'OK'));

    const text = readFileSync(auditPath, 'utf8');
    for (const value of ['VALUE-OF-ROOT-PUT-3c9e', 'VALUE-OF-DENIED-PUT-a41f']) assert.ok(!text.includes(value), `the audit log contains the value ${value}`);
    for (const password of PASSWORDS) assert.ok(!text.includes(password), 'the audit log contains a password');
    for (const token of [rootToken, limitedToken]) assert.ok(!text.includes(token), 'the audit log contains an auth token');
  });

  it('does not write the password of etcdctl user add and passwd', step, async () => {
    await etcdctlOk(member.endpoint, ['user', 'add', 'dave', '--interactive=false', ROOT], { stdin: `${DAVE_FIRST_PASSWORD}\n` });
    // dave authenticates with the password given on stdin (and, with no role, may read nothing).
    const asDave = await etcdctl(member.endpoint, ['get', 'audit/by-root', `--user=dave:${DAVE_FIRST_PASSWORD}`]);
    assert.match(asDave.stderr, /etcdserver: permission denied/);
    await etcdctlOk(member.endpoint, ['user', 'passwd', 'dave', '--interactive=false', ROOT], { stdin: `${DAVE_SECOND_PASSWORD}\n` });
    await etcdctlOk(member.endpoint, ['user', 'add', `erin:${DAVE_SECOND_PASSWORD}`, ROOT]);
    const lines = await flushed();
    const userAdds = lines.filter((line) => line.method === '/etcdserverpb.Auth/UserAdd' && line.user === 'root');
    assert.equal(userAdds.length, 2, JSON.stringify(userAdds));
    assert.ok(userAdds.every((line) => line.code === 'OK'));
    const passwordChanges = lines.filter((line) => line.method === '/etcdserverpb.Auth/UserChangePassword');
    assert.equal(passwordChanges.length, 1);
    assert.equal(passwordChanges[0]!.user, 'root');
    assert.equal(passwordChanges[0]!.code, 'OK');
    const text = readFileSync(auditPath, 'utf8');
    for (const password of PASSWORDS) assert.ok(!text.includes(password), `the audit log contains a password (${password.split('-')[0]})`);
  });

  it('reopens the file on SIGHUP after it was renamed', step, async () => {
    await flushed();
    const rotated = `${auditPath}.1`;
    renameSync(auditPath, rotated);
    const pid = member.child?.pid;
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGHUP');
    await waitFor('the member to open a new audit log', () => existsSync(auditPath));

    const root = client();
    await root.authenticate('root', ROOT_PASSWORD);
    const put = await root.kv.Put({ key: Buffer.from('audit/after-rotation'), value: Buffer.from('VALUE-AFTER-ROTATION-77d0') });
    const fresh = await waitFor('the put in the new file', () => {
      const lines = readLines(auditPath);
      return lines.some((line) => line.key === 'audit/after-rotation') ? lines : undefined;
    });
    const line = fresh.find((entry) => entry.key === 'audit/after-rotation')!;
    assert.equal(line.method, '/etcdserverpb.KV/Put');
    assert.equal(line.user, 'root');
    assert.equal(line.revision, Number(put.header.revision));
    assert.ok(!fresh.some((entry) => entry.key === 'audit/by-root'), 'the new file starts empty');
    const old = readLines(rotated);
    assert.ok(old.some((entry) => entry.key === 'audit/by-root'), 'the rotated file keeps the earlier lines');
    assert.ok(!old.some((entry) => entry.key === 'audit/after-rotation'), 'nothing is written to the rotated file after SIGHUP');
    assert.ok(!readFileSync(auditPath, 'utf8').includes('VALUE-AFTER-ROTATION-77d0'));
    // The member survived the signal and keeps serving.
    assert.equal((await root.kv.Range({ key: Buffer.from('audit/after-rotation') })).kvs.length, 1);
  });

  it('writes <data-dir>/audit.log with --enable-audit', step, async () => {
    const second = await MemberProcess.start({ name: 'enable-audit', extraFlags: ['--enable-audit'] });
    const plain = connectWithToken(second.endpoint);
    clients.push(plain);
    const put = await plain.kv.Put({ key: Buffer.from('enable-audit/key'), value: Buffer.from('VALUE-ENABLE-AUDIT-19af') });
    const path = join(second.dataDir, 'audit.log');
    const lines = await waitFor(`the put in ${path}`, () => {
      const found = readLines(path);
      return found.some((line) => line.key === 'enable-audit/key') ? found : undefined;
    });
    const line = lines.find((entry) => entry.key === 'enable-audit/key')!;
    assert.equal(line.method, '/etcdserverpb.KV/Put');
    assert.equal(line.user, undefined, 'auth is off: no user');
    assert.equal(line.code, 'OK');
    assert.equal(line.result, 'ok');
    assert.equal(line.revision, Number(put.header.revision));
    assert.ok(!readFileSync(path, 'utf8').includes('VALUE-ENABLE-AUDIT-19af'));
    // Not the first member's file.
    assert.ok(!readLines(auditPath).some((entry) => entry.key === 'enable-audit/key'));
  });
});
