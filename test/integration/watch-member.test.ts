// Watch against a real member process with real clients: etcdctl and the etcd3 npm
// client. WATCH_TEST_KINDS=etcd runs the same tests against etcd 3.4 (to check them).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { MemberProcess, stopAllMembers, type MemberKind } from '../support/member-process.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';
import { EtcdctlWatch } from '../mvcc/watch/watch-clients.js';

after(stopAllMembers);

const kinds = (process.env['WATCH_TEST_KINDS'] ?? 'etcd-ts').split(',') as MemberKind[];

for (const kind of kinds) {
  test(`${kind}: etcdctl watch --prefix --prev-kv sees live writes; a killed watcher leaves the server serving`, async () => {
    const member = await MemberProcess.start({ kind });
    const live = new EtcdctlWatch(member.endpoint, ['--prefix', '--prev-kv', 'app/']);
    try {
      // Writes repeat until the watch (created asynchronously) reports the first one.
      await waitFor('the watch to be established', async () => {
        await etcdctlOk(member.endpoint, ['put', 'app/probe', 'x']);
        return live.output.includes('app/probe');
      });
      const start = live.output.length;
      await etcdctlOk(member.endpoint, ['put', 'app/a', '1']);
      await etcdctlOk(member.endpoint, ['put', 'app/a', '2']);
      await etcdctlOk(member.endpoint, ['del', 'app/a']);
      await etcdctlOk(member.endpoint, ['put', 'other', 'not watched']);
      await etcdctlOk(member.endpoint, ['put', 'app/z', 'end']);
      await live.waitForText('app/z\nend\n');
      assert.equal(live.output.slice(start), 'PUT\napp/a\n1\nPUT\napp/a\n1\napp/a\n2\nDELETE\napp/a\n2\napp/a\n\nPUT\napp/z\nend\n');
      // A client that disappears mid-stream: the server cleans up and keeps serving.
      const doomed = new EtcdctlWatch(member.endpoint, ['--rev=1', '--prefix', '']);
      await doomed.waitForText('app/z');
      await doomed.stop();
      await etcdctlOk(member.endpoint, ['put', 'app/after', 'ok']);
      await live.waitForText('app/after\nok\n');
    } finally {
      await live.stop();
      await member.destroy();
    }
  });

  test(`${kind}: etcd3 npm client watchers (prefix from a revision, key with previous value, cancel)`, async () => {
    const member = await MemberProcess.start({ kind });
    const client = new Etcd3({ hosts: member.clientUrl });
    try {
      const first = await client.put('svc/a').value('1').exec();
      const firstRevision = Number(first.header.revision);
      await client.put('svc/b').value('2').exec();
      const seen: string[] = [];
      const prefixWatcher = await client.watch().prefix('svc/').startRevision(String(firstRevision)).create();
      prefixWatcher.on('put', (kv) => seen.push(`put ${kv.key.toString()}=${kv.value.toString()}`));
      prefixWatcher.on('delete', (kv) => seen.push(`delete ${kv.key.toString()}`));
      const keyEvents: string[] = [];
      const keyWatcher = await client.watch().key('svc/a').withPreviousKV().create();
      keyWatcher.on('put', (kv, previous) => keyEvents.push(`${kv.value.toString()} prev=${previous?.value.toString()}`));
      await client.put('svc/a').value('3').exec();
      await client.delete().key('svc/b').exec();
      await waitFor('the prefix watcher to see history and live events', () => seen.length === 4);
      assert.deepEqual(seen, ['put svc/a=1', 'put svc/b=2', 'put svc/a=3', 'delete svc/b']);
      await waitFor('the key watcher to see its event', () => keyEvents.length === 1);
      assert.deepEqual(keyEvents, ['3 prev=1']);
      await keyWatcher.cancel();
      await client.put('svc/a').value('4').exec();
      await waitFor('the prefix watcher to see the last put', () => seen.length === 5);
      assert.deepEqual(keyEvents, ['3 prev=1'], 'a canceled watcher gets nothing more');
      await prefixWatcher.cancel();
    } finally {
      client.close();
      await member.destroy();
    }
  });
}
