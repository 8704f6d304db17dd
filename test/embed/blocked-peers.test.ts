// ClusterPeers.setBlockedPeers, the hook behind cluster.partition(): messages
// to and from a blocked member are dropped on both sides; [] heals.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterPeers } from '../../src/server/cluster-peers.js';
import { tcpSocketFactory } from '../../src/transport/index.js';
import { silentLogger } from '../../src/pkg/logger.js';
import { MessageType, type Message } from '../../src/raft/index.js';
import { freePort } from '../../src/embed/ports.js';
import { appMessage, CLUSTER_ID } from '../transport/helpers.js';

interface Node {
  id: bigint;
  url: string;
  peers: ClusterPeers;
  received: Message[];
  snapshotFailures: number[];
}

async function node(id: bigint): Promise<Node> {
  const url = `http://127.0.0.1:${await freePort()}`;
  const received: Message[] = [];
  const snapshotFailures: number[] = [];
  const peers = new ClusterPeers(
    id,
    CLUSTER_ID,
    [new URL(url)],
    tcpSocketFactory,
    {
      onMessage: (message) => received.push(message),
      onUnreachable: () => undefined,
      onSnapshotStatus: (raftId, delivered) => {
        if (!delivered) snapshotFailures.push(Number(raftId));
      },
      snapshotData: async () => ({ members: [], database: Buffer.alloc(0) }) as never,
    },
    silentLogger,
  );
  await peers.start();
  return { id, url, peers, received, snapshotFailures };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('ClusterPeers blocked peers (partitions)', { timeout: 30_000 }, () => {
  it('drops messages to and from blocked members until healed', async () => {
    const a = await node(1n);
    const b = await node(2n);
    try {
      a.peers.addOrUpdate(b.id, [b.url]);
      b.peers.addOrUpdate(a.id, [a.url]);
      a.peers.send([appMessage(1, 2, 1)]);
      await until(() => b.received.length === 1, 'first message');

      // Sending side: a drops what it sends to b; a Snap is reported undelivered.
      a.peers.setBlockedPeers([b.id]);
      a.peers.send([appMessage(1, 2, 2), { ...appMessage(1, 2, 3), type: MessageType.Snap, snapshot: undefined }]);
      await until(() => a.snapshotFailures.includes(2), 'snapshot reported undelivered');
      // Receiving side: a drops what b sends.
      b.peers.send([appMessage(2, 1, 4)]);
      // The transport received it (it counts what reaches the member), and the member never saw it.
      await until(() => a.peers.peerStats().get('2')?.messagesReceived === 1, 'message from b at the transport');
      assert.equal(a.received.length, 0);
      a.peers.setBlockedPeers([]);
      b.peers.send([appMessage(2, 1, 5)]);
      await until(() => a.received.length === 1, 'message after heal');
      assert.deepEqual(a.received.map((message) => message.index), [5], 'the message sent while blocked was dropped on receipt');
      a.peers.send([appMessage(1, 2, 6)]);
      await until(() => b.received.length === 2, 'message to b after heal');
      assert.deepEqual(b.received.map((message) => message.index), [1, 6], 'the message sent while blocked was dropped on sending');
    } finally {
      await Promise.all([a.peers.stop(), b.peers.stop()]);
    }
  });
});
