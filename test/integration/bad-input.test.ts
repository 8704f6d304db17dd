// Bad input gets etcd's error (same gRPC code and text) and the member keeps
// serving: empty keys, oversized values and txns, malformed ranges, unknown
// fields, future and compacted revisions, clients that vanish mid-request.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { connect, type EtcdGrpcClient } from '../support/grpc-client.js';

async function expectGrpcError(promise: Promise<unknown>, code: grpc.status, message: string): Promise<void> {
  await assert.rejects(promise, (error: grpc.ServiceError) => {
    assert.equal(error.code, code, `code for "${error.details}"`);
    assert.equal(error.details, message);
    return true;
  });
}

describe('bad input', { timeout: 120_000 }, () => {
  let member: MemberProcess;
  let client: EtcdGrpcClient;

  before(async () => {
    member = await MemberProcess.start({ extraFlags: ['--max-txn-ops=4', '--max-request-bytes=65536'] });
    client = connect(member.endpoint);
  });
  after(async () => {
    client?.close();
    await stopAllMembers();
  });

  it('refuses empty keys', async () => {
    await expectGrpcError(client.kv.Put({ key: Buffer.alloc(0), value: Buffer.from('v') }), grpc.status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
    await expectGrpcError(client.kv.Range({ key: Buffer.alloc(0) }), grpc.status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
    await expectGrpcError(client.kv.DeleteRange({ key: Buffer.alloc(0) }), grpc.status.INVALID_ARGUMENT, 'etcdserver: key is not provided');
  });

  it('refuses requests over --max-request-bytes without losing anything', async () => {
    await client.kv.Put({ key: Buffer.from('big'), value: Buffer.from('small') });
    await expectGrpcError(
      client.kv.Put({ key: Buffer.from('big'), value: Buffer.alloc(70_000, 120) }),
      grpc.status.INVALID_ARGUMENT,
      'etcdserver: request is too large',
    );
    const response = await client.kv.Range({ key: Buffer.from('big') });
    assert.equal(response.kvs[0].value.toString(), 'small');
  });

  it('refuses messages beyond the gRPC receive limit', async () => {
    await assert.rejects(client.kv.Put({ key: Buffer.from('huge'), value: Buffer.alloc(2 * 1024 * 1024) }), (error: grpc.ServiceError) => {
      assert.equal(error.code, grpc.status.RESOURCE_EXHAUSTED);
      return true;
    });
  });

  it('refuses txns with too many ops or duplicate keys', async () => {
    const put = (key: string) => ({ request_put: { key: Buffer.from(key), value: Buffer.from('v') } });
    await expectGrpcError(
      client.kv.Txn({ success: ['a', 'b', 'c', 'd', 'e'].map(put) }),
      grpc.status.INVALID_ARGUMENT,
      'etcdserver: too many operations in txn request',
    );
    await expectGrpcError(client.kv.Txn({ success: [put('same'), put('same')] }), grpc.status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request');
  });

  it('reports future and compacted revisions', async () => {
    const first = await client.kv.Put({ key: Buffer.from('rev'), value: Buffer.from('1') });
    await client.kv.Put({ key: Buffer.from('rev'), value: Buffer.from('2') });
    const current = Number((await client.kv.Range({ key: Buffer.from('rev') })).header.revision);
    await expectGrpcError(
      client.kv.Range({ key: Buffer.from('rev'), revision: current + 10 }),
      grpc.status.OUT_OF_RANGE,
      'etcdserver: mvcc: required revision is a future revision',
    );
    await client.kv.Compact({ revision: current, physical: true });
    await expectGrpcError(
      client.kv.Range({ key: Buffer.from('rev'), revision: Number(first.header.revision) }),
      grpc.status.OUT_OF_RANGE,
      'etcdserver: mvcc: required revision has been compacted',
    );
    await expectGrpcError(client.kv.Compact({ revision: current }), grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted');
    await expectGrpcError(client.kv.Compact({ revision: current + 100 }), grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision');
  });

  it('refuses unknown leases and misused put options', async () => {
    await expectGrpcError(client.kv.Put({ key: Buffer.from('k'), value: Buffer.from('v'), lease: 42 }), grpc.status.NOT_FOUND, 'etcdserver: requested lease not found');
    await expectGrpcError(client.kv.Put({ key: Buffer.from('never-written'), ignore_value: true }), grpc.status.INVALID_ARGUMENT, 'etcdserver: key not found');
    await expectGrpcError(
      client.kv.Put({ key: Buffer.from('big'), value: Buffer.from('x'), ignore_value: true }),
      grpc.status.INVALID_ARGUMENT,
      'etcdserver: value is provided',
    );
  });

  it('treats a range end below the key as an empty range', async () => {
    const response = await client.kv.Range({ key: Buffer.from('z'), range_end: Buffer.from('a') });
    assert.equal(response.kvs.length, 0);
    assert.equal(Number(response.count), 0);
  });

  it('keeps serving after garbage bytes and clients that disconnect mid-request', async () => {
    // An HTTP/2 preface followed by garbage, then a bare hang-up.
    for (const payload of [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\xff\xff\xff\xff garbage'), Buffer.from('\x16\x03\x01 not tls')]) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(member.clientPort, '127.0.0.1', () => socket.end(payload));
        socket.resume(); // read (and drop) whatever the server answers, so its close is seen
        socket.on('error', () => resolve());
        socket.on('close', () => resolve());
      });
    }
    // A client that sends a request and closes its channel before the answer.
    const impatient = connect(member.endpoint, { deadlineMs: 1 });
    await Promise.allSettled(Array.from({ length: 50 }, (_, i) => impatient.kv.Put({ key: Buffer.from(`impatient/${i}`), value: Buffer.from('v') })));
    impatient.close();
    const response = await client.kv.Put({ key: Buffer.from('still-alive'), value: Buffer.from('yes') });
    assert.ok(Number(response.header.revision) > 1);
  });

  it('ignores unknown fields in requests', async () => {
    // Field 99 (varint) is unknown to RangeRequest; etcd ignores it, as proto3 requires.
    const rangeRequest = Buffer.concat([Buffer.from([0x0a, 0x03]), Buffer.from('big'), Buffer.from([0x98, 0x06, 0x01])]);
    const raw = new grpc.Client(member.endpoint, grpc.credentials.createInsecure());
    try {
      const reply = await new Promise<Buffer>((resolve, reject) =>
        raw.makeUnaryRequest('/etcdserverpb.KV/Range', (b: Buffer) => b, (b: Buffer) => b, rangeRequest, (error, value) => (error ? reject(error) : resolve(value!))),
      );
      assert.ok(reply.includes(Buffer.from('small')));
    } finally {
      raw.close();
    }
  });
});
