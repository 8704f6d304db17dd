// Two members must never share a data directory (they would both append to
// one WAL); a lock left behind by a killed member must not block a restart.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MemberProcess, SERVER_ENTRY, stopAllMembers } from '../support/member-process.js';
import { freePort } from '../support/free-port.js';

describe('data directory lock', { timeout: 60_000 }, () => {
  after(stopAllMembers);

  it('refuses a second member on the same data directory, and survives kill -9', async () => {
    const member = await MemberProcess.start();
    const clientPort = await freePort();
    const peerPort = await freePort();
    const second = spawnSync(
      process.execPath,
      [
        SERVER_ENTRY,
        `--data-dir=${member.dataDir}`,
        `--listen-client-urls=http://127.0.0.1:${clientPort}`,
        `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    assert.notEqual(second.status, 0);
    assert.match(second.stderr, /is in use by process/);

    await member.kill();
    await member.launch(); // the stale lock of the killed process is taken over
  });
});
