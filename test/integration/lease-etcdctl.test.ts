// Leases through the real etcdctl (Debian's etcd-client 3.4): grant, put
// --lease, timetolive --keys, list, keep-alive, revoke, and expiry deleting the
// leased keys. Runs against our member; LEASE_TEST_MEMBER_KIND=etcd runs the same
// file against the real etcd, which is how these expectations were checked.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { MemberProcess, stopAllMembers, type MemberKind } from '../support/member-process.js';
import { ETCDCTL_BINARY, type CommandResult } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';

const memberKind = (process.env['LEASE_TEST_MEMBER_KIND'] ?? 'etcd-ts') as MemberKind;

// Like support/etcdctl.ts, but with no stdin: writing to the stdin of an etcdctl
// that already exited fails with EPIPE, which polling loops here would hit.
function etcdctl(endpoint: string, args: string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(ETCDCTL_BINARY, [`--endpoints=${endpoint}`, '--dial-timeout=5s', '--command-timeout=10s', ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function etcdctlOk(endpoint: string, args: string[]): Promise<string> {
  const result = await etcdctl(endpoint, args);
  if (result.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** `lease 694d77aa9e38260f granted with TTL(10s)` → the hex ID and the TTL. */
function parseGrant(stdout: string): { hexId: string; ttlSeconds: number } {
  const match = /^lease ([0-9a-f]{16}) granted with TTL\((\d+)s\)$/m.exec(stdout);
  assert.ok(match, `unexpected grant output: ${stdout}`);
  return { hexId: match[1]!, ttlSeconds: Number(match[2]) };
}

describe(`leases through etcdctl (${memberKind})`, { timeout: 120_000 }, () => {
  let member: MemberProcess;
  const ctl = (args: string[]) => etcdctlOk(member.endpoint, args);

  before(async () => {
    member = await MemberProcess.start({ kind: memberKind });
  });
  after(async () => {
    await stopAllMembers();
  });

  it('grants with the TTL asked for, raises short ones to the minimum, refuses too large ones', async () => {
    assert.equal(parseGrant(await ctl(['lease', 'grant', '30'])).ttlSeconds, 30);
    assert.equal(parseGrant(await ctl(['lease', 'grant', '1'])).ttlSeconds, 2);
    const json = JSON.parse(await ctl(['-w', 'json', 'lease', 'grant', '60'])) as { ID: number; TTL: number; revision: number };
    assert.equal(json.TTL, 60);
    assert.ok(json.ID > 0);
    const tooLarge = await etcdctl(member.endpoint, ['lease', 'grant', '9000000001']);
    assert.notEqual(tooLarge.code, 0);
    assert.match(tooLarge.stderr, /Error: failed to grant lease \(etcdserver: too large lease TTL\)/);
  });

  it('attaches keys, reports them, keeps alive once, lists, and revokes them in one revision', async () => {
    const { hexId } = parseGrant(await ctl(['lease', 'grant', '30']));
    await ctl(['put', '--lease', hexId, 'leased/one', 'v1']);
    await ctl(['put', '--lease', hexId, 'leased/two', 'v2']);
    await ctl(['put', 'unleased', 'v']);

    const report = await ctl(['lease', 'timetolive', '--keys', hexId]);
    const match = new RegExp(`^lease ${hexId} granted with TTL\\(30s\\), remaining\\((\\d+)s\\), attached keys\\(\\[(.*)\\]\\)$`, 'm').exec(report);
    assert.ok(match, report);
    assert.ok(Number(match[1]) >= 25 && Number(match[1]) <= 30, report);
    assert.deepEqual(match[2]!.split(' ').sort(), ['leased/one', 'leased/two']); // etcd lists them in map order
    const withoutKeys = await ctl(['lease', 'timetolive', hexId]);
    assert.match(withoutKeys, new RegExp(`^lease ${hexId} granted with TTL\\(30s\\), remaining\\(\\d+s\\)$`, 'm'));

    assert.match(await ctl(['lease', 'keep-alive', '--once', hexId]), new RegExp(`^lease ${hexId} keepalived with TTL\\(30\\)$`, 'm'));
    const list = await ctl(['lease', 'list']);
    assert.match(list, /^found \d+ leases$/m);
    assert.ok(list.split('\n').includes(hexId), list);

    const before = JSON.parse(await ctl(['-w', 'json', 'get', 'unleased'])).header.revision as number;
    assert.match(await ctl(['lease', 'revoke', hexId]), new RegExp(`^lease ${hexId} revoked$`, 'm'));
    const after = JSON.parse(await ctl(['-w', 'json', 'get', 'leased/', '--prefix'])) as { header: { revision: number }; kvs?: unknown[] };
    assert.equal(after.header.revision, before + 1, 'both keys deleted at one revision');
    assert.equal(after.kvs, undefined);
    assert.equal((await ctl(['get', 'unleased'])).trim(), 'unleased\nv');

    assert.match(await ctl(['lease', 'timetolive', hexId]), new RegExp(`^lease ${hexId} already expired$`, 'm'));
    const again = await etcdctl(member.endpoint, ['lease', 'revoke', hexId]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Error: failed to revoke lease \(etcdserver: requested lease not found\)/);
  });

  it('refuses a put with an unknown lease and a keep-alive of one', async () => {
    const put = await etcdctl(member.endpoint, ['put', '--lease', '1234abcd', 'orphan', 'v']);
    assert.notEqual(put.code, 0);
    assert.match(put.stderr, /Error: etcdserver: requested lease not found/);
    const keepAlive = await etcdctl(member.endpoint, ['lease', 'keep-alive', '--once', '1234abcd']);
    assert.notEqual(keepAlive.code, 0);
    assert.match(keepAlive.stderr, /requested lease not found|expired or revoked/);
  });

  it('deletes the keys of a lease that expires', async () => {
    const { hexId } = parseGrant(await ctl(['lease', 'grant', '2']));
    await ctl(['put', '--lease', hexId, 'expiring', 'v']);
    await waitFor('the leased key to be deleted on expiry', async () => (await ctl(['get', 'expiring'])) === '', { timeoutMs: 20_000, intervalMs: 200 });
    assert.match(await ctl(['lease', 'timetolive', hexId]), /already expired/);
    assert.ok(!(await ctl(['lease', 'list'])).split('\n').includes(hexId));
  });

  it('keeps a lease alive while `etcdctl lease keep-alive` runs, and lets it expire after', async () => {
    const { hexId } = parseGrant(await ctl(['lease', 'grant', '2']));
    await ctl(['put', '--lease', hexId, 'kept', 'v']);
    const keeper = spawn(ETCDCTL_BINARY, [`--endpoints=${member.endpoint}`, 'lease', 'keep-alive', hexId], {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    keeper.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    keeper.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      // etcdctl renews every TTL/3: six renewals span more than the 2 s TTL.
      const keptAlive = new RegExp(`^lease ${hexId} keepalived with TTL\\(2\\)$`, 'gm');
      await waitFor('six keep-alive responses', () => (output.match(keptAlive)?.length ?? 0) >= 6 || undefined, { timeoutMs: 20_000 });
      assert.equal((await ctl(['get', 'kept', '--print-value-only'])).trim(), 'v');
    } finally {
      keeper.kill('SIGKILL');
    }
    await waitFor('the key to expire once keep-alive stopped', async () => (await ctl(['get', 'kept'])) === '', { timeoutMs: 20_000, intervalMs: 200 });
  });
});
