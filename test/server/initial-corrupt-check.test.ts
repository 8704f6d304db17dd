import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/pkg/logger.js';
import {
  checkInitialHashKv,
  InitialCorruptCheckError,
  type CorruptCheckPeer,
  type LocalHashKv,
  type PeerHashKv,
  type PeerHashKvResult,
} from '../../src/server/initial-corrupt-check.js';
import { CompactedError, FutureRevisionError } from '../../src/mvcc/index.js';

const LOCAL_ID = 0x8e9e05c52164694dn;
const PEER_A = 0x0a1b2c3d4e5f6071n; // leading zero nibble: printed without padding, as etcd's types.ID
const PEER_B = 0xfd422379fda50e48n;
const LOCAL: LocalHashKv = { hash: 1111, revision: 20, compactRevision: 5 };

interface Harness {
  lines: Record<string, unknown>[];
  calls: string[];
  run(peers: CorruptCheckPeer[], answers: Record<string, PeerHashKvResult | Error>): ReturnType<typeof checkInitialHashKv>;
}

function harness(): Harness {
  const lines: Record<string, unknown>[] = [];
  const calls: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) });
  return {
    lines,
    calls,
    run(peers, answers) {
      const peerHashKv: PeerHashKv = async (url, revision) => {
        calls.push(`${url}@${revision}`);
        const answer = answers[url];
        if (answer === undefined) throw new Error(`connect ECONNREFUSED ${url}`);
        if (answer instanceof Error) throw answer;
        return answer;
      };
      return checkInitialHashKv({ localMemberId: LOCAL_ID, local: LOCAL, peers, peerHashKv, logger, timeoutMs: 7000 });
    },
  };
}

const peer = (id: bigint, ...clientUrls: string[]): CorruptCheckPeer => ({ id, clientUrls });
const answer = (memberId: bigint, hash: number, compactRevision = LOCAL.compactRevision, revision = LOCAL.revision): PeerHashKvResult => ({ memberId, hash, compactRevision, revision });
const messages = (lines: Record<string, unknown>[]) => lines.map((line) => `${line['level']} ${line['msg']}`);

test('peers with the same hash pass, asked at the local revision; the local member and URL-less peers are skipped', async () => {
  const { run, lines, calls } = harness();
  const report = await run([peer(LOCAL_ID, 'http://self:2379'), peer(PEER_A, 'http://a:2379'), peer(PEER_B, 'http://b:2379'), peer(7n)], {
    'http://a:2379': answer(PEER_A, 1111),
    'http://b:2379': answer(PEER_B, 1111, 5, 25),
  });
  assert.deepEqual(calls.sort(), ['http://a:2379@20', 'http://b:2379@20']);
  assert.deepEqual(report.matched, [PEER_A, PEER_B]);
  assert.deepEqual(messages(lines), ['info starting initial corruption check', 'info initial corruption checking passed; no corruption']);
  assert.equal(lines[0]!['caller'], 'etcdserver/corrupt.go');
  assert.equal(lines[0]!['local-member-id'], '8e9e05c52164694d');
  assert.equal(lines[0]!['timeout'], '7s');
});

test('a different hash at the same compact revision fails the start with etcd\'s error', async () => {
  const { run, lines } = harness();
  await assert.rejects(
    run([peer(PEER_A, 'http://a:2379'), peer(PEER_B, 'http://b:2379')], {
      'http://a:2379': answer(PEER_A, 1111),
      'http://b:2379': answer(PEER_B, 2222),
    }),
    (error: unknown) => {
      assert.ok(error instanceof InitialCorruptCheckError);
      assert.equal(error.message, '8e9e05c52164694d found data inconsistency with peers');
      assert.deepEqual(error.mismatched, [PEER_B]);
      return true;
    },
  );
  assert.deepEqual(messages(lines), ['info starting initial corruption check', 'warn found different hash values from remote peer']);
  const warning = lines[1]!;
  assert.equal(warning['remote-peer-id'], 'fd422379fda50e48');
  assert.deepEqual(warning['remote-peer-endpoints'], ['http://b:2379']);
  assert.equal(warning['local-member-hash'], 1111);
  assert.equal(warning['remote-peer-hash'], 2222);
  assert.equal(warning['local-member-compact-revision'], 5);
  assert.equal(warning['remote-peer-compact-revision'], 5);
});

test('member ids in the error are lower-case hex without padding', async () => {
  const { lines } = harness();
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) });
  await assert.rejects(
    checkInitialHashKv({
      localMemberId: PEER_A,
      local: LOCAL,
      peers: [peer(PEER_B, 'http://b:2379')],
      peerHashKv: async () => answer(PEER_B, 3),
      logger,
    }),
    { message: 'a1b2c3d4e5f6071 found data inconsistency with peers' },
  );
});

test('a different hash with another compact revision is only a warning', async () => {
  const { run, lines } = harness();
  const report = await run([peer(PEER_A, 'http://a:2379')], { 'http://a:2379': answer(PEER_A, 2222, 10) });
  assert.deepEqual(report.differentCompactRevision, [PEER_A]);
  assert.deepEqual(messages(lines), [
    'info starting initial corruption check',
    'warn found different compact revision values from remote peer',
    'info initial corruption checking passed; no corruption',
  ]);
});

test('a peer behind the local revision or compacted past it is only a warning', async () => {
  const { run, lines } = harness();
  const report = await run([peer(PEER_A, 'http://a:2379'), peer(PEER_B, 'http://b:2379')], {
    // As they arrive from a peer over gRPC: etcd's text in the details.
    'http://a:2379': Object.assign(new Error('11 OUT_OF_RANGE: etcdserver: mvcc: required revision is a future revision'), {
      code: 11,
      details: 'etcdserver: mvcc: required revision is a future revision',
    }),
    'http://b:2379': new CompactedError(),
  });
  assert.deepEqual(report.lagging, [PEER_A]);
  assert.deepEqual(report.compactedPast, [PEER_B]);
  assert.deepEqual(messages(lines), [
    'info starting initial corruption check',
    'warn failed hash kv request',
    'warn failed hash kv request',
    'warn cannot fetch hash from slow remote peer',
    'warn cannot fetch hash from remote peer; local member is behind',
    'info initial corruption checking passed; no corruption',
  ]);
  assert.equal(lines[1]!['requested-revision'], 20);
  assert.equal(lines[3]!['remote-peer-id'], 'a1b2c3d4e5f6071');
});

test('a peer\'s URLs are tried in turn; the first answer counts; an unreachable peer does not stop the start', async () => {
  const { run, lines, calls } = harness();
  const report = await run([peer(PEER_A, 'http://a1:2379', 'http://a2:2379', 'http://a3:2379'), peer(PEER_B, 'http://b:2379')], {
    'http://a1:2379': new FutureRevisionError(),
    'http://a2:2379': answer(PEER_A, 1111),
    'http://a3:2379': answer(PEER_A, 9999),
  });
  assert.deepEqual(calls.filter((call) => call.startsWith('http://a')), ['http://a1:2379@20', 'http://a2:2379@20']);
  assert.deepEqual(report.matched, [PEER_A]);
  assert.deepEqual(report.unreachable, [PEER_B]);
  assert.deepEqual(messages(lines), [
    'info starting initial corruption check',
    'warn failed hash kv request',
    'warn failed hash kv request',
    'info initial corruption checking passed; no corruption',
  ]);
});

test('a mismatch is found even when other peers lag or cannot be reached', async () => {
  const { run } = harness();
  await assert.rejects(
    run([peer(PEER_A, 'http://a:2379'), peer(PEER_B, 'http://b:2379'), peer(9n, 'http://c:2379')], {
      'http://a:2379': new FutureRevisionError(),
      'http://b:2379': answer(PEER_B, 4242, 5, 30),
    }),
    InitialCorruptCheckError,
  );
});
