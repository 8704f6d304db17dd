// The `etcd3` npm client's auth API against our member: users and roles
// created, granted and read back through the client, permissions on a key, a
// range and a prefix, auth enabled through the client; then a client with a
// limited user's credentials is allowed exactly what its role grants and gets
// the client's typed errors otherwise (EtcdPermissionDeniedError,
// EtcdAuthenticationFailedError), watches on an allowed prefix deliver events
// and on a forbidden one fail, and root lists users and roles and disables auth.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Etcd3,
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  EtcdRoleExistsError,
  EtcdRoleNotFoundError,
  EtcdUserExistsError,
  GRPCInvalidArgumentError,
  Range,
  type IKeyValue,
} from 'etcd3';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { waitFor } from '../support/wait-for.js';

describe('auth through the etcd3 npm client', { timeout: 90_000 }, () => {
  // Each step on its own clock: a hung client call fails its step, not the whole file at 90 s.
  const step = { timeout: 20_000 };
  let member: MemberProcess;
  /** Opened before auth is on: no credentials. */
  let anonymous: Etcd3;
  const clients: Etcd3[] = [];

  const clientAs = (username: string, password: string): Etcd3 => {
    const client = new Etcd3({ hosts: member.clientUrl, auth: { username, password } });
    clients.push(client);
    return client;
  };

  before(async () => {
    member = await MemberProcess.start({ extraFlags: ['--bcrypt-cost=4'] });
    anonymous = new Etcd3({ hosts: member.clientUrl });
    clients.push(anonymous);
  });
  after(async () => {
    for (const client of clients) client.close();
    await stopAllMembers();
  });

  it('creates users and roles, grants permissions and reads them back', step, async () => {
    await anonymous.user('root').create('root-pw');
    await anonymous.role('root').create();
    await anonymous.user('root').addRole('root');

    const app = anonymous.role('app');
    await app.create();
    await assert.rejects(anonymous.role('app').create(), EtcdRoleExistsError);
    await app.grant({ permission: 'Readwrite', range: Range.prefix('app/') });
    await app.grant({ permission: 'Read', key: 'config' });
    await app.grant([{ permission: 'Write', range: new Range('w/a', 'w/m') }]);
    const permissions = await app.permissions();
    const described = permissions.map((grant) => `${grant.permission} [${grant.range.start.toString()}, ${grant.range.end.toString()})`).sort();
    assert.deepEqual(described, ['Read [config, )', 'Readwrite [app/, app0)', 'Write [w/a, w/m)']);

    const carol = anonymous.user('carol');
    await carol.create('carol-pw');
    await assert.rejects(anonymous.user('carol').create('again'), EtcdUserExistsError);
    await carol.addRole('app');
    await assert.rejects(carol.addRole('missing'), EtcdRoleNotFoundError);
    assert.deepEqual((await carol.roles()).map((role) => role.name), ['app']);

    // A role granted and taken away again.
    await anonymous.role('temp').create();
    await carol.addRole('temp');
    await carol.removeRole('temp');
    await anonymous.role('temp').delete();
    assert.deepEqual((await carol.roles()).map((role) => role.name), ['app']);

    assert.deepEqual((await anonymous.getUsers()).map((user) => user.name).sort(), ['carol', 'root']);
    assert.deepEqual((await anonymous.getRoles()).map((role) => role.name).sort(), ['app', 'root']);

    await anonymous.put('config').value('c1');
    await anonymous.put('secret/1').value('s1');

    await anonymous.auth.authEnable();
    assert.equal((await clientAs('root', 'root-pw').auth.authStatus()).enabled, true);
  });

  it('refuses a client without credentials once auth is on', step, async () => {
    await assert.rejects(anonymous.get('config').string(), (error: Error) => {
      assert.ok(error instanceof GRPCInvalidArgumentError, `${error.constructor.name}: ${error.message}`);
      assert.match(error.message, /etcdserver: user name is empty/);
      return true;
    });
  });

  it('gives a limited user exactly what its roles grant', step, async () => {
    const carol = clientAs('carol', 'carol-pw');
    // readwrite on the prefix app/
    await carol.put('app/1').value('one');
    await carol.put('app/2').value('two');
    assert.equal(await carol.get('app/1').string(), 'one');
    assert.deepEqual(await carol.getAll().prefix('app/').strings(), { 'app/1': 'one', 'app/2': 'two' });
    await carol.delete().key('app/2');
    // read on the key config
    assert.equal(await carol.get('config').string(), 'c1');
    await assert.rejects(carol.put('config').value('c2').exec(), EtcdPermissionDeniedError);
    await assert.rejects(carol.getAll().prefix('config').strings(), EtcdPermissionDeniedError);
    // write on [w/a, w/m)
    await carol.put('w/b').value('b');
    await assert.rejects(carol.get('w/b').string(), EtcdPermissionDeniedError);
    await assert.rejects(carol.put('w/m').value('m').exec(), EtcdPermissionDeniedError);
    // nothing elsewhere
    await assert.rejects(carol.get('secret/1').string(), EtcdPermissionDeniedError);
    await assert.rejects(carol.put('secret/2').value('no').exec(), EtcdPermissionDeniedError);
    await assert.rejects(carol.delete().prefix('secret/').exec(), EtcdPermissionDeniedError);
    await assert.rejects(carol.getAll().strings(), EtcdPermissionDeniedError);
    // Transactions: every compare and every operation must be allowed.
    const allowed = await carol.if('app/1', 'Value', '==', 'one').then(carol.put('app/1').value('uno')).commit();
    assert.equal(allowed.succeeded, true);
    await assert.rejects(carol.if('secret/1', 'Value', '==', 's1').then(carol.put('app/1').value('x')).commit(), EtcdPermissionDeniedError);
    await assert.rejects(carol.if('app/1', 'Value', '==', 'uno').then(carol.put('secret/1').value('x')).commit(), EtcdPermissionDeniedError);
    // User and role management is root's.
    await assert.rejects(carol.getUsers(), EtcdPermissionDeniedError);
    await assert.rejects(carol.user('mallory').create('pw'), EtcdPermissionDeniedError);
    await assert.rejects(carol.auth.authDisable(), EtcdPermissionDeniedError);

    // Nothing carol was refused happened.
    const root = clientAs('root', 'root-pw');
    assert.deepEqual(await root.getAll().strings(), { 'app/1': 'uno', config: 'c1', 'secret/1': 's1', 'w/b': 'b' });
  });

  it('refuses a wrong password and an unknown user with the client authentication error', step, async () => {
    await assert.rejects(clientAs('carol', 'wrong-pw').get('app/1').string(), EtcdAuthenticationFailedError);
    await assert.rejects(clientAs('nobody', 'carol-pw').get('app/1').string(), EtcdAuthenticationFailedError);
    await assert.rejects(clientAs('root', 'carol-pw').getUsers(), EtcdAuthenticationFailedError);
  });

  it('delivers watch events on an allowed prefix and refuses a watch on a forbidden one', step, async () => {
    const carol = clientAs('carol', 'carol-pw');
    const root = clientAs('root', 'root-pw');
    const watcher = await carol.watch().prefix('app/').create();
    try {
      const events: string[] = [];
      watcher.on('put', (kv: IKeyValue) => events.push(`put ${kv.key.toString()}=${kv.value.toString()}`));
      watcher.on('delete', (kv: IKeyValue) => events.push(`delete ${kv.key.toString()}`));
      await root.put('app/w1').value('from-root');
      await carol.put('app/w2').value('from-carol');
      await root.put('secret/w').value('not for carol');
      await root.delete().key('app/w1');
      await waitFor('three events on app/', () => events.length >= 3);
      assert.deepEqual(events, ['put app/w1=from-root', 'put app/w2=from-carol', 'delete app/w1']);

      await assert.rejects(carol.watch().prefix('secret/').create(), (error: Error) => {
        assert.ok(error instanceof EtcdPermissionDeniedError, `${error.constructor.name}: ${error.message}`);
        return true;
      });
      // etcd3 1.1.2 stalls its create queue after a refused create (with the real etcd as well),
      // so a second forbidden watch is tried from a fresh client.
      await assert.rejects(clientAs('carol', 'carol-pw').watch().key('config2').create(), EtcdPermissionDeniedError);
      // The allowed watch still works after the refused ones.
      await root.put('app/w3').value('still');
      await waitFor('the event after the refused watches', () => events.includes('put app/w3=still'));
      assert.equal(events.length, 4);
    } finally {
      await watcher.cancel();
    }
  });

  it('lets root list users and roles, revoke, and disable auth', step, async () => {
    const root = clientAs('root', 'root-pw');
    assert.deepEqual((await root.getUsers()).map((user) => user.name).sort(), ['carol', 'root']);
    assert.deepEqual((await root.getRoles()).map((role) => role.name).sort(), ['app', 'root']);
    const status = await root.auth.authStatus();
    assert.equal(status.enabled, true);
    assert.ok(Number(status.authRevision) > 1, `auth revision ${status.authRevision}`);

    // Revoking the prefix takes effect for carol's next request.
    const carol = clientAs('carol', 'carol-pw');
    assert.equal(await carol.get('app/1').string(), 'uno');
    await root.role('app').revoke({ permission: 'Readwrite', range: Range.prefix('app/') });
    await assert.rejects(carol.get('app/1').string(), EtcdPermissionDeniedError);
    assert.equal(await carol.get('config').string(), 'c1');

    await root.auth.authDisable();
    assert.equal((await root.auth.authStatus()).enabled, false);
    // With auth off, anyone may do anything again.
    assert.equal(await anonymous.get('secret/1').string(), 's1');
    await anonymous.put('secret/2').value('open');
    assert.deepEqual((await anonymous.getUsers()).map((user) => user.name).sort(), ['carol', 'root']);
  });
});
