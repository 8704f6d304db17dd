// Outbound peer connections made from a chosen local address: a member that
// listens on its own loopback address dials from it too, so a peer (or a
// fault-injecting proxy in the chaos tests) can tell who is connecting.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as net from 'node:net';
import { MessageType } from '../../src/raft/index.js';
import { sourceAddressFor, tcpSocketFactory, type SocketFactory } from '../../src/transport/index.js';
import { waitFor } from '../support/wait-for.js';
import { appMessage, heartbeat, startMember, stopAll, urlOf, type Member } from './helpers.js';

const started: Member[] = [];
after(() => stopAll(started));

/** A TCP factory whose listener records the remote address of every accepted connection. */
function recordingFactory(remoteAddresses: string[]): SocketFactory {
  return {
    connect: tcpSocketFactory.connect,
    createServer: (onConnection) =>
      tcpSocketFactory.createServer((socket: net.Socket) => {
        remoteAddresses.push(socket.remoteAddress ?? '?');
        onConnection(socket);
      }),
  };
}

describe('peer transport source address', () => {
  it('dials message and snapshot connections from sourceAddress', async () => {
    const accepted: string[] = [];
    const sender = await startMember(31, { host: '127.0.0.31', sourceAddress: '127.0.0.31' });
    const receiver = await startMember(32, { host: '127.0.0.32', socketFactory: recordingFactory(accepted) });
    started.push(sender, receiver);
    sender.transport.addPeer(32, [urlOf(receiver, '127.0.0.32')]);

    sender.transport.send([heartbeat(31, 32)]);
    await waitFor('the heartbeat', () => receiver.received.length === 1);
    sender.transport.send([
      {
        ...appMessage(31, 32, 0),
        type: MessageType.Snap,
        snapshot: { metadata: { index: 10, term: 2, confState: { voters: [31, 32], learners: [] } }, data: Buffer.alloc(1024, 7) },
      },
    ]);
    await waitFor('the snapshot status', () => sender.snapshotStatuses.length === 1);
    assert.deepEqual(sender.snapshotStatuses, [{ peerId: 32, delivered: true }]);
    // One message stream and one snapshot connection, both from the sender's own address.
    assert.deepEqual(accepted, ['127.0.0.31', '127.0.0.31']);
  });

  it('leaves the source to the kernel without sourceAddress', async () => {
    const accepted: string[] = [];
    const sender = await startMember(41, { host: '127.0.0.41' });
    const receiver = await startMember(42, { host: '127.0.0.42', socketFactory: recordingFactory(accepted) });
    started.push(sender, receiver);
    sender.transport.addPeer(42, [urlOf(receiver, '127.0.0.42')]);
    sender.transport.send([heartbeat(41, 42)]);
    await waitFor('the heartbeat', () => receiver.received.length === 1);
    assert.equal(accepted.length, 1);
    assert.notEqual(accepted[0], '127.0.0.41', 'the listen host must not leak into dialing unless asked');
  });

  it('derives a source address only from a specific IP listen host', () => {
    assert.equal(sourceAddressFor('127.0.0.11'), '127.0.0.11');
    assert.equal(sourceAddressFor('[::1]'), '::1');
    assert.equal(sourceAddressFor('::1'), '::1');
    assert.equal(sourceAddressFor('0.0.0.0'), undefined);
    assert.equal(sourceAddressFor('::'), undefined);
    assert.equal(sourceAddressFor('[::]'), undefined);
    assert.equal(sourceAddressFor('localhost'), undefined);
    assert.equal(sourceAddressFor('etcd-1.example.com'), undefined);
  });
});
