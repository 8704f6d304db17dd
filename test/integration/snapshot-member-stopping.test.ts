// `etcdctl snapshot save` against a member that receives SIGTERM while it
// serves the snapshot (50 MB of values): once while the snapshot is being
// prepared (before any chunk), once mid-stream. Each time etcdctl fails with
// "etcdserver: server stopped" (it neither hangs retrying nor keeps a
// truncated file), and the member exits promptly with code 0, leaving no
// scratch directory. Restarted, it serves a complete snapshot.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';

const VALUE_BYTES = 1024 * 1024;
const VALUES = 50;

function partSize(file: string): number {
  return existsSync(`${file}.part`) ? statSync(`${file}.part`).size : -1;
}

function scratchDirectories(member: MemberProcess): string[] {
  return readdirSync(join(member.dataDir, 'member', 'snap')).filter((name) => /^snapshot-.*\.tmp$/.test(name));
}

/** SIGTERM, then how long the member took to exit and how it exited. */
async function terminate(member: MemberProcess): Promise<{ ms: number; code: number | null; signal: string | null }> {
  const startedMs = performance.now();
  await member.stop();
  return { ms: performance.now() - startedMs, code: member.child!.exitCode, signal: member.child!.signalCode };
}

describe('snapshot from a member being stopped', { timeout: 180_000 }, () => {
  after(stopAllMembers);

  it('fails with a clear error, keeps no partial file, and the member exits promptly and cleanly', async (t) => {
    const member = await MemberProcess.start();
    const value = 'v'.repeat(VALUE_BYTES);
    for (let i = 0; i < VALUES; i++) await etcdctlOk(member.endpoint, ['put', `key${i}`], { stdin: value });
    const directory = join(member.dataDir, '..');

    // 1. SIGTERM while the member prepares the snapshot (its scratch copy exists, nothing streamed yet).
    const early = join(directory, 'early.db');
    const earlySave = etcdctl(member.endpoint, ['snapshot', 'save', early], { timeoutMs: 60_000 });
    await waitFor('the member to start preparing the snapshot', () => scratchDirectories(member).length > 0 && partSize(early) === 0, { timeoutMs: 30_000 });
    const earlyExit = await terminate(member);
    const earlyResult = await earlySave;
    assert.equal(earlyExit.code, 0, `member exited ${earlyExit.code ?? earlyExit.signal} after ${earlyExit.ms} ms:\n${member.output.slice(-3000)}`);
    assert.ok(earlyExit.ms < 5000, `member took ${earlyExit.ms} ms to exit`);
    assert.notEqual(earlyResult.code, 0, earlyResult.stdout);
    assert.notEqual(earlyResult.code, null, 'etcdctl hung until killed');
    assert.match(earlyResult.stderr, /etcdserver: server stopped/);
    assert.equal(existsSync(early), false, 'a snapshot file was left');
    assert.equal(existsSync(`${early}.part`), false, 'a partial file was left');

    // 2. SIGTERM mid-stream.
    await member.launch();
    const mid = join(directory, 'mid.db');
    const midSave = etcdctl(member.endpoint, ['snapshot', 'save', mid], { timeoutMs: 60_000 });
    await waitFor('the snapshot to be half-way', () => partSize(mid) >= 4 * 1024 * 1024, { timeoutMs: 30_000, intervalMs: 5 });
    const received = partSize(mid);
    const midExit = await terminate(member);
    const midResult = await midSave;
    assert.equal(midExit.code, 0, `member exited ${midExit.code ?? midExit.signal}:\n${member.output.slice(-3000)}`);
    assert.ok(midExit.ms < 5000, `member took ${midExit.ms} ms to exit`);
    assert.ok(received < VALUES * VALUE_BYTES, `the whole snapshot had arrived (${received} bytes) before SIGTERM`);
    assert.notEqual(midResult.code, 0, `a truncated snapshot was reported saved: ${midResult.stdout}`);
    assert.match(midResult.stderr, /etcdserver: server stopped/);
    assert.equal(existsSync(mid), false, 'a truncated snapshot file was left');
    assert.deepEqual(scratchDirectories(member), [], 'the scratch directory was left');

    t.diagnostic(`exit after SIGTERM: ${earlyExit.ms.toFixed(0)} ms while preparing, ${midExit.ms.toFixed(0)} ms mid-stream (${received} bytes received)`);

    // 3. Restarted, the member serves a whole snapshot.
    await member.launch();
    const whole = join(directory, 'whole.db');
    await etcdctlOk(member.endpoint, ['snapshot', 'save', whole]);
    const status = await etcdctlOk(member.endpoint, ['snapshot', 'status', whole, '-w', 'json']);
    const totalKey = /"totalKey":(\d+)/.exec(status);
    assert.ok(totalKey, status);
    assert.ok(Number(totalKey[1]) >= VALUES, status);
  });
});
