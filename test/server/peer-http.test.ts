// The peer port's HTTP side (GET /members, /version) beside Raft traffic on
// the same port, and a joining member's use of it: exact 64-bit ids, the
// cluster id header, finding itself by peer URLs.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { peerHttpHandler, membersJson } from '../../src/server/membership/peer-http.js';
import { fetchMembers, findSelf, getClusterFromRemotePeers, parseMembersJson } from '../../src/server/membership/remote-cluster.js';
import type { MemberRecord } from '../../src/server/membership/member-record.js';
import { silentLogger } from '../../src/pkg/logger.js';
import { tcpSocketFactory } from '../../src/transport/index.js';
import { waitFor } from '../support/wait-for.js';
import { appMessage, connectAll, startMember, stopAll, urlOf, type Member } from '../transport/helpers.js';

const members: MemberRecord[] = [
  { id: 0x8e9e05c52164694dn, name: 'infra1', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], isLearner: false },
  { id: 0xfffffffffffffff1n, name: '', peerUrls: ['http://localhost:22380/', 'http://127.0.0.1:22380'], clientUrls: [], isLearner: false },
];
const handler = peerHttpHandler({ clusterId: () => 0xcdf818194e3a8c32n, members: () => members, versions: { etcdserver: '3.5.0', etcdcluster: '3.5.0' } });

const started: Member[] = [];
after(() => stopAll(started));

describe('peer port HTTP', () => {
  it('writes and reads uint64 member ids exactly, as Go encodes them', () => {
    const json = membersJson(members);
    assert.match(json, /"id":18446744073709551601,/);
    assert.deepEqual(parseMembersJson(json), members.map((member) => ({ ...member, isLearner: false })));
  });

  it('answers GET /members with the cluster id while Raft messages flow on the same port', async () => {
    const served = await startMember(1, { httpHandler: handler });
    const peer = await startMember(2);
    started.push(served, peer);
    connectAll([served, peer]);
    peer.transport.send([appMessage(2, 1, 1)]);
    const cluster = await fetchMembers(urlOf(served), tcpSocketFactory, 5000);
    assert.equal(cluster.clusterId, 0xcdf818194e3a8c32n);
    assert.deepEqual(cluster.members.map((member) => member.id), [0x8e9e05c52164694dn, 0xfffffffffffffff1n]);
    await waitFor('the Raft message beside the HTTP request', () => served.received.length === 1);
    const version = await fetch(`${urlOf(served)}/version`);
    assert.deepEqual(await version.json(), { etcdserver: '3.5.0', etcdcluster: '3.5.0' });
    assert.equal((await fetch(`${urlOf(served)}/nothing`)).status, 404);
  });

  it('finds the joining member by its peer URLs in any order, normalised', () => {
    const self = findSelf({ clusterId: 1n, members }, ['http://127.0.0.1:22380', 'http://localhost:22380']);
    assert.equal(self?.id, 0xfffffffffffffff1n);
    assert.equal(findSelf({ clusterId: 1n, members }, ['http://127.0.0.1:9999']), undefined);
  });

  it('a transport without a handler closes an HTTP connection as malformed', async () => {
    const bare = await startMember(3);
    started.push(bare);
    await assert.rejects(fetch(`${urlOf(bare)}/members`));
  });

  it('gives up with etcd message when no peer answers', async () => {
    await assert.rejects(
      getClusterFromRemotePeers({ peerUrls: ['http://127.0.0.1:1'], socketFactory: tcpSocketFactory, requestTimeoutMs: 500, giveUpAfterMs: 0, logger: silentLogger }),
      /could not retrieve cluster information from the given URLs/,
    );
  });
});
