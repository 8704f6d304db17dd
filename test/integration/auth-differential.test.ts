// etcdctl's user, role and auth commands against our member and against the
// real etcd 3.4, in the same order: outputs (and error texts) must match once
// ids, terms and addresses are masked. Covers enabling auth, root rules,
// key, range, prefix and from-key permissions, reads and writes as a limited
// user, txn, leases, watch creation, wrong passwords and bad tokens.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import type { CommandResult } from '../support/etcdctl.js';
import { etcdctlMismatches, normalizeEtcdctl, type EtcdctlStep } from '../support/etcdctl-differential.js';

const ROOT = ['--user=root:rootpw'];
const ALICE = ['--user=alice:alicepw'];

const STEPS: EtcdctlStep[] = [
  // Before auth: management works for anyone; enabling needs root.
  { args: ['auth', 'enable'] },
  { args: ['user', 'add', 'root:rootpw'] },
  { args: ['user', 'add', 'root:again'] },
  { args: ['user', 'add', ':nopw'] },
  { args: ['auth', 'enable'] },
  { args: ['role', 'add', 'root'] },
  { args: ['user', 'grant-role', 'root', 'root'] },
  { args: ['user', 'get', 'root'] },
  { args: ['role', 'get', 'root'] },
  { args: ['role', 'add', ''] },
  { args: ['role', 'add', 'reader'] },
  { args: ['role', 'add', 'reader'] },
  { args: ['role', 'grant-permission', 'reader', 'read', 'foo'] },
  { args: ['role', 'grant-permission', 'reader', 'readwrite', 'pre/', '--prefix'] },
  { args: ['role', 'grant-permission', 'reader', 'write', 'a', 'c'] },
  { args: ['role', 'grant-permission', 'reader', 'read', 'z', '--from-key'] },
  { args: ['role', 'grant-permission', 'nobody', 'read', 'foo'] },
  { args: ['role', 'get', 'reader'] },
  { args: ['role', 'get', 'reader', '-w', 'json'] },
  { args: ['role', 'list'] },
  { args: ['user', 'add', 'alice:alicepw'] },
  { args: ['user', 'grant-role', 'alice', 'reader'] },
  { args: ['user', 'grant-role', 'alice', 'missing'] },
  { args: ['user', 'grant-role', 'bob', 'reader'] },
  { args: ['user', 'list'] },
  { args: ['user', 'get', 'alice', '--detail'] },
  { args: ['put', 'foo', 'before-auth'] },
  { args: ['auth', 'enable'] },
  { args: ['auth', 'enable'] },
  // With auth on.
  { args: ['put', 'foo', 'x'] },
  { args: ['get', 'foo'] },
  { args: ['get', 'foo', '--user=root:wrong'] },
  { args: ['get', 'foo', '--user=nobody:pw'] },
  { args: ['get', 'foo', ...ROOT] },
  { args: ['get', 'foo', ...ALICE] },
  { args: ['put', 'foo', 'y', ...ALICE] },
  { args: ['put', 'pre/1', 'p1', ...ALICE] },
  { args: ['get', 'pre/', '--prefix', ...ALICE] },
  { args: ['get', 'pre', '--prefix', ...ALICE] },
  { args: ['put', 'b', 'inside', ...ALICE] },
  { args: ['put', 'c', 'outside', ...ALICE] },
  { args: ['get', 'b', ...ALICE] },
  { args: ['del', 'a', 'c', ...ALICE] },
  { args: ['del', 'pre/', '--prefix', '--prev-kv', ...ALICE] },
  { args: ['get', 'zz', ...ALICE] },
  { args: ['get', 'z', '--from-key', ...ALICE] },
  { args: ['get', 'y', '--from-key', ...ALICE] },
  { args: ['txn', ...ALICE], stdin: 'value("foo") = "before-auth"\n\nput pre/t yes\n\nput pre/t no\n\n' },
  { args: ['txn', ...ALICE], stdin: 'value("foo") = "before-auth"\n\nput elsewhere yes\n\n\n' },
  { args: ['txn', ...ALICE], stdin: 'value("secret") = "1"\n\nput pre/t yes\n\n\n' },
  { args: ['user', 'list', ...ALICE] },
  { args: ['user', 'get', 'alice', ...ALICE] },
  { args: ['user', 'get', 'root', ...ALICE] },
  { args: ['role', 'get', 'reader', ...ALICE] },
  { args: ['role', 'get', 'root', ...ALICE] },
  { args: ['auth', 'disable', ...ALICE] },
  { args: ['compaction', '1', ...ROOT] },
  { args: ['user', 'delete', 'root', ...ROOT] },
  { args: ['user', 'revoke-role', 'root', 'root', ...ROOT] },
  { args: ['role', 'delete', 'root', ...ROOT] },
  { args: ['role', 'revoke-permission', 'reader', 'pre/', '--prefix', ...ROOT] },
  { args: ['role', 'revoke-permission', 'reader', 'pre/', '--prefix', ...ROOT] },
  { args: ['get', 'pre/t', ...ALICE] },
  { args: ['user', 'passwd', 'alice', '--interactive=false', ...ROOT], stdin: 'newpw\n' },
  { args: ['get', 'foo', ...ALICE] },
  { args: ['get', 'foo', '--user=alice:newpw'] },
  { args: ['user', 'revoke-role', 'alice', 'reader', ...ROOT] },
  { args: ['user', 'revoke-role', 'alice', 'reader', ...ROOT] },
  { args: ['get', 'foo', '--user=alice:newpw'] },
  { args: ['role', 'delete', 'reader', ...ROOT] },
  { args: ['role', 'delete', 'reader', ...ROOT] },
  { args: ['user', 'delete', 'alice', ...ROOT] },
  { args: ['user', 'delete', 'alice', ...ROOT] },
  { args: ['member', 'list', ...ROOT] },
  // etcd 3.4 grants a lease to nobody; 3.5 (and we) ask for a user.
  { args: ['lease', 'grant', '100', ...ROOT] },
  { args: ['auth', 'disable', ...ROOT] },
  { args: ['auth', 'disable'] },
  { args: ['get', 'foo'] },
  { args: ['user', 'list'] },
];

/** Lease ids and member ids differ between the two members. */
const normalize = (result: CommandResult) =>
  normalizeEtcdctl(result, [
    [/lease [0-9a-f]+ granted/g, 'lease <id> granted'],
    [/^[0-9a-f]{1,16}, started/gm, '<id>, started'],
  ]);

describe('etcdctl user, role and auth commands against etcd-ts and the real etcd 3.4', { timeout: 300_000 }, () => {
  let ours: MemberProcess;
  let reference: MemberProcess;

  before(async () => {
    const flags = ['--bcrypt-cost=4'];
    [ours, reference] = await Promise.all([MemberProcess.start({ kind: 'etcd-ts', extraFlags: flags }), MemberProcess.start({ kind: 'etcd', extraFlags: flags })]);
  });
  after(stopAllMembers);

  it('gives the same output for every command', async () => {
    const mismatches = await etcdctlMismatches(ours, reference, STEPS, normalize);
    assert.deepEqual(mismatches, [], mismatches.join('\n\n'));
  });
});
