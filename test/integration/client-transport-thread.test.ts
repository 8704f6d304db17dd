// The client port served on a transport thread of its own
// (--client-transport-threads=1, src/api/front/) against the same port
// served by grpc-js on the member's thread (=0): both members get the same
// requests, down to the gRPC wire (raw HTTP/2 here, so that what a client
// sees in each case is compared byte for byte), and must answer alike.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { protoType } from '../../src/proto/index.js';

interface RawAnswer {
  httpStatus: number | undefined;
  grpcStatus: string | undefined;
  grpcMessage: string | undefined;
  messages: Buffer[];
}

/** One gRPC call over its own HTTP/2 connection, with the request messages as given. */
function rawCall(endpoint: string, path: string, messages: Buffer[], options: { headers?: http2.OutgoingHttpHeaders; compressed?: boolean; endStream?: boolean } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${endpoint}`);
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...options.headers });
    const answer: RawAnswer = { httpStatus: undefined, grpcStatus: undefined, grpcMessage: undefined, messages: [] };
    const chunks: Buffer[] = [];
    // A client that keeps its side open closes the stream once the server's status is in.
    const closeIfOpen = () => {
      if (options.endStream === false) stream.close();
    };
    stream.on('response', (headers) => {
      answer.httpStatus = Number(headers[':status']);
      if (headers['grpc-status'] !== undefined) answer.grpcStatus = String(headers['grpc-status']);
      if (headers['grpc-message'] !== undefined) answer.grpcMessage = decodeURIComponent(String(headers['grpc-message']));
      if (answer.grpcStatus !== undefined) closeIfOpen();
    });
    stream.on('trailers', (trailers) => {
      answer.grpcStatus = String(trailers['grpc-status']);
      answer.grpcMessage = decodeURIComponent(String(trailers['grpc-message'] ?? ''));
      closeIfOpen();
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => undefined);
    stream.on('close', () => {
      let all = Buffer.concat(chunks);
      while (all.length >= 5) {
        const length = all.readUInt32BE(1);
        answer.messages.push(all.subarray(5, 5 + length));
        all = all.subarray(5 + length);
      }
      session.close();
      resolve(answer);
    });
    for (const message of messages) {
      const body = options.compressed ? gzipSync(message) : message;
      const prefix = Buffer.alloc(5);
      prefix[0] = options.compressed ? 1 : 0;
      prefix.writeUInt32BE(body.length, 1);
      stream.write(Buffer.concat([prefix, body]));
    }
    if (options.endStream !== false) stream.end();
  });
}

const encode = (type: string, value: object) => Buffer.from(protoType(type).encode(protoType(type).fromObject(value)).finish());
const decode = (type: string, bytes: Buffer) => protoType(type).toObject(protoType(type).decode(bytes), { longs: String, bytes: String }) as Record<string, any>;

describe('the client transport thread answers as grpc-js on the member thread does', { timeout: 180_000 }, () => {
  const members: Record<'thread' | 'inline', MemberProcess | undefined> = { thread: undefined, inline: undefined };
  const both = async <T>(run: (member: MemberProcess) => Promise<T>): Promise<{ thread: T; inline: T }> => ({ thread: await run(members.thread!), inline: await run(members.inline!) });

  before(async () => {
    // A small --max-request-bytes, so that an oversized message is cheap to send.
    members.thread = await MemberProcess.start({ extraFlags: ['--client-transport-threads=1', '--max-request-bytes=1024'] });
    members.inline = await MemberProcess.start({ extraFlags: ['--client-transport-threads=0', '--max-request-bytes=1024'] });
  });
  after(stopAllMembers);

  it('puts and reads back, plain and gzip-compressed', async () => {
    const results = await both(async (member) => {
      const put = await rawCall(member.endpoint, '/etcdserverpb.KV/Put', [encode('etcdserverpb.PutRequest', { key: Buffer.from('k'), value: Buffer.from('plain') })]);
      const zipped = await rawCall(member.endpoint, '/etcdserverpb.KV/Put', [encode('etcdserverpb.PutRequest', { key: Buffer.from('z'), value: Buffer.from('zipped') })], { compressed: true, headers: { 'grpc-encoding': 'gzip' } });
      const range = await rawCall(member.endpoint, '/etcdserverpb.KV/Range', [encode('etcdserverpb.RangeRequest', { key: Buffer.from('k'), range_end: Buffer.from('{') })]);
      return { put: [put.httpStatus, put.grpcStatus, put.grpcMessage, put.messages.length], zipped: zipped.grpcStatus, range: range.grpcStatus, values: decode('etcdserverpb.RangeResponse', range.messages[0]!).kvs.map((kv: { value: string }) => Buffer.from(kv.value, 'base64').toString()) };
    });
    assert.deepEqual(results.thread, { put: [200, '0', 'OK', 1], zipped: '0', range: '0', values: ['plain', 'zipped'] });
    assert.deepEqual(results.thread, results.inline);
  });

  it('refuses what grpc-js refuses, with its codes and texts', async () => {
    const bigKey = Buffer.alloc(600 * 1024, 1);
    const results = await both(async (member) => {
      const status = (answer: RawAnswer) => [answer.httpStatus, answer.grpcStatus, answer.grpcMessage];
      return {
        unknownMethod: status(await rawCall(member.endpoint, '/etcdserverpb.KV/Nope', [Buffer.alloc(0)])),
        wrongContentType: status(await rawCall(member.endpoint, '/etcdserverpb.KV/Range', [Buffer.alloc(0)], { headers: { 'content-type': 'text/plain' } })),
        badTimeout: status(await rawCall(member.endpoint, '/etcdserverpb.KV/Range', [Buffer.alloc(0)], { headers: { 'grpc-timeout': 'soon' } })),
        oversized: status(await rawCall(member.endpoint, '/etcdserverpb.KV/Put', [encode('etcdserverpb.PutRequest', { key: bigKey })])),
        malformed: status(await rawCall(member.endpoint, '/etcdserverpb.KV/Range', [Buffer.from([0x0a, 0xff])])),
        // etcd's own refusals come through unchanged.
        emptyKey: status(await rawCall(member.endpoint, '/etcdserverpb.KV/Put', [encode('etcdserverpb.PutRequest', { value: Buffer.from('v') })])),
        // A stream that outlives its deadline.
        deadline: status(await rawCall(member.endpoint, '/etcdserverpb.Lease/LeaseKeepAlive', [], { headers: { 'grpc-timeout': '300m' }, endStream: false })),
      };
    });
    assert.deepEqual(results.thread.unknownMethod, [200, '12', 'The server does not implement the method /etcdserverpb.KV/Nope']);
    assert.equal(results.thread.wrongContentType[0], 415);
    assert.deepEqual(results.thread.badTimeout, [200, '13', 'Invalid grpc-timeout value "soon"']);
    assert.equal(results.thread.oversized[1], '8');
    assert.match(String(results.thread.oversized[2]), /^Received message larger than max \(\d+ vs \d+\)$/);
    assert.deepEqual(results.thread.malformed, [200, '13', 'Error deserializing request']);
    assert.deepEqual(results.thread.emptyKey, [200, '3', 'etcdserver: key is not provided']);
    assert.deepEqual(results.thread.deadline, [200, '4', 'Deadline exceeded']);
    assert.deepEqual(results.thread, results.inline);
    // Counted alike in grpc_server_handled_total (grpc-js counts a passed deadline as Canceled).
    for (const member of [members.thread!, members.inline!]) {
      const metrics = await (await fetch(`${member.clientUrl}/metrics`)).text();
      assert.match(metrics, /grpc_server_handled_total\{grpc_code="Canceled",grpc_method="LeaseKeepAlive",grpc_service="etcdserverpb.Lease",grpc_type="bidi_stream"\} 1/);
      assert.match(metrics, /grpc_server_handled_total\{grpc_code="InvalidArgument",grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"\} 1/);
    }
  });

  it('streams a watch and ends it when the client cancels', async () => {
    const results = await both(async (member) => {
      const session = http2.connect(member.clientUrl);
      try {
        const stream = session.request({ ':method': 'POST', ':path': '/etcdserverpb.Watch/Watch', 'content-type': 'application/grpc', te: 'trailers' });
        const received: Record<string, any>[] = [];
        let pending = Buffer.alloc(0);
        const arrived = (count: number) =>
          new Promise<void>((resolve) => {
            const check = () => {
              if (received.length >= count) {
                stream.off('data', onData);
                resolve();
              }
            };
            const onData = () => setImmediate(check);
            stream.on('data', onData);
            check();
          });
        stream.on('data', (chunk: Buffer) => {
          pending = Buffer.concat([pending, chunk]);
          while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
            const length = pending.readUInt32BE(1);
            received.push(decode('etcdserverpb.WatchResponse', pending.subarray(5, 5 + length)));
            pending = pending.subarray(5 + length);
          }
        });
        const create = encode('etcdserverpb.WatchRequest', { create_request: { key: Buffer.from('w'), range_end: Buffer.from('x') } });
        const prefix = Buffer.alloc(5);
        prefix.writeUInt32BE(create.length, 1);
        stream.write(Buffer.concat([prefix, create]));
        await arrived(1);
        for (const value of ['1', '2', '3']) await rawCall(member.endpoint, '/etcdserverpb.KV/Put', [encode('etcdserverpb.PutRequest', { key: Buffer.from('w1'), value: Buffer.from(value) })]);
        await arrived(4);
        stream.close(http2.constants.NGHTTP2_CANCEL);
        return { created: received[0]!.created, values: received.slice(1).flatMap((response) => response.events.map((event: { kv: { value: string } }) => Buffer.from(event.kv.value, 'base64').toString())) };
      } finally {
        session.close();
      }
    });
    assert.deepEqual(results.thread, { created: true, values: ['1', '2', '3'] });
    assert.deepEqual(results.thread, results.inline);
    // The cancelled watch stream is gone on the member: grpc_server_handled_total counts it as Canceled.
    for (const member of [members.thread!, members.inline!]) {
      const metrics = await (await fetch(`${member.clientUrl}/metrics`)).text();
      assert.match(metrics, /grpc_server_handled_total\{grpc_code="Canceled",grpc_method="Watch",grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"\} 1/);
    }
  });

  it('serves HTTP/1 (health, the JSON gateway) on the same port, large answers included', async () => {
    const value = Buffer.alloc(800, 'v');
    const keys = 200;
    const results = await both(async (member) => {
      const health = await (await fetch(`${member.clientUrl}/health`)).json();
      // --max-request-bytes is small here: a large answer is made of many keys.
      const puts = await Promise.all(Array.from({ length: keys }, (_, i) => rawCall(member.endpoint, '/etcdserverpb.KV/Put', [encode('etcdserverpb.PutRequest', { key: Buffer.from(`big/${i}`), value })])));
      assert.deepEqual(new Set(puts.map((put) => `${put.grpcStatus} ${put.grpcMessage}`)), new Set(['0 OK']));
      const answer = await fetch(`${member.clientUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('big/').toString('base64'), range_end: Buffer.from('big0').toString('base64') }) });
      const body = (await answer.json()) as { kvs: Array<{ value: string }>; count: string };
      return { health, status: answer.status, count: body.count, bytes: body.kvs.reduce((sum, kv) => sum + Buffer.from(kv.value, 'base64').length, 0) };
    });
    assert.deepEqual(results.thread, { health: { health: 'true', reason: '' }, status: 200, count: String(keys), bytes: keys * value.length });
    assert.deepEqual(results.thread, results.inline);
  });
});
