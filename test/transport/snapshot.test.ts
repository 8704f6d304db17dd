// Snapshot messages: large data delivered intact on their own connection
// while heartbeats keep flowing, and every way a transfer can fail reported
// as not delivered.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { MessageType, type Message } from '../../src/raft/index.js';
import { waitFor } from '../support/wait-for.js';
import { HOST, appMessage, connectAll, heartbeat, startFakePeer, startMember, stopAll, type Member } from './helpers.js';

const started: Member[] = [];
const servers: net.Server[] = [];
after(async () => {
  for (const server of servers) server.close();
  await stopAll(started);
});

async function fakePeer(id: number, behave: Parameters<typeof startFakePeer>[1]): Promise<string> {
  const fake = await startFakePeer(id, behave);
  servers.push(fake.server);
  return fake.url;
}

async function member(...args: Parameters<typeof startMember>): Promise<Member> {
  const started_ = await startMember(...args);
  started.push(started_);
  return started_;
}

function snapshotMessage(from: number, to: number, dataBytes: number): Message {
  const data = Buffer.alloc(dataBytes);
  for (let offset = 0; offset + 4 <= dataBytes; offset += 4) data.writeUInt32LE((offset * 2654435761) >>> 0, offset);
  return {
    ...appMessage(from, to, 0),
    type: MessageType.Snap,
    snapshot: { metadata: { index: 1234, term: 5, confState: { voters: [from, to, 9], learners: [] } }, data },
  };
}

describe('peer transport snapshots', () => {
  it('delivers a 20 MB snapshot intact on its own connection while heartbeats keep flowing', async () => {
    const [a, b] = [await member(1), await member(2)];
    connectAll([a, b]);
    a.transport.send([heartbeat(1, 2)]);
    await waitFor('the message stream to open', () => b.received.length === 1);

    const snapshot = snapshotMessage(1, 2, 20 * 1024 * 1024);
    a.transport.send([snapshot, heartbeat(1, 2)]);
    await waitFor('the snapshot status', () => a.snapshotStatuses.length === 1, { timeoutMs: 10_000 });
    assert.deepEqual(a.snapshotStatuses, [{ peerId: 2, delivered: true }]);
    const received = b.received.find((message) => message.type === MessageType.Snap);
    assert.ok(received?.snapshot);
    assert.deepEqual(received.snapshot.metadata, snapshot.snapshot!.metadata);
    assert.ok(Buffer.from(received.snapshot.data).equals(snapshot.snapshot!.data as Buffer), 'snapshot data differs');
    assert.equal(received.index, snapshot.index);
    // The heartbeat sent after the snapshot did not wait for it.
    assert.deepEqual(
      b.received.map((message) => message.type),
      [MessageType.Heartbeat, MessageType.Heartbeat, MessageType.Snap],
    );
    assert.equal(a.transport.peerStats(2).snapshotsSent, 1);
    assert.equal(b.transport.peerStats(1).snapshotsReceived, 1);
  });

  it('reports failure when the receiver dies mid-transfer', async () => {
    const a = await member(11);
    let bytesSeen = 0;
    const url = await fakePeer(12, (socket, bytesAfterHello) => {
      socket.on('data', () => {
        bytesSeen = bytesAfterHello();
        if (bytesSeen > 1024 * 1024) socket.resetAndDestroy();
      });
    });
    a.transport.addPeer(12, [url]);
    a.transport.send([snapshotMessage(11, 12, 20 * 1024 * 1024)]);
    await waitFor('the snapshot status', () => a.snapshotStatuses.length === 1, { timeoutMs: 10_000 });
    assert.deepEqual(a.snapshotStatuses, [{ peerId: 12, delivered: false }]);
    assert.ok(bytesSeen > 1024 * 1024);
    assert.equal(a.transport.peerStats(12).snapshotsFailed, 1);
  });

  it('reports failure when the receiver stalls, is down, is busy, or refuses the size', async () => {
    const a = await member(21, { limits: { snapshotIdleTimeoutMs: 300 } });
    // Stalls: reads nothing after the hello, so the sender's writes stop draining.
    const stalledUrl = await fakePeer(22, (socket) => socket.pause());
    a.transport.addPeer(22, [stalledUrl]);
    a.transport.send([snapshotMessage(21, 22, 20 * 1024 * 1024)]);
    // A second snapshot while one is in flight fails at once.
    a.transport.send([snapshotMessage(21, 22, 10)]);
    await waitFor('the busy report', () => a.snapshotStatuses.length === 1);
    await waitFor('the stall report', () => a.snapshotStatuses.length === 2, { timeoutMs: 5_000 });
    assert.deepEqual(a.snapshotStatuses, [
      { peerId: 22, delivered: false },
      { peerId: 22, delivered: false },
    ]);

    // Down: nothing listens.
    const down = await member(23);
    const downUrl = `http://${HOST}:${down.transport.port}`;
    await down.transport.stop();
    a.transport.addPeer(23, [downUrl]);
    a.transport.send([snapshotMessage(21, 23, 1000)]);
    await waitFor('the down report', () => a.snapshotStatuses.some((status) => status.peerId === 23));
    assert.deepEqual(a.snapshotStatuses.at(-1), { peerId: 23, delivered: false });

    // Too large for the receiver's bound: the receiver hangs up.
    const small = await member(24, { limits: { maxSnapshotBytes: 1024 * 1024 } });
    a.transport.addPeer(24, [`http://${HOST}:${small.transport.port}`]);
    a.transport.send([snapshotMessage(21, 24, 2 * 1024 * 1024)]);
    await waitFor('the size report', () => a.snapshotStatuses.some((status) => status.peerId === 24));
    assert.deepEqual(a.snapshotStatuses.at(-1), { peerId: 24, delivered: false });
    assert.equal(small.received.length, 0);
    assert.equal(small.transport.stats().connectionsCorrupt, 1);
  });

  it('reports a snapshot in flight as failed when the peer is removed', async () => {
    const a = await member(31);
    const url = await fakePeer(32, (socket) => socket.pause());
    a.transport.addPeer(32, [url]);
    a.transport.send([snapshotMessage(31, 32, 4 * 1024 * 1024)]);
    await waitFor('the transfer to start', () => a.transport.peerStats(32).bytesSent > 0);
    a.transport.removePeer(32);
    await waitFor('the report', () => a.snapshotStatuses.length === 1);
    assert.deepEqual(a.snapshotStatuses, [{ peerId: 32, delivered: false }]);
  });
});
