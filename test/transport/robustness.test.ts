// Hostile or broken input on the listener: garbage, oversized and corrupt
// frames from raw sockets close only that connection; the receiver keeps
// serving the other peers. Plus the framing units on split input.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { encodeMessage } from '../../src/raft/index.js';
import { ByteQueue } from '../../src/transport/byte-queue.js';
import { FrameDecoder, FrameError } from '../../src/transport/frame-decoder.js';
import {
  HELLO_BYTES,
  PROTOCOL_VERSION,
  StreamKind,
  VERDICT_BYTES,
  Verdict,
  decodeHello,
  decodeVerdict,
  encodeHello,
  frameHeader,
} from '../../src/transport/wire.js';
import { waitFor } from '../support/wait-for.js';
import { CLUSTER_ID, HOST, appMessage, connectAll, startMember, stopAll, type Member } from './helpers.js';

const started: Member[] = [];
const sockets: net.Socket[] = [];
after(async () => {
  for (const socket of sockets) socket.destroy();
  await stopAll(started);
});

/** A raw client socket; resolves with everything it read once the other end closed. */
function rawClient(port: number, bytes: Buffer[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    const socket = net.connect({ host: HOST, port }, () => {
      for (const chunk of bytes) socket.write(chunk);
    });
    sockets.push(socket);
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(received)));
  });
}

function hello(fromId: number, toId: number, overrides: { clusterId?: bigint; kind?: number; version?: number } = {}): Buffer {
  return encodeHello({
    version: overrides.version ?? PROTOCOL_VERSION,
    kind: overrides.kind ?? StreamKind.Messages,
    clusterId: overrides.clusterId ?? CLUSTER_ID,
    fromId,
    toId,
  });
}

describe('peer transport under bad input', () => {
  it('closes connections with garbage, oversized or corrupt frames and keeps serving other peers', async () => {
    const receiver = await startMember(1, { limits: { maxFrameBytes: 64 * 1024 } });
    const sender = await startMember(2);
    started.push(receiver, sender);
    connectAll([receiver, sender]);
    const port = receiver.transport.port;

    // Not our protocol at all: closed without a verdict.
    assert.equal((await rawClient(port, [Buffer.from('GET /raft/stream/message/1 HTTP/1.1\r\n\r\n'.padEnd(64, 'x'))])).length, 0);
    // A valid hello, then a length far beyond the bound: must not allocate it.
    const oversized = await rawClient(port, [hello(7, 1), frameHeader(0xffffffff)]);
    assert.equal(decodeVerdict(oversized.subarray(0, VERDICT_BYTES)).verdict, Verdict.Accepted);
    // A frame of the right size holding garbage.
    await rawClient(port, [hello(7, 1), frameHeader(20), Buffer.alloc(20, 0xff)]);
    // An empty frame, and a well-formed message that claims another sender.
    await rawClient(port, [hello(7, 1), frameHeader(0)]);
    const spoofed = encodeMessage(appMessage(2, 1, 0));
    await rawClient(port, [hello(7, 1), frameHeader(spoofed.length), Buffer.from(spoofed)]);
    // The hello itself split into single bytes, then garbage.
    await rawClient(port, [...hello(7, 1)].map((byte) => Buffer.of(byte)).concat([Buffer.alloc(10, 0xee)]));

    await waitFor('every bad connection counted', () => receiver.transport.stats().connectionsCorrupt >= 5);
    assert.equal(receiver.received.length, 0);

    sender.transport.send([appMessage(2, 1, 1), appMessage(2, 1, 2)]);
    await waitFor('the good peer still delivering', () => receiver.received.length === 2);
    assert.deepEqual(receiver.received.map((message) => message.from), [2, 2]);
  });

  it('refuses hellos with a wrong target, version or stream kind, and times out silent connections', async () => {
    const receiver = await startMember(3, { limits: { handshakeTimeoutMs: 100 } });
    started.push(receiver);
    const port = receiver.transport.port;
    const verdictOf = async (bytes: Buffer) => decodeVerdict((await rawClient(port, [bytes])).subarray(0, VERDICT_BYTES)).verdict;
    assert.equal(await verdictOf(hello(7, 4)), Verdict.WrongTarget);
    assert.equal(await verdictOf(hello(7, 3, { version: 9 })), Verdict.UnsupportedVersion);
    assert.equal(await verdictOf(hello(7, 3, { kind: 9 })), Verdict.UnknownStreamKind);
    assert.equal(await verdictOf(hello(7, 3, { clusterId: 5n })), Verdict.ClusterIdMismatch);
    // Says nothing: closed by the handshake timeout.
    assert.equal((await rawClient(port, [])).length, 0);
    assert.equal(receiver.transport.stats().connectionsRefused, 4);
  });
});

describe('framing', () => {
  it('reassembles frames split at every byte boundary', () => {
    const payloads = [Buffer.from('a'), Buffer.alloc(300, 7), Buffer.from('xyz')];
    const stream = Buffer.concat(payloads.flatMap((payload) => [frameHeader(payload.length), payload]));
    for (let split = 1; split < stream.length; split++) {
      const decoder = new FrameDecoder(1024);
      const frames: Buffer[] = [];
      for (const chunk of [stream.subarray(0, split), stream.subarray(split)]) {
        decoder.push(chunk);
        for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) frames.push(Buffer.from(frame));
      }
      assert.deepEqual(frames, payloads, `split at ${split}`);
      assert.equal(decoder.bufferedBytes, 0);
    }
  });

  it('rejects a frame length beyond the bound before its payload arrives', () => {
    const decoder = new FrameDecoder(100);
    decoder.push(frameHeader(101));
    assert.throws(() => decoder.next(), FrameError);
  });

  it('takes units across chunks and hands out views within one', () => {
    const queue = new ByteQueue();
    queue.push(Buffer.from([1, 2]));
    queue.push(Buffer.from([3, 4, 5, 6]));
    assert.equal(queue.peekUInt32BE(), 0x01020304);
    assert.deepEqual([...queue.take(3)], [1, 2, 3]);
    assert.deepEqual([...queue.takeChunk(10)], [4, 5, 6]);
    assert.equal(queue.length, 0);
  });

  it('round-trips the hello and rejects a foreign one', () => {
    const bytes = hello(0x1fffffffffffff, 2, { kind: StreamKind.Snapshot });
    assert.equal(bytes.length, HELLO_BYTES);
    assert.deepEqual(decodeHello(bytes), {
      version: PROTOCOL_VERSION,
      kind: StreamKind.Snapshot,
      clusterId: CLUSTER_ID,
      fromId: 0x1fffffffffffff,
      toId: 2,
    });
    assert.throws(() => decodeHello(Buffer.alloc(HELLO_BYTES)), /bad magic/);
  });
});
