// The entry applier takes every kind of committed entry in log order: conf
// changes, member attributes, a leader's empty entry and requests, and says
// what each proposer is owed. A real state machine; the member table and
// peer links are recorded.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StateMachine } from '../../src/server/state-machine.js';
import { EntryApplier } from '../../src/server/entry-applier.js';
import { internalRequestCodec, type InternalRaftRequest } from '../../src/server/internal-request.js';
import { ConfChangeType, EntryType, type Entry } from '../../src/raft/types.js';
import { encodeConfChange } from '../../src/raft/index.js';
import { silentLogger } from '../../src/pkg/logger.js';
import type { AppliedMemberChange } from '../../src/server/member-storage.js';
import { putRequest, rangeRequest } from './apply/requests.js';
import { removeStateMachineDirectories, testStateMachineOptions } from './state-machine-options.js';

after(removeStateMachineDirectories);

function openStateMachine(): StateMachine {
  return StateMachine.open(testStateMachineOptions('entry-applier', { backendBatchIntervalMs: 3_600_000 }));
}

const LOCAL = 0x8e9e05c52164694dn;
const OTHER = 0x91bc3c398fb3c146n;

function requestEntry(index: number, request: InternalRaftRequest): Entry {
  return { term: 2, index, type: EntryType.Normal, data: internalRequestCodec.encode(request) };
}

describe('entry applier', () => {
  it('applies conf changes, member attributes, the leader entry and requests in order', () => {
    const stateMachine = openStateMachine();
    const events: string[] = [];
    const confChanges: AppliedMemberChange[] = [
      { type: ConfChangeType.AddNode, memberId: OTHER, member: { id: OTHER, name: '', peerUrls: ['http://10.0.0.2:2380'], clientUrls: [], isLearner: false }, context: { id: OTHER.toString(16), name: '', peerUrls: ['http://10.0.0.2:2380'], isLearner: false, requestId: '77' } },
      { type: ConfChangeType.RemoveNode, memberId: LOCAL, member: undefined, context: undefined },
    ];
    const applier = new EntryApplier({
      stateMachine,
      storage: {
        memberId: LOCAL,
        applyMemberChange: (change, alreadyInBackend) => {
          events.push(`member table ${change.type}${alreadyInBackend ? ' (in backend)' : ''}`);
          return confChanges.shift()!;
        },
        setMemberAttributes: (request, alreadyInBackend) => events.push(`attributes ${request.member_attributes.name}${alreadyInBackend ? ' (in backend)' : ''}`),
        endApplySection: (lastIndex, backendAppliedIndex) => events.push(`end of section ${lastIndex} over ${backendAppliedIndex}`),
      },
      raft: {
        applyConfChange: (change) => {
          events.push(`raft ${change.type} ${change.nodeId}`);
          return { voters: [], learners: [] };
        },
      },
      peers: {
        addOrUpdate: (memberId, urls) => events.push(`peer ${memberId.toString(16)} ${urls.join(',')}`),
        remove: (memberId) => events.push(`remove peer ${memberId.toString(16)}`),
      },
      logger: silentLogger,
      leadsTermOf: (entry) => entry.term === 2,
      onOwnLeaderEntryApplied: () => events.push('leader entry'),
      onLocalMemberRemoved: () => events.push('local member removed'),
      header: (revision) => ({ cluster_id: 1, member_id: 2, revision, raft_term: 2 }),
    });
    const outcomes = applier.apply(
      [
        { term: 2, index: 1, type: EntryType.Normal, data: new Uint8Array() },
        { term: 2, index: 2, type: EntryType.ConfChange, data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId: 9, context: new Uint8Array() }) },
        requestEntry(3, { header: { ID: 5 }, cluster_member_attr_set: { member_ID: OTHER.toString(16), member_attributes: { name: 'm2', client_urls: [] } } } as unknown as InternalRaftRequest),
        requestEntry(4, { header: { ID: 6 }, put: putRequest('skipped', 'already in the backend') }),
        requestEntry(5, { header: { ID: 7 }, put: putRequest('k', 'v') }),
        { term: 2, index: 6, type: EntryType.ConfChange, data: encodeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 8, context: new Uint8Array() }) },
      ],
      4,
    );
    assert.deepEqual(events, [
      'leader entry',
      `raft ${ConfChangeType.AddNode} 9`,
      `member table ${ConfChangeType.AddNode} (in backend)`,
      'peer 91bc3c398fb3c146 http://10.0.0.2:2380',
      'attributes m2 (in backend)',
      `raft ${ConfChangeType.RemoveNode} 8`,
      `member table ${ConfChangeType.RemoveNode}`,
      'remove peer 8e9e05c52164694d',
      'local member removed',
      'end of section 6 over 4',
    ]);
    assert.deepEqual(
      outcomes.map(([id]) => id),
      [77n, 5n, 7n],
      'the conf change owes its proposer, the attributes theirs, the put its own; the entry at the applied index owes nothing',
    );
    assert.equal(outcomes[0]![1], null);
    assert.equal(outcomes[1]![1], null);
    const put = outcomes[2]![1] as { header: { revision: number } };
    assert.equal(put.header.revision, 2);
    const range = stateMachine.range(rangeRequest('k'));
    assert.equal(range.kvs.length, 1);
    assert.equal(stateMachine.range(rangeRequest('skipped')).kvs.length, 0);
  });

  it('leaves the peer links alone for a change the loaded member table already had, but still notices its own removal', () => {
    const stateMachine = openStateMachine();
    const events: string[] = [];
    const applier = new EntryApplier({
      stateMachine,
      storage: {
        memberId: LOCAL,
        applyMemberChange: (change) => ({ type: change.type, memberId: LOCAL, member: undefined, context: undefined, replayed: true }),
        setMemberAttributes: () => undefined,
        endApplySection: () => undefined,
      },
      raft: {
        applyConfChange: (change) => {
          events.push(`raft ${change.type}`);
          return { voters: [], learners: [] };
        },
      },
      peers: {
        addOrUpdate: (memberId) => events.push(`peer ${memberId.toString(16)}`),
        remove: (memberId) => events.push(`remove peer ${memberId.toString(16)}`),
      },
      logger: silentLogger,
      leadsTermOf: () => false,
      onOwnLeaderEntryApplied: () => undefined,
      onLocalMemberRemoved: () => events.push('local member removed'),
      header: (revision) => ({ cluster_id: 1, member_id: 2, revision, raft_term: 2 }),
    });
    applier.apply([{ term: 2, index: 3, type: EntryType.ConfChange, data: encodeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 8, context: new Uint8Array() }) }], 5);
    assert.deepEqual(events, [`raft ${ConfChangeType.RemoveNode}`, 'local member removed']);
  });
});
