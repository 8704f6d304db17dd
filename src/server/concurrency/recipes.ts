// etcd's election and lock recipes (client/v3/concurrency: session.go,
// key.go, mutex.go, election.go) as its v3election and v3lock servers run
// them, on the member's own operations: every key lives under "<name>/",
// named by the lease that holds it ("<name>/<lease in hex>"); the holder is
// the key with the lowest create revision; a waiter watches the key created
// just before its own until it is deleted (Unlock, Resign, or the lease's
// expiry or revocation), so waiters are served in create-revision order and
// a holder whose lease ends loses the lock or leadership. No state is kept
// outside the keys.

import type { AuthInfo } from '../../auth/types.js';
import type { LeaseId } from '../../lease/index.js';
import type { KeyValue } from '../../mvcc/index.js';
import type { ResponseHeader, TxnResponse } from '../apply/types.js';
import { asClientError, ConcurrencyCanceledError, concurrencyErrors } from './errors.js';
import { isDelete, watchEvents, type ConcurrencyKv } from './member-kv.js';
import {
  createRevisionIs,
  deleteRequest,
  firstCreateRequest,
  lastCreateBeforeRequest,
  op,
  prefixRangeEnd,
  putRequest,
  rangeRequest,
  sessionKey,
} from './requests.js';

/** concurrency's defaultSessionTTL: the lease a session grants when none is given. */
export const DEFAULT_SESSION_TTL_SECONDS = 60;

export interface LeaderKey {
  name: Buffer;
  key: Buffer;
  rev: number;
  lease: LeaseId;
}

/** One operation of a caller: who it runs as, and the call's cancellation. */
export interface OperationContext {
  caller: AuthInfo | undefined;
  signal: AbortSignal;
}

const EMPTY = Buffer.alloc(0);

/**
 * The member's errors as etcd's in-process client hands them on; a call the
 * client gave up on ends as canceled.
 */
async function clientCall<T>(context: OperationContext, run: () => Promise<T>): Promise<T> {
  if (context.signal.aborted) throw new ConcurrencyCanceledError();
  let result: T;
  try {
    result = await run();
  } catch (error) {
    throw asClientError(error);
  }
  if (context.signal.aborted) throw new ConcurrencyCanceledError();
  return result;
}

/** Best effort, as etcd's cleanups with client.Ctx(): runs even after the call was canceled; errors are dropped. */
async function cleanup(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch {
    // etcd ignores a failed cleanup too; the lease's expiry removes the key at the latest.
  }
}

function electionPrefix(name: Buffer): Buffer {
  return Buffer.concat([name, Buffer.from('/')]);
}

/** NewSession(WithLease(lease)): the given lease as it is, or, for 0, a new one of 60 s (never kept alive: the servers orphan their sessions). */
async function sessionLease(kv: ConcurrencyKv, lease: LeaseId, context: OperationContext): Promise<LeaseId> {
  if (lease !== 0) return lease;
  return clientCall(context, () => kv.grantLease(DEFAULT_SESSION_TTL_SECONDS, context.caller));
}

function rangeKvs(response: TxnResponse, index: number): KeyValue[] {
  const op = response.responses[index];
  return op?.response === 'response_range' ? op.response_range.kvs : [];
}

// ---- key.go ----

/** waitDelete: watches `key` from `revision` until it is deleted. */
async function waitDelete(kv: ConcurrencyKv, key: Buffer, revision: number, context: OperationContext): Promise<void> {
  try {
    kv.checkWatch(context.caller, key, EMPTY);
  } catch (error) {
    throw asClientError(error);
  }
  try {
    for await (const batch of watchEvents(kv, { key }, revision, context.signal)) {
      if (batch.events.some(isDelete)) return;
    }
  } catch (error) {
    throw asClientError(error);
  }
}

/** waitDeletes: until no key under `prefix` created at or before `maxCreateRevision` is left. */
export async function waitDeletes(kv: ConcurrencyKv, prefix: Buffer, maxCreateRevision: number, context: OperationContext): Promise<ResponseHeader> {
  for (;;) {
    const response = await clientCall(context, () => kv.range(lastCreateBeforeRequest(prefix, maxCreateRevision), context.caller));
    const last = response.kvs[0];
    if (last === undefined) return response.header;
    await waitDelete(kv, last.key, response.header.revision, context);
  }
}

// ---- mutex.go, as v3lock's Lock and Unlock use it ----

export async function lock(kv: ConcurrencyKv, request: { name: Buffer; lease: LeaseId }, context: OperationContext): Promise<{ header: ResponseHeader; key: Buffer }> {
  const lease = await sessionLease(kv, request.lease, context);
  const prefix = electionPrefix(request.name);
  const myKey = sessionKey(prefix, lease);
  // Put self in the waiters via myKey (or reuse it if this lease already
  // holds or waits), and fetch the current holder in the same transaction.
  const getOwner = op.range(firstCreateRequest(prefix));
  const response = await clientCall(context, () =>
    kv.txn(
      {
        compare: [createRevisionIs(myKey, 0)],
        success: [op.put(putRequest(myKey, EMPTY, lease)), getOwner],
        failure: [op.range(rangeRequest(myKey)), getOwner],
      },
      context.caller,
    ),
  );
  const myRev = response.succeeded ? response.header.revision : (rangeKvs(response, 0)[0]?.create_revision ?? response.header.revision);
  const owner = rangeKvs(response, 1)[0];
  if (owner === undefined || owner.create_revision === myRev) return { header: response.header, key: myKey };

  const unlockMine = () => cleanup(() => kv.deleteRange(deleteRequest(myKey), context.caller));
  try {
    await waitDeletes(kv, prefix, myRev - 1, context);
  } catch (error) {
    await unlockMine();
    throw error;
  }
  // Make sure the session is not expired and the key is still there.
  let mine;
  try {
    mine = await clientCall(context, () => kv.range(rangeRequest(myKey), context.caller));
  } catch (error) {
    await unlockMine();
    throw error;
  }
  if (mine.kvs.length === 0) throw concurrencyErrors.sessionExpired();
  return { header: mine.header, key: myKey };
}

/** v3lock's Unlock: deletes the key, whatever it is. */
export async function unlock(kv: ConcurrencyKv, key: Buffer, context: OperationContext): Promise<{ header: ResponseHeader }> {
  const response = await clientCall(context, () => kv.deleteRange(deleteRequest(key), context.caller));
  return { header: response.header };
}

// ---- election.go, as v3election's server uses it ----

export async function campaign(
  kv: ConcurrencyKv,
  request: { name: Buffer; lease: LeaseId; value: Buffer },
  context: OperationContext,
): Promise<{ header: ResponseHeader; leader: LeaderKey }> {
  const lease = await sessionLease(kv, request.lease, context);
  const prefix = electionPrefix(request.name);
  const key = sessionKey(prefix, lease);
  const response = await clientCall(context, () =>
    kv.txn(
      {
        compare: [createRevisionIs(key, 0)],
        success: [op.put(putRequest(key, request.value, lease))],
        failure: [op.range(rangeRequest(key))],
      },
      context.caller,
    ),
  );
  const leader: LeaderKey = { name: request.name, key, rev: response.header.revision, lease };
  if (!response.succeeded) {
    const existing = rangeKvs(response, 0)[0];
    if (existing !== undefined) {
      leader.rev = existing.create_revision;
      if (!existing.value.equals(request.value)) {
        try {
          await proclaimAs(kv, leader, request.value, context);
        } catch (error) {
          await cleanup(() => resignAs(kv, leader, context.caller));
          throw error;
        }
      }
    }
  }
  try {
    await waitDeletes(kv, prefix, leader.rev - 1, context);
  } catch (error) {
    // A canceled campaign withdraws its key; any other failure leaves it.
    if (context.signal.aborted) await cleanup(() => resignAs(kv, leader, context.caller));
    throw error;
  }
  return { header: response.header, leader };
}

async function proclaimAs(kv: ConcurrencyKv, leader: LeaderKey, value: Buffer, context: OperationContext): Promise<ResponseHeader> {
  const response = await clientCall(context, () =>
    kv.txn({ compare: [createRevisionIs(leader.key, leader.rev)], success: [op.put(putRequest(leader.key, value, leader.lease))], failure: [] }, context.caller),
  );
  if (!response.succeeded) throw concurrencyErrors.electionNotLeader();
  return response.header;
}

async function resignAs(kv: ConcurrencyKv, leader: LeaderKey, caller: AuthInfo | undefined): Promise<ResponseHeader> {
  try {
    const response = await kv.txn({ compare: [createRevisionIs(leader.key, leader.rev)], success: [op.delete(deleteRequest(leader.key))], failure: [] }, caller);
    return response.header;
  } catch (error) {
    throw asClientError(error);
  }
}

/** Proclaim: a new value, only while `leader` still holds its key (same create revision). */
export async function proclaim(kv: ConcurrencyKv, leader: LeaderKey | null | undefined, value: Buffer, context: OperationContext): Promise<{ header: ResponseHeader }> {
  if (!leader) throw concurrencyErrors.missingLeaderKey();
  // ResumeElection on a session with the leader's lease (a new one for lease 0, as etcd).
  const lease = await sessionLease(kv, leader.lease, context);
  return { header: await proclaimAs(kv, { ...leader, lease }, value, context) };
}

/** Resign: deletes the leader key if it is still the one of `leader`; not an error otherwise, as in etcd. */
export async function resign(kv: ConcurrencyKv, leader: LeaderKey | null | undefined, context: OperationContext): Promise<{ header: ResponseHeader }> {
  if (!leader) throw concurrencyErrors.missingLeaderKey();
  await sessionLease(kv, leader.lease, context);
  if (context.signal.aborted) throw new ConcurrencyCanceledError();
  return { header: await resignAs(kv, leader, context.caller) };
}

/** Leader: the key with the lowest create revision under the election's prefix. */
export async function leader(kv: ConcurrencyKv, name: Buffer, context: OperationContext): Promise<{ header: ResponseHeader; kv: KeyValue }> {
  const response = await clientCall(context, () => kv.range(firstCreateRequest(electionPrefix(name)), context.caller));
  const first = response.kvs[0];
  if (first === undefined) throw concurrencyErrors.electionNoLeader();
  return { header: response.header, kv: first };
}

/**
 * Observe: the current leader's value, then every change of it, then the
 * next leader's once its key is deleted, and so on until the signal aborts
 * (or an error ends it, which etcd's server reports as a normal end).
 */
export async function* observe(kv: ConcurrencyKv, name: Buffer, context: OperationContext): AsyncGenerator<{ header: ResponseHeader; kv: KeyValue }, void, undefined> {
  const prefix = electionPrefix(name);
  const prefixEnd = prefixRangeEnd(prefix);
  for (;;) {
    const response = await clientCall(context, () => kv.range(firstCreateRequest(prefix), context.caller));
    let current: { header: ResponseHeader; kv: KeyValue } | undefined;
    if (response.kvs[0] !== undefined) {
      current = { header: response.header, kv: response.kvs[0] };
    } else {
      // Wait for the first put under the prefix (a delete would make this spin).
      try {
        kv.checkWatch(context.caller, prefix, prefixEnd);
      } catch (error) {
        throw asClientError(error);
      }
      const end = prefixEnd.length === 1 && prefixEnd[0] === 0 ? 'unbounded' : prefixEnd;
      for await (const batch of watchEvents(kv, { key: prefix, end }, response.header.revision, context.signal)) {
        const put = batch.events.find((event) => !isDelete(event));
        if (put !== undefined) {
          // The batch may hold several revisions: report the put's.
          current = { header: { ...batch.header, revision: put.kv.mod_revision }, kv: put.kv };
          break;
        }
      }
    }
    if (current === undefined) return;
    yield current;

    try {
      kv.checkWatch(context.caller, current.kv.key, EMPTY);
    } catch (error) {
      throw asClientError(error);
    }
    watching: for await (const batch of watchEvents(kv, { key: current.kv.key }, current.header.revision + 1, context.signal)) {
      for (const event of batch.events) {
        if (isDelete(event)) break watching;
        yield { header: batch.header, kv: event.kv };
      }
    }
  }
}
