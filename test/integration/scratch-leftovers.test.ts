// Scratch leftovers of a crash during a snapshot, a defrag or a restore from
// a leader's snapshot: a member started on a data dir holding them removes
// them (and logs each), leaves other files alone, and serves its data.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { etcdctlOk } from '../support/etcdctl.js';

function logLines(output: string, msg: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => record['msg'] === msg);
}

describe('scratch leftovers at start', { timeout: 60_000 }, () => {
  after(stopAllMembers);

  it('removes what a crashed snapshot, defrag or restore left in member/snap, and nothing else', async () => {
    const member = await MemberProcess.start();
    await etcdctlOk(member.endpoint, ['put', 'foo', 'bar']);
    await member.kill();

    const snapDir = join(member.dataDir, 'member', 'snap');
    const leftovers = {
      defrag: join(snapDir, 'defrag.tmp'),
      serviceSnapshot: join(snapDir, 'snapshot-4242-1764750000000-k3j9x2.tmp'),
      raftSnapshot: join(snapDir, 'snapshot-4242-1764750000001.tmp'),
      restore: join(snapDir, 'data.mdb.restore.tmp'),
    };
    mkdirSync(leftovers.defrag);
    writeFileSync(join(leftovers.defrag, 'data.mdb'), Buffer.alloc(64 * 1024, 1));
    mkdirSync(leftovers.serviceSnapshot);
    writeFileSync(join(leftovers.serviceSnapshot, 'snapshot.db'), Buffer.alloc(64 * 1024, 2));
    mkdirSync(leftovers.raftSnapshot);
    writeFileSync(join(leftovers.raftSnapshot, 'data.mdb'), Buffer.alloc(1024, 3));
    writeFileSync(leftovers.restore, Buffer.alloc(1024, 4));
    // Names that only look alike stay.
    const kept = [join(snapDir, 'defrag.tmp.keep'), join(snapDir, 'snapshot-notes.tmp'), join(snapDir, 'my-snapshot-1-2.tmp')];
    for (const path of kept) writeFileSync(path, 'not ours');

    await member.launch();
    for (const path of Object.values(leftovers)) assert.equal(existsSync(path), false, `${path} is still there`);
    for (const path of kept) assert.equal(existsSync(path), true, `${path} was removed`);
    assert.deepEqual(
      logLines(member.output, 'found orphaned defragmentation file; deleting').map((record) => record['path']),
      [leftovers.defrag],
    );
    assert.deepEqual(
      logLines(member.output, 'found orphaned snapshot scratch directory; deleting').map((record) => record['path']).sort(),
      [leftovers.serviceSnapshot, leftovers.raftSnapshot].sort(),
    );
    assert.deepEqual(
      logLines(member.output, 'found orphaned snapshot restore file; deleting').map((record) => record['path']),
      [leftovers.restore],
    );
    assert.match(await etcdctlOk(member.endpoint, ['get', 'foo', '--print-value-only']), /^bar$/m);
  });
});
