// The periodic corruption check (etcd's monitorKVHash / checkHashKV) on a
// virtual clock with injected peers: only the leader checks, every interval;
// a peer with the same compact revision and another hash, or one ahead of
// the leader, raises CORRUPT once per pass (member id 0, as etcd 3.4.23);
// peers that are behind, compacted past the revision or unreachable raise
// nothing; stop() ends the loop; interval 0 starts nothing.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startPeriodicCorruptCheck, type PeriodicCorruptCheckParts } from '../../src/server/periodic-corrupt-check.js';
import type { PeerHashKvResult } from '../../src/server/initial-corrupt-check.js';
import { AlarmAction, AlarmType, type AlarmRequest } from '../../src/server/alarms.js';
import { recordingLogger, type LogLine } from '../support/recording-logger.js';
import { VirtualTimers } from '../support/virtual-timers.js';


const LEADER = 0x10n;
const PEER_A = 0x20n;
const PEER_B = 0x30n;
const LOCAL = { hash: 1111, revision: 50, compactRevision: 10 };

type PeerAnswer = Omit<PeerHashKvResult, 'memberId'> | Error;

function harness(answers: Record<string, PeerAnswer>, options: { leader?: () => boolean; readNotify?: () => Promise<void> } = {}) {
  const clock = new VirtualTimers();
  const lines: LogLine[] = [];
  const logger = recordingLogger(lines);
  const alarms: AlarmRequest[] = [];
  const asked: Array<{ url: string; revision: number }> = [];
  let leader = true;
  const ids: Record<string, bigint> = { 'http://a': PEER_A, 'http://b': PEER_B };
  const parts: PeriodicCorruptCheckParts = {
    localMemberId: LEADER,
    intervalMs: 1000,
    logger,
    clock,
    isLeader: options.leader ?? (() => leader),
    localHashKv: () => ({ ...LOCAL }),
    members: () => [
      { id: LEADER, clientUrls: ['http://leader'] },
      { id: PEER_A, clientUrls: ['http://a'] },
      { id: PEER_B, clientUrls: ['http://b'] },
    ],
    peerHashKv: async (url, revision) => {
      asked.push({ url, revision });
      const answer = answers[url];
      if (answer === undefined || answer instanceof Error) throw answer ?? new Error('connect ECONNREFUSED');
      return { ...answer, memberId: ids[url]! };
    },
    linearizableReadNotify: options.readNotify ?? (async () => undefined),
    proposeAlarm: async (request) => void alarms.push(request),
  };
  const monitor = startPeriodicCorruptCheck(parts);
  assert.ok(monitor);
  return {
    clock,
    lines,
    alarms,
    asked,
    monitor,
    setLeader: (value: boolean) => (leader = value),
    messages: (msg: string) => lines.filter((line) => line.msg === msg),
  };
}

const same = { hash: LOCAL.hash, revision: LOCAL.revision, compactRevision: LOCAL.compactRevision };
const corruptAlarm: AlarmRequest = { action: AlarmAction.ACTIVATE, memberID: '0', alarm: AlarmType.CORRUPT };

describe('periodic corruption check', () => {
  it('does nothing with interval 0', () => {
    const clock = new VirtualTimers();
    const monitor = startPeriodicCorruptCheck({
      localMemberId: LEADER,
      intervalMs: 0,
      logger: recordingLogger(),
      clock,
      isLeader: () => true,
      localHashKv: () => LOCAL,
      members: () => [],
      peerHashKv: async () => assert.fail('asked'),
      linearizableReadNotify: async () => undefined,
      proposeAlarm: async () => assert.fail('alarm'),
    });
    assert.equal(monitor, undefined);
    assert.equal(clock.pending, 0);
  });

  it('checks peers at the leader revision every interval, only while leader, and raises nothing when they agree', async () => {
    const h = harness({ 'http://a': same, 'http://b': same });
    assert.equal(h.messages('enabled corruption checking').length, 1);
    assert.equal(h.messages('enabled corruption checking')[0]!.fields!['interval'], '1s');
    await h.clock.advance(999);
    assert.equal(h.asked.length, 0);
    await h.clock.advance(1);
    assert.deepEqual(h.asked, [
      { url: 'http://a', revision: 50 },
      { url: 'http://b', revision: 50 },
    ]);
    assert.deepEqual(h.messages('finished peer corruption check').map((line) => line.fields!['number-of-peers-checked']), [2]);
    h.setLeader(false);
    await h.clock.advance(5000);
    assert.equal(h.asked.length, 2, 'a follower asked peers');
    h.setLeader(true);
    await h.clock.advance(1000);
    assert.equal(h.asked.length, 4);
    assert.deepEqual(h.alarms, []);
    h.monitor.stop();
  });

  it('raises CORRUPT once per pass, for member 0, when peers with the same compact revision differ', async () => {
    const h = harness({ 'http://a': { ...same, hash: 2222 }, 'http://b': { ...same, hash: 3333 } });
    await h.clock.advance(1000);
    assert.deepEqual(h.alarms, [corruptAlarm]);
    const warnings = h.messages('same compact revision then hashes must match');
    assert.deepEqual(
      warnings.map((line) => line.fields!['follower-peer-id']),
      ['20', '30'],
    );
    assert.equal(warnings[0]!.level, 'warn');
    assert.equal(warnings[0]!.fields!['leader-hash'], 1111);
    assert.equal(warnings[0]!.fields!['follower-hash'], 2222);
    // The next pass proposes again (the alarm store keeps one), as etcd does.
    await h.clock.advance(1000);
    assert.equal(h.alarms.length, 2);
    h.monitor.stop();
  });

  it('raises CORRUPT for a peer ahead of the leader', async () => {
    const h = harness({ 'http://a': { ...same, revision: 51 }, 'http://b': { ...same, compactRevision: 20, hash: 5 } });
    const pass = await h.monitor.checkHashKv();
    assert.deepEqual(pass.mismatched, [PEER_A, PEER_B]);
    assert.deepEqual(h.alarms, [corruptAlarm]);
    assert.equal(h.messages("revision from follower must be less than or equal to leader's").length, 1);
    assert.equal(h.messages("compact revision from follower must be less than or equal to leader's").length, 1);
    h.monitor.stop();
  });

  it('only logs peers that are behind, compacted past the revision, unreachable, or at an older compact revision', async () => {
    const h = harness({
      'http://a': Object.assign(new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision is a future revision'), {
        details: 'etcdserver: mvcc: required revision is a future revision',
      }),
      // no answer for b: unreachable
    });
    await h.clock.advance(1000);
    assert.deepEqual(h.alarms, []);
    assert.equal(h.messages('failed hash kv request').length, 2);
    assert.deepEqual(h.messages('finished peer corruption check').map((line) => line.fields!['number-of-peers-checked']), [0]);
    h.monitor.stop();

    const older = harness({ 'http://a': { ...same, compactRevision: 5, hash: 9 }, 'http://b': same });
    const pass = await older.monitor.checkHashKv();
    assert.deepEqual(pass.mismatched, []);
    assert.deepEqual(older.alarms, []);
    older.monitor.stop();
  });

  it('stops: no pass after stop()', async () => {
    const h = harness({ 'http://a': { ...same, hash: 2 }, 'http://b': same });
    h.monitor.stop();
    await h.clock.advance(10_000);
    assert.equal(h.asked.length, 0);
    assert.equal(h.clock.pending, 0);
    assert.deepEqual(h.alarms, []);
  });

  it('stops while a pass is waiting: the pass raises nothing', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const clock = new VirtualTimers();
    const alarms: AlarmRequest[] = [];
    const monitor = startPeriodicCorruptCheck({
      localMemberId: LEADER,
      intervalMs: 1000,
      logger: recordingLogger(),
      clock,
      isLeader: () => true,
      localHashKv: () => LOCAL,
      members: () => [{ id: PEER_A, clientUrls: ['http://a'] }],
      peerHashKv: async () => ({ ...same, hash: 2, memberId: PEER_A }),
      linearizableReadNotify: () => gate,
      proposeAlarm: async (request) => void alarms.push(request),
    })!;
    await clock.advance(1000);
    monitor.stop();
    release();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(alarms, []);
    assert.equal(clock.pending, 0);
  });

  it('logs a failed pass (read notify refused) and keeps checking', async () => {
    let fail = true;
    const h = harness(
      { 'http://a': same, 'http://b': same },
      {
        readNotify: async () => {
          if (fail) throw new Error('etcdserver: request timed out');
        },
      },
    );
    await h.clock.advance(1000);
    assert.deepEqual(h.messages('failed to check hash KV').map((line) => line.fields!['error']), ['etcdserver: request timed out']);
    fail = false;
    await h.clock.advance(1000);
    assert.equal(h.messages('finished peer corruption check').length, 1);
    h.monitor.stop();
  });
});
