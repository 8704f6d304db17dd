// Lease expiry timing on a member process: leased keys disappear within a second
// of the lease's expiry and never before; a lease's keys go in one revision; a
// revoke is one watch response; and after a restart a lease that nobody keeps
// alive lives its whole TTL again (plus the election timeout etcd adds when a
// leader takes over), as etcd 3.4 does with lease checkpoints off (its default).
//
// Time is taken with performance.now() around each request: the server starts a
// lease's clock after the grant request left (`sentAt`) and before its response
// arrived (`answeredAt`). "Never before" is checked against `sentAt`, "within a
// second" against `answeredAt`; polls record when they left and when they were
// answered, so every bound holds whatever the machine's load.
//
// LEASE_EXPIRY_KIND=etcd runs the same file against the real etcd 3.4, which is
// how the expectations here were checked.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Etcd3, type IWatchResponse } from 'etcd3';
import { MemberProcess, stopAllMembers, type MemberKind } from '../support/member-process.js';
import { waitFor } from '../support/wait-for.js';

const memberKind = (process.env['LEASE_EXPIRY_KIND'] ?? 'etcd-ts') as MemberKind;

/** The member's --election-timeout (the default): etcd extends leases by it when a leader takes over. */
const ELECTION_TIMEOUT_MS = 1000;
/** The promise under test: keys are gone within a second of expiry. */
const EXPIRY_SLACK_MS = 1000;
/** Time between a poll's answer and the server's read it reports: client-side latency on a busy machine. */
const POLL_ALLOWANCE_MS = 250;
/** Clock granularity between the test's and the server's view of "now". */
const CLOCK_MARGIN_MS = 10;
const POLL_INTERVAL_MS = 20;

interface Poll {
  sentAt: number;
  answeredAt: number;
  /** Keys present under each watched prefix. */
  present: Map<string, number>;
  revision: number;
}

const text = (value: string) => Buffer.from(value);
const prefixEnd = (prefix: string) => Buffer.from(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1));

describe(`lease expiry and revoke timing (${memberKind})`, { timeout: 120_000 }, () => {
  let member: MemberProcess;
  let client: Etcd3;

  before(async () => {
    member = await MemberProcess.start({ kind: memberKind });
    client = new Etcd3({ hosts: member.clientUrl });
  });
  after(async () => {
    client?.close();
    await stopAllMembers();
  });

  async function grant(ttlSeconds: number): Promise<{ id: string; sentAt: number; answeredAt: number }> {
    const sentAt = performance.now();
    const response = await client.leaseClient.leaseGrant({ TTL: ttlSeconds });
    const answeredAt = performance.now();
    assert.equal(response.TTL, String(ttlSeconds));
    return { id: response.ID, sentAt, answeredAt };
  }

  async function putKeys(prefix: string, count: number, lease: string): Promise<string[]> {
    const keys = Array.from({ length: count }, (_unused, index) => `${prefix}${index}`);
    for (const key of keys) await client.kv.put({ key: text(key), value: text('v'), lease });
    return keys;
  }

  /** One linearizable range over `root`, counting keys per prefix. */
  async function poll(root: string, prefixes: string[]): Promise<Poll> {
    const sentAt = performance.now();
    const response = await client.kv.range({ key: text(root), range_end: prefixEnd(root), keys_only: true });
    const answeredAt = performance.now();
    const present = new Map(prefixes.map((prefix) => [prefix, 0]));
    for (const kv of response.kvs) {
      const key = kv.key.toString();
      for (const prefix of prefixes) if (key.startsWith(prefix)) present.set(prefix, present.get(prefix)! + 1);
    }
    return { sentAt, answeredAt, present, revision: Number(response.header.revision) };
  }

  /** Polls every POLL_INTERVAL_MS until every prefix is empty or the deadline passes; returns all polls. */
  async function pollUntilGone(root: string, prefixes: string[], deadline: number): Promise<Poll[]> {
    const polls: Poll[] = [];
    for (;;) {
      let result: Poll | undefined;
      try {
        result = await poll(root, prefixes);
      } catch {
        // A request that failed tells nothing about the keys (e.g. right after a restart).
      }
      if (result) {
        polls.push(result);
        if ([...result.present.values()].every((count) => count === 0)) return polls;
      }
      if (performance.now() > deadline) return polls;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  /**
   * Checks the keys under `prefix` against a lease whose clock started no sooner
   * than `notBefore` (when the keys may first go) and no later than `startedBy`.
   */
  function assertExpiryWindow(polls: Poll[], prefix: string, keyCount: number, notBefore: number, startedBy: number, ttlMs: number): { firstGone: Poll; summary: string } {
    const counts = polls.map((entry) => entry.present.get(prefix)!);
    assert.ok(
      counts.every((count) => count === keyCount || count === 0),
      `${prefix}: keys of one lease must go together, saw counts ${[...new Set(counts)].join(',')}`,
    );
    const firstGoneIndex = counts.indexOf(0);
    assert.ok(firstGoneIndex > 0, `${prefix}: keys never seen gone (or gone at the first poll); last poll at ${(polls.at(-1)!.answeredAt - startedBy).toFixed(0)} ms after the clock start`);
    const firstGone = polls[firstGoneIndex]!;
    const earliest = notBefore + ttlMs - CLOCK_MARGIN_MS;
    assert.ok(
      firstGone.answeredAt >= earliest,
      `${prefix}: keys gone ${(earliest - firstGone.answeredAt).toFixed(0)} ms before the lease could have expired`,
    );
    for (const entry of polls.slice(firstGoneIndex)) assert.equal(entry.present.get(prefix), 0, `${prefix}: keys came back`);
    const latest = startedBy + ttlMs + EXPIRY_SLACK_MS + POLL_ALLOWANCE_MS;
    assert.ok(
      firstGone.answeredAt <= latest,
      `${prefix}: keys still there ${(firstGone.answeredAt - startedBy - ttlMs).toFixed(0)} ms after expiry (allowed ${EXPIRY_SLACK_MS} + ${POLL_ALLOWANCE_MS} ms)`,
    );
    const lastPresent = polls[firstGoneIndex - 1]!;
    assert.ok(lastPresent.sentAt < latest, `${prefix}: keys present at ${(lastPresent.sentAt - startedBy).toFixed(0)} ms`);
    const summary =
      `${prefix} last seen ${(lastPresent.sentAt - notBefore - ttlMs).toFixed(0)} ms after the earliest possible expiry, ` +
      `seen gone ${(firstGone.answeredAt - startedBy - ttlMs).toFixed(0)} ms after the latest (${polls.length} polls)`;
    return { firstGone, summary };
  }

  /** Collects a watcher's responses that carry events. */
  async function watchPrefix(prefix: string): Promise<{ responses: IWatchResponse[]; cancel: () => Promise<void> }> {
    const watcher = await client.watch().prefix(prefix).create();
    const responses: IWatchResponse[] = [];
    watcher.on('data', (response) => {
      if (response.events.length > 0) responses.push(response);
    });
    return { responses, cancel: () => watcher.cancel() };
  }

  function deletions(responses: IWatchResponse[]): Array<{ revision: number; keys: string[] }> {
    return responses
      .filter((response) => response.events.some((event) => event.type === 'Delete'))
      .map((response) => {
        assert.ok(response.events.every((event) => event.type === 'Delete'), 'a revoke response holds only deletions');
        const revisions = new Set(response.events.map((event) => Number(event.kv.mod_revision)));
        assert.equal(revisions.size, 1, `one revision for all deletions of a response, saw ${[...revisions].join(',')}`);
        assert.equal([...revisions][0], Number(response.header.revision));
        return { revision: [...revisions][0]!, keys: response.events.map((event) => event.kv.key.toString()).sort() };
      });
  }

  it('deletes a lease\'s keys within a second of its TTL, never before, in one revision', async (t) => {
    const ttlSeconds = 5;
    const watch = await watchPrefix('single/');
    try {
      const lease = await grant(ttlSeconds);
      const keys = await putKeys('single/', 4, lease.id);
      const before = await poll('single/', ['single/']);
      assert.equal(before.present.get('single/'), keys.length, 'all keys attached before the first poll');
      const polls = await pollUntilGone('single/', ['single/'], lease.answeredAt + ttlSeconds * 1000 + 5_000);
      t.diagnostic(assertExpiryWindow([before, ...polls], 'single/', keys.length, lease.sentAt, lease.answeredAt, ttlSeconds * 1000).summary);

      await waitFor('the expiry deletions to reach the watcher', () => deletions(watch.responses).length > 0 || undefined, { timeoutMs: 5_000 });
      const deleted = deletions(watch.responses);
      assert.deepEqual(deleted, [{ revision: before.revision + 1, keys }], 'one response, one revision, right after the last put');
      const expired = await client.leaseClient.leaseTimeToLive({ ID: lease.id, keys: true });
      assert.equal(expired.TTL, '-1');
    } finally {
      await watch.cancel();
    }
  });

  it('expires several leases with different TTLs, each on time', async (t) => {
    const ttls = [3, 4, 6];
    const prefixes = ttls.map((ttl) => `multi/ttl${ttl}/`);
    const watch = await watchPrefix('multi/');
    try {
      const leases = await Promise.all(ttls.map((ttl) => grant(ttl)));
      const keysByPrefix = await Promise.all(prefixes.map((prefix, index) => putKeys(prefix, 3, leases[index]!.id)));
      const before = await poll('multi/', prefixes);
      const latestEnd = Math.max(...leases.map((lease, index) => lease.answeredAt + ttls[index]! * 1000));
      const polls = await pollUntilGone('multi/', prefixes, latestEnd + 5_000);
      const gone = prefixes.map((prefix, index) => {
        const { firstGone, summary } = assertExpiryWindow([before, ...polls], prefix, keysByPrefix[index]!.length, leases[index]!.sentAt, leases[index]!.answeredAt, ttls[index]! * 1000);
        t.diagnostic(summary);
        return firstGone;
      });
      assert.ok(gone[0]!.answeredAt < gone[1]!.answeredAt && gone[1]!.answeredAt < gone[2]!.answeredAt, 'shorter leases go first');

      await waitFor('three expiry deletions at the watcher', () => deletions(watch.responses).length >= 3 || undefined, { timeoutMs: 5_000 });
      const deleted = deletions(watch.responses);
      assert.deepEqual(
        deleted.map((entry) => entry.keys),
        keysByPrefix.map((keys) => [...keys].sort()),
        'one watch response per lease, in expiry order',
      );
      assert.deepEqual(
        deleted.map((entry) => entry.revision),
        [before.revision + 1, before.revision + 2, before.revision + 3],
        'each expiry is one revision',
      );
    } finally {
      await watch.cancel();
    }
  });

  it('revokes all of a lease\'s keys in one revision that a watcher sees as one response', async () => {
    const lease = await grant(60);
    const keys = await putKeys('revoke/', 5, lease.id);
    await client.kv.put({ key: text('revoke/unleased'), value: text('stays') });
    const watch = await watchPrefix('revoke/');
    try {
      const before = await poll('revoke/', ['revoke/']);
      assert.equal(before.present.get('revoke/'), keys.length + 1);
      await client.leaseClient.leaseRevoke({ ID: lease.id });
      const afterRevoke = await poll('revoke/', ['revoke/']);
      assert.equal(afterRevoke.present.get('revoke/'), 1, 'only the unleased key is left');
      assert.equal(afterRevoke.revision, before.revision + 1, 'the store revision grew by exactly one');
      await waitFor('the revoke to reach the watcher', () => watch.responses.length > 0 || undefined, { timeoutMs: 5_000 });
      assert.equal(watch.responses.length, 1, 'one watch response');
      assert.deepEqual(deletions(watch.responses), [{ revision: before.revision + 1, keys }]);
    } finally {
      await watch.cancel();
    }
  });

  it('after a restart, an idle lease lives its full TTL again (plus the election timeout) before its keys go', async (t) => {
    const ttlSeconds = 5;
    const lease = await grant(ttlSeconds);
    const keys = await putKeys('restart/', 3, lease.id);
    // Let part of the TTL pass, so that "restarted from the full TTL" and "kept its
    // original expiry" are far apart.
    await waitFor(
      'the lease to run down to 3 s remaining',
      async () => Number((await client.leaseClient.leaseTimeToLive({ ID: lease.id })).TTL) <= 3 || undefined,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const originalExpiry = lease.answeredAt + ttlSeconds * 1000;
    const restartCalledAt = performance.now();
    await member.restart();
    const readyAt = performance.now();

    const remaining = await waitFor('time-to-live after the restart', async () => client.leaseClient.leaseTimeToLive({ ID: lease.id, keys: true }), { timeoutMs: 10_000 });
    assert.ok(Number(remaining.TTL) >= ttlSeconds - 1, `the restart renews the lease, but ${remaining.TTL} s remain`);
    assert.deepEqual(remaining.keys.map((key) => key.toString()).sort(), keys);

    // The new leader's clock starts after the process was launched and before it served clients.
    const extendedTtlMs = ttlSeconds * 1000 + ELECTION_TIMEOUT_MS;
    const polls = await pollUntilGone('restart/', ['restart/'], readyAt + extendedTtlMs + 5_000);
    const { firstGone, summary } = assertExpiryWindow(polls, 'restart/', keys.length, restartCalledAt, readyAt, extendedTtlMs);
    t.diagnostic(`restart took ${(readyAt - restartCalledAt).toFixed(0)} ms; ${summary}`);
    assert.ok(firstGone.answeredAt > originalExpiry + EXPIRY_SLACK_MS, 'the keys outlived the lease\'s original expiry');
  });
});
