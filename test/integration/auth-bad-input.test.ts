// Bad Auth requests sent as raw gRPC (what etcdctl cannot send) to our member
// and to the real etcd 3.4: the same status code and message for each, and
// nothing changed by a refused request. Also tokens: garbage, a simple token
// of another cluster, none at all.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { loadGrpcPackage } from '../../src/proto/index.js';

type Call = (request: object, metadata?: grpc.Metadata) => Promise<{ code: number; details: string; response?: any }>;

function client(endpoint: string) {
  const etcdserverpb = loadGrpcPackage()['etcdserverpb'] as grpc.GrpcObject;
  const make = (service: string) => new (etcdserverpb[service] as grpc.ServiceClientConstructor)(endpoint.replace('http://', ''), grpc.credentials.createInsecure());
  const services = { Auth: make('Auth'), KV: make('KV') };
  const call = (service: keyof typeof services, method: string): Call => {
    const target = services[service] as unknown as Record<string, Function>;
    return (request, metadata = new grpc.Metadata()) =>
      new Promise((resolve) => {
        target[method]!.call(services[service], request, metadata, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null, response: unknown) =>
          resolve(error ? { code: error.code, details: error.details } : { code: 0, details: '', response }),
        );
      });
  };
  return { call, close: () => Object.values(services).forEach((service) => service.close()) };
}

interface Probe {
  name: string;
  service: 'Auth' | 'KV';
  method: string;
  request: object;
  token?: 'root' | 'garbage' | 'foreign';
}

// Run in order on both members, before and after auth is enabled.
const PROBES: Probe[] = [
  { name: 'user with empty name', service: 'Auth', method: 'UserAdd', request: { name: '', password: 'x' } },
  { name: 'role with empty name', service: 'Auth', method: 'RoleAdd', request: { name: '' } },
  { name: 'role for the permission probes', service: 'Auth', method: 'RoleAdd', request: { name: 'probe' } },
  { name: 'permission on an unknown role', service: 'Auth', method: 'RoleGrantPermission', request: { name: 'nobody', perm: { permType: 0, key: Buffer.from('k'), range_end: Buffer.alloc(0) } } },
  { name: 'revoke a permission never granted', service: 'Auth', method: 'RoleRevokePermission', request: { role: 'probe', key: Buffer.from('zz'), range_end: Buffer.alloc(0) } },
  { name: 'revoke from an unknown role', service: 'Auth', method: 'RoleRevokePermission', request: { role: 'nobody', key: Buffer.from('zz') } },
  { name: 'the role after the refusals', service: 'Auth', method: 'RoleGet', request: { role: 'probe' } },
  { name: 'grant to an unknown user', service: 'Auth', method: 'UserGrantRole', request: { user: 'nobody', role: 'probe' } },
  { name: 'revoke from an unknown user', service: 'Auth', method: 'UserRevokeRole', request: { name: 'nobody', role: 'probe' } },
  { name: 'delete an unknown user', service: 'Auth', method: 'UserDelete', request: { name: 'nobody' } },
  { name: 'password of an unknown user', service: 'Auth', method: 'UserChangePassword', request: { name: 'nobody', password: 'x' } },
  { name: 'get an unknown role', service: 'Auth', method: 'RoleGet', request: { role: 'nobody' } },
  { name: 'get an unknown user', service: 'Auth', method: 'UserGet', request: { name: 'nobody' } },
  { name: 'delete an unknown role', service: 'Auth', method: 'RoleDelete', request: { role: 'nobody' } },
  { name: 'authenticate with auth off', service: 'Auth', method: 'Authenticate', request: { name: 'root', password: 'rootpw' } },
  { name: 'enable without root', service: 'Auth', method: 'AuthEnable', request: {} },
  { name: 'root user', service: 'Auth', method: 'UserAdd', request: { name: 'root', password: 'rootpw' } },
  { name: 'enable without the root role', service: 'Auth', method: 'AuthEnable', request: {} },
  { name: 'root role', service: 'Auth', method: 'UserGrantRole', request: { user: 'root', role: 'root' } },
  { name: 'user without password', service: 'Auth', method: 'UserAdd', request: { name: 'nopw', options: { no_password: true } } },
  { name: 'enable', service: 'Auth', method: 'AuthEnable', request: {} },
  { name: 'authenticate a user without password', service: 'Auth', method: 'Authenticate', request: { name: 'nopw', password: '' } },
  { name: 'authenticate with a wrong password', service: 'Auth', method: 'Authenticate', request: { name: 'root', password: 'wrong' } },
  { name: 'authenticate an unknown user', service: 'Auth', method: 'Authenticate', request: { name: 'nobody', password: 'x' } },
  { name: 'put without a token', service: 'KV', method: 'Put', request: { key: Buffer.from('k'), value: Buffer.from('v') } },
  { name: 'range without a token', service: 'KV', method: 'Range', request: { key: Buffer.from('k') } },
  { name: 'put with a garbage token', service: 'KV', method: 'Put', request: { key: Buffer.from('k'), value: Buffer.from('v') }, token: 'garbage' },
  { name: 'range with a simple token of another cluster', service: 'KV', method: 'Range', request: { key: Buffer.from('k') }, token: 'foreign' },
  { name: 'user list without a token', service: 'Auth', method: 'UserList', request: {} },
  { name: 'delete root while enabled', service: 'Auth', method: 'UserDelete', request: { name: 'root' }, token: 'root' },
  { name: 'revoke root from root while enabled', service: 'Auth', method: 'UserRevokeRole', request: { name: 'root', role: 'root' }, token: 'root' },
  { name: 'put as root', service: 'KV', method: 'Put', request: { key: Buffer.from('k'), value: Buffer.from('v') }, token: 'root' },
  { name: 'disable', service: 'Auth', method: 'AuthDisable', request: {}, token: 'root' },
];

function describeOutcome(outcome: { code: number; details: string; response?: any }): string {
  if (outcome.code !== 0) return `code ${outcome.code}: ${outcome.details}`;
  const response = { ...outcome.response };
  delete response.header;
  delete response.token;
  return `OK ${JSON.stringify(response)}`;
}

describe('bad Auth requests and tokens: etcd-ts answers as etcd 3.4 does', { timeout: 180_000 }, () => {
  let ours: MemberProcess;
  let reference: MemberProcess;

  before(async () => {
    const flags = ['--bcrypt-cost=4'];
    [ours, reference] = await Promise.all([MemberProcess.start({ kind: 'etcd-ts', extraFlags: flags }), MemberProcess.start({ kind: 'etcd', extraFlags: flags })]);
  });
  after(stopAllMembers);

  it('refuses grants etcd 3.5 refuses (3.4 crashes on the first, stores the others)', async () => {
    const ourClient = client(ours.endpoint);
    const grant = (perm?: object) => ourClient.call('Auth', 'RoleGrantPermission')(perm ? { name: 'bare', perm } : { name: 'bare' });
    try {
      assert.equal(describeOutcome(await ourClient.call('Auth', 'RoleAdd')({ name: 'bare' })), 'OK {}');
      assert.equal(describeOutcome(await grant()), 'code 3: etcdserver: permission not given');
      const invalidRange = 'code 3: etcdserver: invalid auth management';
      assert.equal(describeOutcome(await grant({ permType: 0, key: Buffer.alloc(0), range_end: Buffer.alloc(0) })), invalidRange, 'empty key');
      assert.equal(describeOutcome(await grant({ permType: 0, key: Buffer.from('m'), range_end: Buffer.from('a') })), invalidRange, 'range end before its key');
      assert.equal(describeOutcome(await grant({ permType: 1, key: Buffer.from('m'), range_end: Buffer.from('m') })), invalidRange, 'range end equal to its key');
      assert.equal(describeOutcome(await ourClient.call('Auth', 'RoleGet')({ role: 'bare' })), 'OK {"perm":[]}', 'nothing stored');
      assert.equal(describeOutcome(await ourClient.call('Auth', 'RoleDelete')({ role: 'bare' })), 'OK {}');
    } finally {
      ourClient.close();
    }
  });

  it('gives the same code and message for every probe', async () => {
    const clients = [client(ours.endpoint), client(reference.endpoint)] as const;
    const rootTokens: Array<string | undefined> = [undefined, undefined];
    const mismatches: string[] = [];
    try {
      for (const probe of PROBES) {
        const outcomes = await Promise.all(
          clients.map(async (target, index) => {
            if (probe.token === 'root' && rootTokens[index] === undefined) {
              const authenticated = await target.call('Auth', 'Authenticate')({ name: 'root', password: 'rootpw' });
              assert.equal(authenticated.code, 0, `root authenticates on member ${index}: ${authenticated.details}`);
              rootTokens[index] = authenticated.response.token;
            }
            const metadata = new grpc.Metadata();
            if (probe.token === 'root') metadata.set('token', rootTokens[index]!);
            if (probe.token === 'garbage') metadata.set('token', 'not-a-token');
            if (probe.token === 'foreign') metadata.set('token', 'AbCdEfGhIjKlMnOp.12');
            return describeOutcome(await target.call(probe.service, probe.method)(probe.request, metadata));
          }),
        );
        if (process.env["DEBUG_PROBES"]) console.log(probe.name, outcomes);
        if (outcomes[0] !== outcomes[1]) mismatches.push(`${probe.name} (${probe.service}.${probe.method})\n  etcd-ts: ${outcomes[0]}\n  etcd:    ${outcomes[1]}`);
      }
    } finally {
      clients.forEach((target) => target.close());
    }
    assert.deepEqual(mismatches, [], mismatches.join('\n'));
  });
});
