// Restarts keep everything: keys and their history after Raft snapshots have
// compacted the log, compaction progress, and leases — a lease kept alive
// across a restart does not expire, and its keys stay.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { connect } from '../support/grpc-client.js';
import { waitFor } from '../support/wait-for.js';
import { etcdctlOk } from '../support/etcdctl.js';

describe('restart', { timeout: 180_000 }, () => {
  after(stopAllMembers);

  it('keeps keys, history and compaction across snapshots and restarts', async () => {
    const member = await MemberProcess.start({ extraFlags: ['--snapshot-count=100'] });
    let client = connect(member.endpoint);
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 150 }, (_, i) => client.kv.Put({ key: Buffer.from(`key/${i}`), value: Buffer.from(`round-${round}`) })));
    }
    const before = await client.kv.Range({ key: Buffer.from('key/'), range_end: Buffer.from('key0') });
    const revision = Number(before.header.revision);
    await client.kv.Compact({ revision: revision - 100, physical: true });
    client.close();

    const snapshotFiles = readdirSync(join(member.dataDir, 'member', 'snap')).filter((name) => name.endsWith('.snap'));
    assert.ok(snapshotFiles.length >= 1, 'a snapshot was taken');
    const log = member.output;
    assert.match(log, /saved snapshot/);

    await member.restart();
    client = connect(member.endpoint);
    try {
      const after = await client.kv.Range({ key: Buffer.from('key/'), range_end: Buffer.from('key0') });
      assert.equal(Number(after.header.revision), revision);
      assert.equal(after.kvs.length, 150);
      for (const kv of after.kvs) assert.equal(kv.value.toString(), 'round-2');
      assert.deepEqual(
        after.kvs.map((kv: { mod_revision: number }) => Number(kv.mod_revision)),
        before.kvs.map((kv: { mod_revision: number }) => Number(kv.mod_revision)),
      );
      // History above the compaction is still readable; below it is gone.
      const old = await client.kv.Range({ key: Buffer.from('key/0'), revision: revision - 50 });
      assert.equal(old.kvs.length, 1);
      await assert.rejects(client.kv.Range({ key: Buffer.from('key/0'), revision: revision - 150 }), /required revision has been compacted/);
      const next = await client.kv.Put({ key: Buffer.from('after-restart'), value: Buffer.from('x') });
      assert.equal(Number(next.header.revision), revision + 1, 'revisions continue with no gap and no reuse');
    } finally {
      client.close();
    }
  });

  it('keeps a lease kept alive across a restart, and its keys', async () => {
    const member = await MemberProcess.start();
    const granted = await etcdctlOk(member.endpoint, ['lease', 'grant', '3']);
    const leaseId = /lease ([0-9a-f]+) granted/.exec(granted)?.[1];
    assert.ok(leaseId, granted);
    await etcdctlOk(member.endpoint, ['put', `--lease=${leaseId}`, 'leased', 'alive']);

    await member.restart();
    // Keep it alive through more than twice its TTL after the restart.
    const keepAliveUntil = Date.now() + 7000;
    while (Date.now() < keepAliveUntil) {
      const renewed = await etcdctlOk(member.endpoint, ['lease', 'keep-alive', '--once', leaseId]);
      assert.match(renewed, /keepalived with TTL\(3\)/);
      assert.equal(await etcdctlOk(member.endpoint, ['get', 'leased', '--print-value-only']), 'alive\n');
      await new Promise((resolve) => setTimeout(resolve, 500)); // a client's keep-alive cadence, not a wait for a condition
    }
    // Left alone, it expires and takes its key with it.
    await waitFor('the lease to expire after keep-alives stop', async () => (await etcdctlOk(member.endpoint, ['get', 'leased'])) === '', {
      timeoutMs: 15_000,
      intervalMs: 200,
    });
  });

  it('with --experimental-enable-lease-checkpoint, a restart keeps the remaining TTL instead of resetting it', async () => {
    const member = await MemberProcess.start({
      extraFlags: ['--experimental-enable-lease-checkpoint', '--experimental-lease-checkpoint-interval=500ms'],
    });
    const granted = await etcdctlOk(member.endpoint, ['lease', 'grant', '30']);
    const leaseId = /lease ([0-9a-f]+) granted/.exec(granted)?.[1];
    assert.ok(leaseId, granted);
    const remaining = async () => {
      const text = await etcdctlOk(member.endpoint, ['lease', 'timetolive', leaseId]);
      return Number(/remaining\((-?\d+)s\)/.exec(text)?.[1]);
    };
    // Let the lease run down; with 500 ms checkpoints the remainder is recorded many times over.
    await waitFor('the lease to run down to 26 s or less', async () => (await remaining()) <= 26, { timeoutMs: 15_000, intervalMs: 250 });
    await member.restart();
    const afterRestart = await remaining();
    // Without checkpoints etcd renews to TTL + election timeout (31 s); with them the remainder survives.
    assert.ok(afterRestart <= 28, `remaining TTL after restart was ${afterRestart} s`);
    assert.ok(afterRestart > 0);
  });
});
