// Maintenance.HashKV against the real etcd 3.4: the same history (puts,
// overwrites, deletes, multi-op txns, a leased key, logical and physical
// compactions) on both members, then the hash at every revision must be equal,
// through `etcdctl endpoint hashkv -w json` and through raw gRPC, errors for
// compacted and future revisions included. Both members start empty, so the
// revisions line up. Leases are granted with a fixed id on both, since the id is
// part of the hashed KeyValue bytes. HASHKV_DIFF_VERBOSE=1 prints both hashes
// after every step.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadGrpcPackage } from '../../src/proto/index.js';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { connect, type EtcdGrpcClient } from '../support/grpc-client.js';

interface Step {
  args: string[];
  stdin?: string;
}

const LEASE_ID = 0x1234;

const STEPS: Step[] = [
  { args: ['put', 'foo', 'bar'] },
  { args: ['put', 'foo', 'bar2'] },
  { args: ['put', 'a', '1'] },
  { args: ['put', 'b', ''] },
  { args: ['put', 'leased', 'v', `--lease=${LEASE_ID.toString(16)}`] },
  { args: ['put', 'foo', 'bar3'] },
  { args: ['del', 'a'] },
  { args: ['put', 'a', 'again'] },
  { args: ['txn'], stdin: 'value("foo") = "bar3"\n\nput t1 x\nput t2 y\ndel b\nput foo bar4\n\n\n' },
  { args: ['put', 'z', 'zz'] },
  { args: ['compaction', '4'] },
  { args: ['put', 'foo', 'bar5'] },
  { args: ['del', 't', '--prefix'] },
  { args: ['put', 't1', 'back'] },
  { args: ['compaction', '--physical', '8'] }, // on the tombstone of a
  { args: ['put', 'a', 'after-compaction'] },
  { args: ['del', 'z'] },
  { args: ['put', 'k\u00e9y', 'v\u00e4lue'] },
  { args: ['compaction', '--physical', '15'] },
  { args: ['put', 'foo', 'last'] },
  // No key live, then a compaction on those tombstones: etcd's keep set is empty.
  { args: ['del', '', '--from-key'] },
  { args: ['compaction', '--physical', '19'] },
  { args: ['put', 'b', 'new'] },
  { args: ['del', 'b'] },
];

interface HashKvClient {
  HashKV(request: { revision: number }): Promise<{ header: { revision: number }; hash: number; compact_revision: number }>;
  Hash(request: object): Promise<{ header: { revision: number }; hash: number }>;
  close(): void;
}

function hashKvClient(endpoint: string): HashKvClient {
  const etcdserverpb = loadGrpcPackage()['etcdserverpb'] as grpc.GrpcObject;
  const client = new (etcdserverpb['Maintenance'] as grpc.ServiceClientConstructor)(endpoint, grpc.credentials.createInsecure());
  const unary =
    (method: string) =>
    (request: object): Promise<any> =>
      new Promise((resolve, reject) => {
        (client as unknown as Record<string, Function>)[method]!.call(client, request, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null, response: any) =>
          error ? reject(error) : resolve(response),
        );
      });
  return { HashKV: unary('HashKV'), Hash: unary('Hash'), close: () => client.close() };
}

/** What must agree: the hash, the compact revision and the revision, or the error's code and text. */
async function hashAt(client: HashKvClient, revision: number): Promise<string> {
  try {
    const response = await client.HashKV({ revision });
    return `hash=${response.hash} compact=${response.compact_revision} revision=${response.header.revision}`;
  } catch (error) {
    const serviceError = error as grpc.ServiceError;
    return `error ${grpc.status[serviceError.code]} ${serviceError.details}`;
  }
}

/** `etcdctl endpoint hashkv -w json` without the member-specific header fields and the endpoint. */
async function etcdctlHashKv(member: MemberProcess, revision?: number): Promise<string> {
  const args = ['endpoint', 'hashkv', '-w', 'json', ...(revision === undefined ? [] : [`--rev=${revision}`])];
  const result = await etcdctl(member.endpoint, args);
  if (result.code !== 0) return `exit=${result.code} ${result.stderr.split('\n').filter((line) => line.startsWith('Error:')).join(' ')}`;
  const [entry] = JSON.parse(result.stdout) as { HashKV: { header: { revision: number }; hash: number; compact_revision: number } }[];
  return `hash=${entry!.HashKV.hash} compact=${entry!.HashKV.compact_revision} revision=${entry!.HashKV.header.revision}`;
}

describe('HashKV against the real etcd 3.4', { timeout: 240_000 }, () => {
  const members: MemberProcess[] = [];
  const grpcClients: EtcdGrpcClient[] = [];
  const hashClients: HashKvClient[] = [];

  before(async () => {
    members.push(...(await Promise.all([MemberProcess.start({ kind: 'etcd-ts' }), MemberProcess.start({ kind: 'etcd' })])));
    for (const member of members) {
      grpcClients.push(connect(member.endpoint));
      hashClients.push(hashKvClient(member.endpoint));
    }
  });
  after(async () => {
    for (const client of [...grpcClients, ...hashClients]) client.close();
    await stopAllMembers();
  });

  it('gives the same hash at every revision after every step', async () => {
    const [ours, reference] = members as [MemberProcess, MemberProcess];
    // The lease is granted outside the revision history (a grant does not bump it).
    for (const client of grpcClients) await client.lease.LeaseGrant({ TTL: 3600, ID: LEASE_ID });
    const mismatches: string[] = [];
    const compare = async (context: string): Promise<void> => {
      const [ourCurrent, referenceCurrent] = await Promise.all([etcdctlHashKv(ours), etcdctlHashKv(reference)]);
      if (process.env['HASHKV_DIFF_VERBOSE']) console.log(context, ourCurrent, referenceCurrent);
      if (ourCurrent !== referenceCurrent) mismatches.push(`${context} etcdctl endpoint hashkv: etcd-ts ${ourCurrent} / etcd ${referenceCurrent}`);
      const currentRevision = Number(/revision=(\d+)/.exec(referenceCurrent)?.[1] ?? 0);
      for (let revision = 0; revision <= currentRevision + 1; revision++) {
        const [ourHash, referenceHash] = await Promise.all(hashClients.map((client) => hashAt(client, revision)));
        if (ourHash !== referenceHash) mismatches.push(`${context} HashKV(${revision}): etcd-ts ${ourHash} / etcd ${referenceHash}`);
      }
    };
    await compare('empty store');
    for (const step of STEPS) {
      await Promise.all(members.map((member) => etcdctlOk(member.endpoint, step.args, { stdin: step.stdin })));
      await compare(`after etcdctl ${step.args.join(' ')}:`);
    }
    // etcdctl's own rendering of the OutOfRange errors, and a hash at an older revision.
    for (const revision of [3, 19, 20, 99]) {
      const [ourText, referenceText] = await Promise.all(members.map((member) => etcdctlHashKv(member, revision)));
      if (ourText !== referenceText) mismatches.push(`etcdctl endpoint hashkv --rev=${revision}: etcd-ts ${ourText} / etcd ${referenceText}`);
    }
    assert.deepEqual(mismatches, [], mismatches.join('\n'));
    // Maintenance.Hash (the whole backend) cannot equal etcd's (membership and meta
    // buckets differ), but it answers with the current revision, as etcd does.
    const [ourHash, referenceHash] = await Promise.all(hashClients.map((client) => client.Hash({})));
    assert.equal(ourHash!.header.revision, referenceHash!.header.revision);
    assert.equal(typeof ourHash!.hash, 'number');
    // The comparison compared something: both hashed real history.
    assert.match(await hashAt(hashClients[0]!, 0), /^hash=\d+ compact=19 revision=21$/);
  });
});
