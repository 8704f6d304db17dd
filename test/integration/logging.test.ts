// etcd's logging flags: --log-outputs sends the same JSON lines to several
// places (stderr and a file here), and --experimental-warning-apply-duration
// makes slow applies log etcd's "apply request took too long".

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';

describe('log outputs and slow-apply warnings', { timeout: 60_000 }, () => {
  const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-logging-'));
  after(async () => {
    await stopAllMembers();
    rmSync(directory, { recursive: true, force: true });
  });

  it('writes every line to stderr and to the file, and warns of applies slower than the threshold', async () => {
    const logFile = join(directory, 'member.log');
    // A threshold of 0 makes every apply "slow".
    const member = await MemberProcess.start({ extraFlags: [`--log-outputs=stderr,${logFile}`, '--experimental-warning-apply-duration=0s'] });
    await etcdctlOk(member.clientUrl, ['put', 'logged-key', 'secret-value']);
    const fileText = await waitFor('the warning in the file', () => {
      const text = readFileSync(logFile, 'utf8');
      return text.includes('apply request took too long') ? text : undefined;
    });
    assert.match(fileText, /"msg":"ready to serve client requests"/);
    const warning = fileText.split('\n').find((line) => line.includes('apply request took too long'))!;
    const fields = JSON.parse(warning) as Record<string, unknown>;
    assert.equal(fields['level'], 'warn');
    assert.equal(fields['expected-duration'], '0ms');
    assert.equal(fields['request'], 'put');
    assert.doesNotMatch(fileText, /secret-value/, 'values never reach the log');
    assert.match(member.output, /apply request took too long/, 'stderr has the same lines');
  });

  it('refuses "default" beside another output, as etcd does', async () => {
    await assert.rejects(MemberProcess.start({ extraFlags: ['--log-outputs=default,stdout'] }), /multi logoutput/);
  });
});
