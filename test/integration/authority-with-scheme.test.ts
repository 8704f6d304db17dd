// Clients that send the endpoint URL, scheme and all, as the HTTP/2
// :authority ("http://127.0.0.1:2379"): grpc-go does for etcdctl's
// per-endpoint commands (`endpoint status`, anything with --cluster). Node's
// HTTP/2 resets such streams; the client port rewrites the authority.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { EtcdctlWatch } from '../mvcc/watch/watch-clients.js';
import { waitFor } from '../support/wait-for.js';

interface EndpointStatus {
  Endpoint: string;
  Status: { header: { member_id: number | string }; leader: number | string };
}

describe('an :authority with a scheme', { timeout: 120_000 }, () => {
  let member: MemberProcess;

  before(async () => {
    member = await MemberProcess.start();
  });
  after(stopAllMembers);

  it('etcdctl endpoint status -w json with --endpoints=http://…', async () => {
    const result = await etcdctl(member.clientUrl, ['endpoint', 'status', '-w', 'json']);
    assert.equal(result.code, 0, `etcdctl failed: ${result.stderr}`);
    const statuses = JSON.parse(result.stdout) as EndpointStatus[];
    assert.equal(statuses.length, 1);
    assert.equal(statuses[0]!.Endpoint, member.clientUrl);
    assert.equal(String(statuses[0]!.Status.leader), String(statuses[0]!.Status.header.member_id));
  });

  it('etcdctl endpoint status --cluster (the members\' advertised client URLs)', async () => {
    for (const endpoint of [member.endpoint, member.clientUrl]) {
      const result = await etcdctl(endpoint, ['endpoint', 'status', '--cluster', '-w', 'json']);
      assert.equal(result.code, 0, `etcdctl failed: ${result.stderr}`);
      const statuses = JSON.parse(result.stdout) as EndpointStatus[];
      assert.deepEqual(statuses.map((status) => status.Endpoint), [member.clientUrl]);
    }
    const health = await etcdctl(member.clientUrl, ['endpoint', 'health', '--cluster']);
    assert.equal(health.code, 0, `etcdctl failed: ${health.stderr}`);
    assert.match(health.stdout + health.stderr, /is healthy/);
  });

  it('etcdctl put, get and watch still work with an http:// endpoint', async () => {
    const watch = new EtcdctlWatch(member.clientUrl, ['--prefix', 'etcdctl/']);
    try {
      await waitFor('the etcdctl watch to be established', async () => {
        await etcdctlOk(member.clientUrl, ['put', 'etcdctl/probe', 'x']);
        return watch.output.includes('etcdctl/probe');
      });
      await etcdctlOk(member.clientUrl, ['put', 'etcdctl/a', 'one']);
      assert.equal(await etcdctlOk(member.clientUrl, ['get', 'etcdctl/a', '--print-value-only']), 'one\n');
      await watch.waitForText('PUT\netcdctl/a\none\n');
    } finally {
      await watch.stop();
    }
  });

  it('a client whose every request has such an authority: many requests, a watch, a lease (rewritten path)', async () => {
    // grpc-js sends its default_authority verbatim, and Node's HPACK encoder
    // indexes it: every request after the first refers to the dynamic table.
    const client = new Etcd3({
      hosts: member.clientUrl,
      grpcOptions: { 'grpc.default_authority': member.clientUrl },
    });
    try {
      for (let i = 0; i < 50; i++) await client.put(`rewritten/${i}`).value(`v${i}`);
      const all = await client.getAll().prefix('rewritten/').strings();
      assert.equal(Object.keys(all).length, 50);
      assert.equal(all['rewritten/49'], 'v49');
      await Promise.all(Array.from({ length: 100 }, (_, i) => client.get(`rewritten/${i % 50}`).string()));

      const watcher = await client.watch().prefix('watched/').create();
      const events: string[] = [];
      watcher.on('put', (kv) => events.push(`${kv.key.toString()}=${kv.value.toString()}`));
      await client.put('watched/a').value('1');
      await client.put('watched/b').value('2');
      await waitFor('two watch events', () => events.length >= 2);
      assert.deepEqual(events, ['watched/a=1', 'watched/b=2']);
      await watcher.cancel();

      const lease = client.lease(30, { autoKeepAlive: false });
      await lease.put('leased').value('yes');
      assert.ok(Number((await lease.keepaliveOnce()).TTL) > 0);
      await lease.revoke();
      assert.equal(await client.get('leased').string(), null);
    } finally {
      client.close();
    }
  });
});
