// Messages between real transports over loopback TCP: delivery all-to-all,
// per-peer order, batching, reconnects, queue bounds and the cluster check.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/wait-for.js';
import type * as net from 'node:net';
import { appMessage, connectAll, startFakePeer, startMember, stopAll, urlOf, type Member } from './helpers.js';

const started: Member[] = [];
async function member(...args: Parameters<typeof startMember>): Promise<Member> {
  const started_ = await startMember(...args);
  started.push(started_);
  return started_;
}

const servers: net.Server[] = [];
after(async () => {
  for (const server of servers) server.close();
  await stopAll(started);
});

describe('peer transport messaging', () => {
  it('delivers all-to-all between three members, in order per sender', async () => {
    const members = [await member(1), await member(2), await member(3)];
    connectAll(members);
    const perPeer = 300;
    // Several send calls, each with messages to both other members.
    for (let round = 0; round < perPeer / 30; round++) {
      for (const sender of members) {
        const batch = [];
        for (let i = 0; i < 30; i++) {
          for (const receiver of members) if (receiver !== sender) batch.push(appMessage(sender.id, receiver.id, round * 30 + i, 16));
        }
        sender.transport.send(batch);
      }
    }
    await waitFor('every member to receive all messages', () => members.every((m) => m.received.length === 2 * perPeer), { timeoutMs: 5_000 });
    for (const receiver of members) {
      for (const sender of members) {
        if (sender === receiver) continue;
        const fromSender = receiver.received.filter((message) => message.from === sender.id);
        assert.deepEqual(
          fromSender.map((message) => message.index),
          Array.from({ length: perPeer }, (_, index) => index),
        );
        assert.ok(fromSender.every((message) => message.to === receiver.id && message.entries[0]!.data.length === 16));
        assert.equal(receiver.transport.peerStats(sender.id).messagesReceived, perPeer);
        assert.equal(sender.transport.peerStats(receiver.id).messagesSent, perPeer);
      }
    }
    assert.deepEqual(members.flatMap((m) => m.unreachable), []);
  });

  it('batches the messages of one send call to a peer into one network write', async () => {
    const [a, b] = [await member(11), await member(12)];
    connectAll([a, b]);
    a.transport.send([appMessage(11, 12, 0)]);
    await waitFor('the connection to open', () => b.received.length === 1);
    const writesBefore = a.transport.peerStats(12).networkWrites;
    const messages = Array.from({ length: 500 }, (_, index) => appMessage(11, 12, index + 1, 8));
    a.transport.send(messages);
    await waitFor('the batch to arrive', () => b.received.length === 501);
    assert.equal(a.transport.peerStats(12).networkWrites - writesBefore, 1);
    assert.deepEqual(
      b.received.map((message) => message.index),
      Array.from({ length: 501 }, (_, index) => index),
    );
  });

  it('reconnects after the peer restarts on the same port, keeping queued messages in order', async () => {
    const a = await member(21);
    let b = await member(22);
    const port = b.transport.port;
    connectAll([a, b]);
    a.transport.send([appMessage(21, 22, 0)]);
    await waitFor('first delivery', () => b.received.length === 1);

    await b.transport.stop();
    await waitFor('the sender to notice the lost link', () => !a.transport.peerStats(22).connected);
    for (let index = 1; index <= 5; index++) a.transport.send([appMessage(21, 22, index)]);
    await waitFor('an unreachable report while the peer is down', () => a.unreachable.includes(22));

    b = await member(22, { port });
    b.transport.addPeer(21, [urlOf(a)]);
    a.transport.send([appMessage(21, 22, 6)]);
    await waitFor('delivery after the restart', () => b.received.length === 6, { timeoutMs: 5_000 });
    assert.deepEqual(
      b.received.map((message) => message.index),
      [1, 2, 3, 4, 5, 6],
    );
    const stats = a.transport.peerStats(22);
    assert.ok(stats.connectionsOpened >= 2, `connections opened: ${stats.connectionsOpened}`);
    assert.ok(stats.dialsFailed >= 1, `failed dials: ${stats.dialsFailed}`);
  });

  it('drops messages beyond the queue bound to a down peer and reports it unreachable', async () => {
    const a = await member(31, { limits: { maxQueueMessages: 50, maxQueueBytes: 64 * 1024 } });
    const down = await member(32);
    const downUrl = urlOf(down);
    await down.transport.stop(); // its port now refuses connections
    a.transport.addPeer(32, [downUrl]);
    for (let index = 0; index < 40; index++) a.transport.send([appMessage(31, 32, index)]);
    a.transport.send(Array.from({ length: 40 }, (_, index) => appMessage(31, 32, 40 + index)));
    const stats = a.transport.peerStats(32);
    assert.equal(stats.queuedMessages, 50);
    assert.equal(stats.messagesDropped, 30);
    // The byte bound holds too: big messages are dropped once 64 KiB are queued.
    const b = await member(33, { limits: { maxQueueMessages: 1000, maxQueueBytes: 64 * 1024 } });
    b.transport.addPeer(32, [downUrl]);
    b.transport.send(Array.from({ length: 20 }, (_, index) => appMessage(33, 32, index, 10_000)));
    assert.equal(b.transport.peerStats(32).queuedMessages, 6);
    assert.ok(b.transport.peerStats(32).queuedBytes <= 64 * 1024);
    await waitFor('unreachable reports', () => a.unreachable.includes(32) && b.unreachable.includes(32));
    // Reports are coalesced: one send call that drops many messages reports once.
    assert.ok(a.unreachable.length < 10, `reports: ${a.unreachable.length}`);
  });

  it('refuses a member of another cluster, with a clear log line on both ends', async () => {
    const a = await member(41);
    const stranger = await member(42, { clusterId: 0xdeadbeefn });
    stranger.transport.addPeer(41, [urlOf(a)]);
    stranger.transport.send([appMessage(42, 41, 0)]);
    await waitFor('the stranger to be refused', () => stranger.transport.peerStats(41).lastError?.includes('cluster ID mismatch'));
    await waitFor('the refusal to be logged', () => a.logs.some((line) => line.level === 'error' && line.msg === 'request cluster ID mismatch'));
    assert.ok(stranger.logs.some((line) => line.level === 'error' && String(line.fields?.error).includes('cluster ID mismatch')));
    assert.equal(a.received.length, 0);
    assert.ok(a.transport.stats().connectionsRefused >= 1);
    assert.ok(stranger.unreachable.includes(41));
  });

  it('re-dials a peer that stops reading (a silently dead link) after the stall timeout', async () => {
    const a = await member(61, { limits: { streamStallTimeoutMs: 200 } });
    let accepted = 0;
    const fake = await startFakePeer(62, (socket) => {
      accepted++;
      socket.pause(); // never reads: the kernel buffers fill and writes stop draining
    });
    servers.push(fake.server);
    a.transport.addPeer(62, [fake.url]);
    // 20 MB: more than loopback socket buffers hold.
    a.transport.send(Array.from({ length: 100 }, (_, index) => appMessage(61, 62, index, 200 * 1024)));
    await waitFor('the stall to be noticed', () => a.transport.peerStats(62).lastError?.includes('no write progress'), { timeoutMs: 5_000 });
    await waitFor('an unreachable report', () => a.unreachable.includes(62));
    // Links are kept up, as etcd's streams are: a fresh connection follows without another message.
    await waitFor('a second connection', () => accepted === 2);
  });

  it('does not send to unknown peers or after stop, and never throws from send', async () => {
    const a = await member(51);
    a.transport.send([appMessage(51, 99, 0)]);
    assert.equal(a.transport.peerStats(99).messagesDropped, 1);
    await a.transport.stop();
    a.transport.addPeer(52, ['http://127.0.0.1:1']);
    a.transport.send([appMessage(51, 52, 0)]);
    assert.equal(a.transport.peerStats(52).messagesDropped, 1);
    assert.throws(() => a.transport.addPeer(53, ['ftp://127.0.0.1:2380']), /unsupported scheme/);
    assert.throws(() => a.transport.addPeer(53, ['http://127.0.0.1']), /no port/);
  });
});
