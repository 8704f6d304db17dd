// etcd 3.4's guards on membership changes (--strict-reconfig-check), as
// mayAddMember, mayRemoveMember and mayPromoteMember in etcdserver/server.go
// and IsReadyTo{AddVoting,RemoveVoting,Promote}Member in
// etcdserver/api/membership/cluster.go apply them.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAddMember, checkPromoteMember, checkRemoveMember, type ClusterView } from '../../src/server/membership/reconfiguration.js';
import type { MemberRecord } from '../../src/server/membership/member-record.js';

const NOW = 1_000_000;
const LONG_AGO = NOW - 60_000;
const SELF = 1n;

interface Spec {
  id: bigint;
  /** '' = not started (has not published its name). */
  name?: string;
  isLearner?: boolean;
  /** When the local member's link to it became active; undefined = down. Ignored for the local member. */
  since?: number | undefined;
}

function member(spec: Spec): MemberRecord {
  return { id: spec.id, name: spec.name ?? `m${spec.id}`, peerUrls: [`http://127.0.0.1:${20000 + Number(spec.id)}`], clientUrls: [], isLearner: spec.isLearner ?? false };
}

/** A view seen from member 1 at NOW; every other member has been connected for a minute unless `since` says otherwise. */
function viewOf(specs: Spec[], options: { strictReconfigCheck?: boolean } = {}): ClusterView {
  const since = new Map(specs.map((spec) => [spec.id, 'since' in spec ? spec.since : LONG_AGO]));
  return {
    members: specs.map(member),
    localMemberId: SELF,
    isConnected: (id: bigint) => id === SELF || since.get(id) !== undefined,
    activeSince: (id: bigint) => since.get(id),
    nowMs: NOW,
    ...options,
  };
}

const newVoter = { id: 99n, peerUrls: ['http://localhost:20011'], isLearner: false };
const newLearner = { ...newVoter, isLearner: true };

const NOT_STARTED = /not enough started members/;
const UNHEALTHY = /etcdserver: unhealthy cluster/;

describe('checkAddMember (mayAddMember)', () => {
  test("a voter joins a single-member cluster (TestCtlV3MemberAdd's standalone member)", () => {
    assert.doesNotThrow(() => checkAddMember(viewOf([{ id: SELF }]), newVoter));
  });

  test('a voter joins a started, fully connected three-member cluster', () => {
    assert.doesNotThrow(() => checkAddMember(viewOf([{ id: SELF }, { id: 2n }, { id: 3n }]), newVoter));
  });

  test('started voters must stay a quorum of the grown cluster', () => {
    // 2 voters, 1 started: 1 < quorum(3); the single-member exception needs exactly one voter.
    assert.throws(() => checkAddMember(viewOf([{ id: SELF }, { id: 2n, name: '' }]), newVoter), NOT_STARTED);
    // 5 voters, 3 started: 3 < quorum(6) = 4.
    const five = (started: number) => [SELF, 2n, 3n, 4n, 5n].map((id, position) => ({ id, name: position < started ? `m${id}` : '' }));
    assert.throws(() => checkAddMember(viewOf(five(3)), newVoter), NOT_STARTED);
    assert.doesNotThrow(() => checkAddMember(viewOf(five(4)), newVoter));
  });

  test('every voter must be connected, for longer than 5 s (isConnectedFullySince), not just a quorum', () => {
    const five = [{ id: SELF }, { id: 2n }, { id: 3n }, { id: 4n }, { id: 5n, since: undefined }];
    assert.throws(() => checkAddMember(viewOf(five), newVoter), UNHEALTHY);
    assert.throws(() => checkAddMember(viewOf([{ id: SELF }, { id: 2n }, { id: 3n, since: NOW - 1_000 }]), newVoter), UNHEALTHY);
    // ActiveSince must be strictly before now - 5 s.
    assert.throws(() => checkAddMember(viewOf([{ id: SELF }, { id: 2n }, { id: 3n, since: NOW - 5_000 }]), newVoter), UNHEALTHY);
    assert.doesNotThrow(() => checkAddMember(viewOf([{ id: SELF }, { id: 2n }, { id: 3n, since: NOW - 5_001 }]), newVoter));
  });

  test('learners are not counted: a down learner does not block, a down voter does', () => {
    assert.doesNotThrow(() => checkAddMember(viewOf([{ id: SELF }, { id: 2n }, { id: 3n }, { id: 4n, isLearner: true, since: undefined }]), newVoter));
  });

  test('adding a learner skips the started check but not the connectivity check', () => {
    assert.doesNotThrow(() => checkAddMember(viewOf([{ id: SELF }, { id: 2n, name: '' }, { id: 3n, name: '' }]), newLearner));
    assert.throws(() => checkAddMember(viewOf([{ id: SELF }, { id: 2n }, { id: 3n, since: undefined }]), newLearner), UNHEALTHY);
  });

  test('the strict checks come before the member-table validation, as etcd proposes before it validates', () => {
    const view = viewOf([{ id: SELF }, { id: 2n }, { id: 3n, since: undefined }]);
    assert.throws(() => checkAddMember(view, { ...newVoter, peerUrls: [view.members[1]!.peerUrls[0]!] }), UNHEALTHY);
  });

  test('with --strict-reconfig-check=false only the validation remains', () => {
    const unhealthy = viewOf([{ id: SELF }, { id: 2n, name: '' }, { id: 3n, since: undefined }], { strictReconfigCheck: false });
    assert.doesNotThrow(() => checkAddMember(unhealthy, newVoter));
    assert.throws(() => checkAddMember(unhealthy, { ...newVoter, peerUrls: [unhealthy.members[1]!.peerUrls[0]!] }), /Peer URLs already exists/);
    const withLearner = viewOf([{ id: SELF }, { id: 2n, isLearner: true }], { strictReconfigCheck: false });
    assert.throws(() => checkAddMember(withLearner, newLearner), /too many learner members/);
  });
});

describe('a view without activeSince (links counted as up long enough while live)', () => {
  function liveOnly(specs: Spec[]): ClusterView {
    const { activeSince: _ignored, nowMs: _now, ...view } = viewOf(specs);
    return view;
  }

  test('add and remove follow isConnected', () => {
    assert.doesNotThrow(() => checkAddMember(liveOnly([{ id: SELF }, { id: 2n }, { id: 3n, since: NOW - 1 }]), newVoter));
    assert.throws(() => checkAddMember(liveOnly([{ id: SELF }, { id: 2n }, { id: 3n, since: undefined }]), newVoter), UNHEALTHY);
    assert.throws(() => checkRemoveMember(liveOnly([{ id: SELF }, { id: 2n }, { id: 3n, since: undefined }]), 2n), UNHEALTHY);
    assert.equal(checkRemoveMember(liveOnly([{ id: SELF }, { id: 2n }, { id: 3n, since: undefined }]), 3n).id, 3n);
  });
});

describe('checkRemoveMember (mayRemoveMember)', () => {
  const three = [{ id: SELF }, { id: 2n }, { id: 3n }];

  test('a connected voter leaves a healthy three-member cluster', () => {
    assert.equal(checkRemoveMember(viewOf(three), 3n).id, 3n);
    assert.equal(checkRemoveMember(viewOf(three), SELF).id, SELF);
  });

  test('with a voter down, removing a running one is refused; removing the down one is allowed', () => {
    const view = viewOf([{ id: SELF }, { id: 2n }, { id: 3n, since: undefined }]);
    assert.throws(() => checkRemoveMember(view, 2n), UNHEALTHY);
    assert.equal(checkRemoveMember(view, 3n).id, 3n);
  });

  test('the active count includes the removed member only if connected for 5 s, and one is always subtracted', () => {
    // 3 voters, member 3 connected 2 s ago: active = 2 (self, 2); 2 - 1 < 1 + 1.
    assert.throws(() => checkRemoveMember(viewOf([{ id: SELF }, { id: 2n }, { id: 3n, since: NOW - 2_000 }]), 3n), UNHEALTHY);
    // 5 voters, one down, removing a connected one: active 4, 4 - 1 >= 1 + 2.
    assert.equal(checkRemoveMember(viewOf([{ id: SELF }, { id: 2n }, { id: 3n }, { id: 4n }, { id: 5n, since: undefined }]), 4n).id, 4n);
  });

  test('the remaining started voters must be a quorum of the remaining voters', () => {
    assert.throws(() => checkRemoveMember(viewOf([{ id: SELF }, { id: 2n, name: '' }, { id: 3n }]), 3n), NOT_STARTED);
  });

  test('a learner is removed without any check', () => {
    assert.equal(checkRemoveMember(viewOf([{ id: SELF }, { id: 2n, name: '' }, { id: 3n, since: undefined }, { id: 4n, isLearner: true }]), 4n).id, 4n);
  });

  test('an unknown member is "member not found", with or without the strict checks', () => {
    assert.throws(() => checkRemoveMember(viewOf(three), 42n), /member not found/);
    assert.throws(() => checkRemoveMember(viewOf(three, { strictReconfigCheck: false }), 42n), /member not found/);
  });

  test("with --strict-reconfig-check=false a removal that breaks the active quorum is allowed (TestCtlV3MemberRemove's flag)", () => {
    const view = viewOf([{ id: SELF }, { id: 2n, name: '' }, { id: 3n, since: undefined }], { strictReconfigCheck: false });
    assert.equal(checkRemoveMember(view, 2n).id, 2n);
  });
});

describe('checkPromoteMember (mayPromoteMember)', () => {
  test('the learner of a single-member cluster is promoted: it counts as started', () => {
    assert.equal(checkPromoteMember(viewOf([{ id: SELF }, { id: 2n, isLearner: true, name: '' }]), 2n, 100, 100).id, 2n);
  });

  test('started voters plus the learner must be a quorum of the grown cluster', () => {
    // 3 voters, 1 started: 1 + 1 < quorum(4) = 3.
    const view = [{ id: SELF }, { id: 2n, name: '' }, { id: 3n, name: '' }, { id: 4n, isLearner: true }];
    assert.throws(() => checkPromoteMember(viewOf(view), 4n, 100, 100), NOT_STARTED);
    assert.equal(checkPromoteMember(viewOf(view, { strictReconfigCheck: false }), 4n, 100, 100).id, 4n);
  });

  test('a learner behind the leader is refused even without the strict checks', () => {
    const view = viewOf([{ id: SELF }, { id: 2n, isLearner: true }], { strictReconfigCheck: false });
    assert.throws(() => checkPromoteMember(view, 2n, 89, 100), /in sync with leader/);
  });

  test('an unknown member and a voter are refused', () => {
    const view = viewOf([{ id: SELF }, { id: 2n }]);
    assert.throws(() => checkPromoteMember(view, 42n, 0, 100), /member not found/);
    assert.throws(() => checkPromoteMember(view, 2n, 100, 100), /can only promote a learner member$/);
  });
});
