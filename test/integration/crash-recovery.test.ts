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
});
