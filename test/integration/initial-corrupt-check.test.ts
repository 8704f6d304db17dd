// --experimental-initial-corrupt-check on a three-member cluster. A member
// restarted on its own, unchanged data starts and serves, also while one of
// its peers is down (an unreachable peer only gives a warning). A member whose
// backend was corrupted offline (one value byte of a key-bucket entry flipped,
// the revision key kept, as etcd's e2e TestEtcdCorruptHash does with bbolt)
// refuses to start: "failed to start etcd", error "<its member id> found data
// inconsistency with peers", exit code 1. The other two members keep serving.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Backend } from '../../src/backend/index.js';
import { decodeKeyValue, encodeKeyValue, encodeRevisionKey } from '../../src/mvcc/index.js';
import { Cluster, stopAllClusters, type ClusterMember } from '../support/cluster-process.js';
import { READY_LINE, ServerProcess } from '../support/server-process.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';

const FLAG = '--experimental-initial-corrupt-check';

interface LogRecord {
  level?: string;
  msg?: string;
  [field: string]: unknown;
}

function logRecords(output: string): LogRecord[] {
  const records: LogRecord[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      records.push(JSON.parse(line) as LogRecord);
    } catch {
      // a partial line
    }
  }
  return records;
}

function findLog(output: string, msg: string): LogRecord[] {
  return logRecords(output).filter((record) => record.msg === msg);
}

/** The member id as etcd prints it (hex, no zero padding), read without going through a double. */
async function memberIdHex(member: ClusterMember): Promise<string> {
  const status = await etcdctlOk(member.endpoint, ['endpoint', 'status', '-w', 'json']);
  const match = /"member_id":(\d+)/.exec(status);
  assert.ok(match, status);
  return BigInt(match[1]!).toString(16);
}

async function revisionOf(member: ClusterMember): Promise<string> {
  const status = await etcdctlOk(member.endpoint, ['endpoint', 'status', '-w', 'json']);
  const match = /"revision":(\d+)/.exec(status);
  assert.ok(match, status);
  return match[1]!;
}

/** mod_revision of `key` as `member` serves it. */
async function modRevisionOf(member: ClusterMember, key: string): Promise<number> {
  const out = await etcdctlOk(member.endpoint, ['get', key, '-w', 'json']);
  const match = /"mod_revision":(\d+)/.exec(out);
  assert.ok(match, out);
  return Number(match[1]);
}

/**
 * Flips the first value byte of the key-bucket entry at revision {main, 0} in
 * the (stopped) member's backend, keeping the revision key and the protobuf's
 * layout; checks by reopening the file that the change was committed.
 */
async function corruptValueAt(member: ClusterMember, main: number, key: string): Promise<void> {
  const directory = join(member.dataDir, 'member', 'snap');
  const revisionKey = encodeRevisionKey({ main, sub: 0 });
  const backend = Backend.open(directory);
  let corrupted: Buffer;
  try {
    const stored = backend.get('key', revisionKey);
    assert.ok(stored, `revision ${main} is not in ${directory}: the graceful stop did not commit it`);
    const keyValue = decodeKeyValue(Buffer.from(stored));
    assert.equal(keyValue.key.toString(), key);
    assert.ok(keyValue.value.length > 0);
    const value = Buffer.from(keyValue.value);
    value[0] = value[0]! ^ 0x01;
    corrupted = encodeKeyValue({ ...keyValue, key: Buffer.from(keyValue.key), value });
    assert.equal(corrupted.length, stored.length);
    backend.batchTx().put('key', revisionKey, corrupted);
  } finally {
    await backend.close();
  }
  const reopened = Backend.open(directory);
  try {
    assert.deepEqual(reopened.get('key', revisionKey), corrupted, 'the corrupted value is not in the file');
  } finally {
    await reopened.close();
  }
}

/**
 * Runs `member` from its flags in a process of our own, to see its exit code
 * (ClusterMember does not expose it); the process is killed in any case.
 * Fails at once if the member reports that it serves clients instead.
 */
async function startExpectingExit(member: ClusterMember, timeoutMs: number): Promise<{ code: number | null; signal: string | null; output: string }> {
  const server = new ServerProcess('etcd-ts', member.flags());
  try {
    // waitFor keeps polling through a throwing probe, so the ready case is a result.
    const outcome = await waitFor(`${member.name} to exit`, () => (server.output.includes(READY_LINE) ? 'ready' : !server.running && 'exited'), { timeoutMs }).catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\n${server.output.slice(-4000)}`);
      },
    );
    assert.equal(outcome, 'exited', `${member.name} serves clients instead of exiting:\n${server.output.slice(-4000)}`);
    await server.exit();
    return { code: server.child.exitCode, signal: server.child.signalCode, output: server.output };
  } finally {
    await server.signalAndWait('SIGKILL');
  }
}

describe('--experimental-initial-corrupt-check', { timeout: 120_000 }, () => {
  after(stopAllClusters);

  it('starts members with consistent data, also with a peer down, and refuses a corrupted one', async () => {
    const cluster = await Cluster.start({ size: 3, extraFlags: [FLAG] });
    try {
      const [m1, m2, m3] = cluster.members as [ClusterMember, ClusterMember, ClusterMember];
      for (let i = 0; i < 10; i++) await etcdctlOk(m1.endpoint, ['put', `key${i}`, `value${i}`]);
      await etcdctlOk(m1.endpoint, ['put', 'foo', 'bar']);
      const m1Id = await memberIdHex(m1);
      const peerIds = [await memberIdHex(m2), await memberIdHex(m3)].sort();

      // 1. Restart on unchanged data: the check compares with both peers and passes.
      await m1.restart();
      assert.equal(findLog(m1.output, 'starting initial corruption check').length, 1, m1.output.slice(-4000));
      assert.equal(findLog(m1.output, 'initial corruption checking passed; no corruption').length, 1, m1.output.slice(-4000));
      assert.deepEqual(findLog(m1.output, 'failed hash kv request'), []);
      assert.match(await etcdctlOk(m1.endpoint, ['get', 'foo', '--print-value-only']), /^bar$/m);
      await etcdctlOk(m1.endpoint, ['put', 'after-restart', 'ok']);

      // 2. Restart while a peer is down: its request fails with a warning; the member starts.
      await m3.stop();
      await m1.restart();
      const failed = findLog(m1.output, 'failed hash kv request');
      assert.ok(failed.length >= 1, m1.output.slice(-4000));
      assert.ok(
        failed.every((record) => record['remote-peer-endpoint'] === m3.clientUrl),
        JSON.stringify(failed),
      );
      assert.equal(findLog(m1.output, 'initial corruption checking passed; no corruption').length, 1, m1.output.slice(-4000));
      assert.match(await etcdctlOk(m1.endpoint, ['get', 'after-restart', '--print-value-only']), /^ok$/m);
      await m3.start();
      await etcdctlOk(m3.endpoint, ['put', 'foo', 'baz']);

      // 3. Corrupt m1's backend offline; it must refuse to start.
      await waitFor('all members at one revision', async () => {
        const revisions = await Promise.all(cluster.members.map(revisionOf));
        return revisions.every((revision) => revision === revisions[0]) || undefined;
      });
      const fooRevision = await modRevisionOf(m1, 'foo');
      await m1.stop();
      await corruptValueAt(m1, fooRevision, 'foo');

      const result = await startExpectingExit(m1, 40_000);
      assert.equal(result.code, 1, `exit ${result.code ?? result.signal}:\n${result.output.slice(-4000)}`);
      const refused = findLog(result.output, 'failed to start etcd');
      assert.equal(refused.length, 1, result.output.slice(-4000));
      assert.equal(refused[0]!['error'], `${m1Id} found data inconsistency with peers`);
      assert.equal(refused[0]!['level'], 'error');
      const mismatches = findLog(result.output, 'found different hash values from remote peer');
      assert.deepEqual(mismatches.map((record) => record['remote-peer-id']).sort(), peerIds, result.output.slice(-4000));
      for (const record of mismatches) {
        assert.equal(record['local-member-id'], m1Id);
        assert.notEqual(record['local-member-hash'], record['remote-peer-hash']);
        assert.equal(record['local-member-revision'], record['remote-peer-revision']);
      }
      assert.ok(!result.output.includes(READY_LINE), result.output.slice(-4000));

      // The other two keep serving.
      await etcdctlOk(m2.endpoint, ['put', 'survivor', 'yes']);
      assert.match(await etcdctlOk(m3.endpoint, ['get', 'survivor', '--print-value-only']), /^yes$/m);
      assert.match(await etcdctlOk(m2.endpoint, ['get', 'foo', '--print-value-only']), /^baz$/m);
    } finally {
      await cluster.stop();
    }
  });
});
