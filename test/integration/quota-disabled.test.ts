// A real member started with --quota-backend-bytes=-1: it starts, logs
// etcd's "disabled backend quota", and takes writes. (That writes past 2 GiB
// are not refused is checked at unit level, test/server/quota-disabled.test.ts.)

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { etcdctlOk } from '../support/etcdctl.js';

describe('member with --quota-backend-bytes=-1', { timeout: 60_000 }, () => {
  after(stopAllMembers);

  it('starts with the quota disabled and takes writes', async () => {
    const member = await MemberProcess.start({ extraFlags: ['--quota-backend-bytes=-1'] });
    const records = member.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const disabled = records.filter((record) => record['msg'] === 'disabled backend quota');
    assert.equal(disabled.length, 1, member.output.slice(-3000));
    assert.equal(disabled[0]!['quota-size-bytes'], -1);
    assert.equal(disabled[0]!['caller'], 'storage/quota.go');
    assert.equal(records.filter((record) => String(record['msg']).startsWith('enabled backend quota')).length, 0);
    await etcdctlOk(member.endpoint, ['put', 'foo'], { stdin: 'x'.repeat(1024 * 1024) });
    assert.equal((await etcdctlOk(member.endpoint, ['alarm', 'list'])).trim(), '');
  });
});
