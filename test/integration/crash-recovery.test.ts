// kill -9 at random moments while writers run: after every restart each
// acknowledged put is present with the revision it was acknowledged at, and
// revisions continue with no gap and no reuse. Each put writes a new key,
// so the mod revisions of all keys must be exactly 2..current.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { connect } from '../support/grpc-client.js';
import { waitFor } from '../support/wait-for.js';
import { seededRandom } from '../../src/pkg/seeded-random.js';

const KILL_CYCLES = 20;
const WRITERS = 8;


describe('crash recovery', { timeout: 600_000 }, () => {
  after(stopAllMembers);

  it(`loses no acknowledged put across ${KILL_CYCLES} SIGKILLs`, async () => {
    const seed = Number(process.env['CRASH_TEST_SEED'] ?? Date.now() % 100000);
    const random = seededRandom(seed);
    // A small --snapshot-count makes kills land before, during and after Raft
    // snapshots, so restarts also read the WAL from a snapshot marker.
    const member = await MemberProcess.start({ extraFlags: ['--snapshot-count=250'] });
    const acknowledged = new Map<string, number>();
    let sequence = 0;

    for (let cycle = 0; cycle < KILL_CYCLES; cycle++) {
      const client = connect(member.endpoint, { deadlineMs: 5000 });
      let stopWriting = false;
      const writer = async () => {
        while (!stopWriting) {
          const key = `crash/${String(sequence++).padStart(8, '0')}`;
          try {
            const response = await client.kv.Put({ key: Buffer.from(key), value: Buffer.from(`value-of-${key}`) });
            acknowledged.set(key, Number(response.header.revision));
          } catch {
            return; // the member died under us; unacknowledged puts may or may not survive
          }
        }
      };
      const acknowledgedBefore = acknowledged.size;
      const killAfterAcks = acknowledgedBefore + 20 + Math.floor(random() * 400);
      const writers = Array.from({ length: WRITERS }, writer);
      await waitFor('writers to make progress', () => acknowledged.size >= killAfterAcks, { timeoutMs: 60_000, intervalMs: 1 });
      await member.kill();
      stopWriting = true;
      await Promise.all(writers);
      client.close();

      await member.launch();
      const verifier = connect(member.endpoint);
      try {
        const all = await verifier.kv.Range({ key: Buffer.from('crash/'), range_end: Buffer.from('crash0') });
        const stored = new Map<string, { value: string; modRevision: number }>();
        for (const kv of all.kvs) stored.set(kv.key.toString(), { value: kv.value.toString(), modRevision: Number(kv.mod_revision) });
        for (const [key, revision] of acknowledged) {
          const found = stored.get(key);
          assert.ok(found, `seed ${seed} cycle ${cycle}: acknowledged ${key} at revision ${revision} is missing`);
          assert.equal(found.value, `value-of-${key}`, `seed ${seed}: ${key} has the wrong value`);
          assert.equal(found.modRevision, revision, `seed ${seed}: ${key} moved from revision ${revision}`);
        }
        const revisions = [...stored.values()].map((entry) => entry.modRevision).sort((a, b) => a - b);
        const current = Number(all.header.revision);
        assert.equal(revisions.length, current - 1, `seed ${seed}: revisions 2..${current} should each hold one key`);
        revisions.forEach((revision, position) => assert.equal(revision, position + 2, `seed ${seed}: gap or reuse at revision ${position + 2}`));
        // Keys that survived without an acknowledgement are now part of history.
        for (const [key, entry] of stored) if (!acknowledged.has(key)) acknowledged.set(key, entry.modRevision);
      } finally {
        verifier.close();
      }
    }
    assert.ok(acknowledged.size > KILL_CYCLES * 20);
  });

  it('rebuilds from the WAL what the backend had not committed when killed', async () => {
    // The backend batch commits only on its timer or when full; with both out
    // of reach, everything acknowledged lives in the WAL alone at the kill.
    const member = await MemberProcess.start({ extraFlags: ['--backend-batch-interval=1h', '--backend-batch-limit=1000000'] });
    const client = connect(member.endpoint);
    const acknowledged = new Map<string, { value: string; modRevision: number }>();
    // An id of our choosing: int64 fields decode as JS numbers here.
    const lease = 424242;
    try {
      assert.equal(Number((await client.lease.LeaseGrant({ TTL: 3600, ID: lease })).ID), lease);
      for (let i = 0; i < 300; i++) {
        const key = `lag/${i % 100}`; // overwrites, so versions and create revisions matter too
        const value = `v${i}`;
        const response = await client.kv.Put({ key: Buffer.from(key), value: Buffer.from(value), lease: i % 7 === 0 ? lease : 0 });
        acknowledged.set(key, { value, modRevision: Number(response.header.revision) });
      }
    } finally {
      client.close();
    }
    await member.kill();
    await member.launch();
    const restoredIndex = /"consistent-index":(\d+)/.exec(member.output.split('restored last compact revision').pop()!);
    assert.ok(restoredIndex, 'the restart logs the backend\'s consistent index');
    assert.ok(Number(restoredIndex[1]) < 100, `the backend had not committed the puts (consistent index ${restoredIndex[1]})`);
    const verifier = connect(member.endpoint);
    try {
      const all = await verifier.kv.Range({ key: Buffer.from('lag/'), range_end: Buffer.from('lag0') });
      assert.equal(all.kvs.length, 100);
      assert.equal(Number(all.header.revision), 301);
      for (const kv of all.kvs) {
        const expected = acknowledged.get(kv.key.toString())!;
        assert.equal(kv.value.toString(), expected.value);
        assert.equal(Number(kv.mod_revision), expected.modRevision);
        assert.equal(Number(kv.version), 3);
      }
      const leased = await verifier.lease.LeaseTimeToLive({ ID: lease, keys: true });
      // A key's last put (i = 200..299) decides its lease.
      const expectedLeased = Array.from({ length: 100 }, (_, j) => j).filter((j) => (j + 200) % 7 === 0).map((j) => `lag/${j}`);
      assert.deepEqual(leased.keys.map((key: Buffer) => key.toString()).sort(), expectedLeased.sort());
    } finally {
      verifier.close();
    }
    await member.stop();
  });
});
