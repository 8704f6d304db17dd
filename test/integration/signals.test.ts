// Signals as etcd takes them: SIGHUP ends a member that has no audit log to
// reopen (a member started on a terminal that goes away must not live on and
// hold its ports); SIGTERM stops it cleanly.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { waitFor } from '../support/wait-for.js';

after(stopAllMembers);

describe('signals', () => {
  it('SIGHUP ends a member without an audit log', async () => {
    const member = await MemberProcess.start();
    const child = member.child!;
    child.kill('SIGHUP');
    await waitFor('the member to exit on SIGHUP', () => child.exitCode !== null || child.signalCode !== null || undefined, { timeoutMs: 10_000 });
    assert.equal(child.signalCode, 'SIGHUP');
  });

  it('SIGTERM stops a member cleanly (exit code 0)', async () => {
    const member = await MemberProcess.start();
    const child = member.child!;
    child.kill('SIGTERM');
    await waitFor('the member to exit on SIGTERM', () => child.exitCode !== null || child.signalCode !== null || undefined, { timeoutMs: 20_000 });
    assert.equal(child.exitCode, 0);
  });
});
