// An application's test, as its authors would write it: a real etcd member per
// test, started from the package's public entry point.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { startMember, startCluster, MemberOptionError, type Member } from 'etcd-ts';

/** The code under test: settings kept under a prefix in etcd. */
async function saveColour(client: Etcd3, colour: string): Promise<void> {
  await client.put('settings/colour').value(colour);
}

test('saves a setting', async () => {
  await using member: Member = await startMember();
  const client = new Etcd3({ hosts: [...member.endpoints] });
  try {
    await saveColour(client, 'blue');
    assert.equal(await client.get('settings/colour').string(), 'blue');
  } finally {
    client.close();
  }
});

test('options are etcd flags in camelCase, and typos are caught', async () => {
  await using member = await startMember({ snapshotCount: 1000, quotaBackendBytes: 16 * 1024 * 1024 });
  assert.match(member.clientUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  await assert.rejects(startMember({ snapshotCont: 1 } as never), (error: Error) => error instanceof MemberOptionError && /did you mean "snapshotCount"/.test(error.message));
});

test('a setting survives the loss of one member of three', async () => {
  await using cluster = await startCluster({ size: 3, heartbeatInterval: 20, electionTimeout: 200 });
  const client = new Etcd3({ hosts: [...cluster.endpoints] });
  try {
    await saveColour(client, 'green');
    const leader = await cluster.waitLeader();
    await cluster.kill(cluster.indexOf(leader));
    await cluster.waitLeader();
    assert.equal(await client.get('settings/colour').string(), 'green');
  } finally {
    client.close();
  }
});
