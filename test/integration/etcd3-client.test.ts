// The `etcd3` npm client, an independent implementation of etcd's API,
// against a real member process.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';

describe('etcd3 npm client', { timeout: 120_000 }, () => {
  let member: MemberProcess;
  let client: Etcd3;

  before(async () => {
    member = await MemberProcess.start();
    client = new Etcd3({ hosts: member.clientUrl });
  });
  after(async () => {
    client?.close();
    await stopAllMembers();
  });

  it('puts, gets and deletes keys', async () => {
    await client.put('greeting').value('hello');
    assert.equal(await client.get('greeting').string(), 'hello');
    await client.put('greeting').value('hi');
    const fullKv = await client.get('greeting').exec();
    assert.equal(fullKv.kvs.length, 1);
    assert.equal(fullKv.kvs[0]!.version, '2');
    await client.delete().key('greeting');
    assert.equal(await client.get('greeting').string(), null);
  });

  it('lists by prefix with sorting, limits and counts', async () => {
    for (const name of ['b', 'a', 'c', 'd']) await client.put(`list/${name}`).value(name.toUpperCase());
    await client.put('listing').value('outside the prefix');
    assert.deepEqual(await client.getAll().prefix('list/').keys(), ['list/a', 'list/b', 'list/c', 'list/d']);
    assert.deepEqual(await client.getAll().prefix('list/').sort('Key', 'Descend').limit(2).keys(), ['list/d', 'list/c']);
    assert.equal(await client.getAll().prefix('list/').count(), 4);
    assert.deepEqual(await client.getAll().prefix('list/').strings(), { 'list/a': 'A', 'list/b': 'B', 'list/c': 'C', 'list/d': 'D' });
    const deleted = await client.delete().prefix('list/').exec();
    assert.equal(deleted.deleted, '4');
    assert.equal(await client.get('listing').string(), 'outside the prefix');
  });

  it('runs compare-and-swap transactions', async () => {
    await client.put('lock').value('free');
    const taken = await client.if('lock', 'Value', '==', 'free').then(client.put('lock').value('mine')).else(client.get('lock')).commit();
    assert.equal(taken.succeeded, true);
    const refused = await client.if('lock', 'Value', '==', 'free').then(client.put('lock').value('theirs')).else(client.get('lock')).commit();
    assert.equal(refused.succeeded, false);
    assert.equal(refused.responses[0]!.response_range!.kvs[0]!.value.toString(), 'mine');
    const versioned = await client.if('lock', 'Version', '>', 1).then(client.delete().key('lock')).commit();
    assert.equal(versioned.succeeded, true);
    assert.equal(await client.get('lock').string(), null);
  });

  it('reads history at an old revision and reports compaction', async () => {
    const first = await client.put('history').value('v1').exec();
    await client.put('history').value('v2');
    const revision = first.header.revision;
    assert.equal(await client.get('history').revision(revision).string(), 'v1');
    assert.equal(await client.get('history').string(), 'v2');
    await client.kv.compact({ revision: Number(revision) + 1, physical: true });
    await assert.rejects(client.get('history').revision(revision).string(), /required revision has been compacted/);
  });

  it('reports the member through maintenance and cluster calls', async () => {
    const status = await client.maintenance.status();
    assert.equal(status.leader, status.header.member_id);
    const members = await client.cluster.memberList({});
    assert.equal(members.members.length, 1);
    assert.equal(members.members[0]!.name, 'default');
    assert.deepEqual(members.members[0]!.clientURLs, [member.clientUrl]);
  });
});
