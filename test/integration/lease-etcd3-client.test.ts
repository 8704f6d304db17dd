// Leases through the `etcd3` npm client: grant, put with a lease, keepaliveOnce,
// automatic keep-alive, time-to-live with keys, list and revoke. Runs against our
// member; LEASE_TEST_MEMBER_KIND=etcd runs it against the real etcd.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { MemberProcess, stopAllMembers, type MemberKind } from '../support/member-process.js';
import { waitFor } from '../support/wait-for.js';

const memberKind = (process.env['LEASE_TEST_MEMBER_KIND'] ?? 'etcd-ts') as MemberKind;

describe(`leases through the etcd3 npm client (${memberKind})`, { timeout: 120_000 }, () => {
  let member: MemberProcess;
  let client: Etcd3;

  before(async () => {
    member = await MemberProcess.start({ kind: memberKind });
    client = new Etcd3({ hosts: member.clientUrl });
  });
  after(async () => {
    client?.close();
    await stopAllMembers();
  });

  it('grants, attaches, renews, reports and revokes', async () => {
    const lease = client.lease(30, { autoKeepAlive: false });
    try {
      const id = await lease.grant();
      await lease.put('npm/one').value('1');
      await lease.put('npm/two').value('2');
      const renewed = await lease.keepaliveOnce();
      assert.equal(renewed.ID, id);
      assert.equal(renewed.TTL, '30');

      const report = await client.leaseClient.leaseTimeToLive({ ID: id, keys: true });
      assert.equal(report.grantedTTL, '30');
      assert.ok(Number(report.TTL) >= 28 && Number(report.TTL) <= 30, report.TTL);
      assert.deepEqual(report.keys.map((key) => key.toString()).sort(), ['npm/one', 'npm/two']);
      const listed = await client.leaseClient.leaseLeases();
      assert.ok(listed.leases.some((status) => status.ID === id));

      await lease.revoke();
      assert.deepEqual(await client.getAll().prefix('npm/').keys(), []);
      const gone = await client.leaseClient.leaseTimeToLive({ ID: id, keys: false });
      assert.equal(gone.TTL, '-1');
    } finally {
      lease.release();
    }
  });

  it('keeps a short lease alive automatically, and loses it once released', async () => {
    const lease = client.lease(2);
    let released = false;
    try {
      let renewals = 0;
      lease.on('keepaliveSucceeded', () => renewals++);
      await lease.put('auto/kept').value('v');
      await waitFor('keep-alives spanning more than the TTL', () => renewals >= 4 || undefined, { timeoutMs: 20_000 });
      assert.equal(await client.get('auto/kept').string(), 'v');
      lease.release(); // stops keep-alives without revoking
      released = true;
      await waitFor('the key to expire', async () => (await client.get('auto/kept').string()) === null, { timeoutMs: 20_000, intervalMs: 200 });
    } finally {
      if (!released) lease.release();
    }
  });

  it('reports a revoked lease as lost to its keep-alive', async () => {
    const lease = client.lease(30, { autoKeepAlive: false });
    try {
      const id = await lease.grant();
      await client.leaseClient.leaseRevoke({ ID: id });
      await assert.rejects(lease.keepaliveOnce(), /lease not found|LeaseNotFound|expired or revoked/i);
    } finally {
      lease.release();
    }
  });
});
