// etcdserverpb.Lease: grant and revoke go through Raft (the server proposes them);
// keep-alive, time-to-live and the lease list are answered by the leader's lessor.
// Mirrors etcd's api/v3rpc/lease.go, including its quirks: a keep-alive of an
// unknown lease answers TTL 0, a time-to-live of one answers TTL -1, not an error.

import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { AuthInfo } from '../auth/types.js';
import type { CallIdentity } from './callers.js';
import { LeaseNotFoundError, type LeaseStatus } from '../lease/index.js';
import { toGrpcError } from './errors.js';
import { unary } from './unary.js';
import type { LeaseId } from '../lease/index.js';

export interface LeaseResponseHeader {
  cluster_id: number | string;
  member_id: number | string;
  revision: number;
  raft_term: number;
}

export interface LeaseGrantRequest {
  TTL: number;
  ID: LeaseId;
}

export interface LeaseGrantResponse {
  header: LeaseResponseHeader;
  ID: LeaseId;
  TTL: number;
  error: string;
}

export interface LeaseRevokeRequest {
  ID: LeaseId;
}

export interface LeaseRevokeResponse {
  header: LeaseResponseHeader;
}

interface LeaseKeepAliveRequest {
  ID: LeaseId;
}

interface LeaseKeepAliveResponse {
  header: LeaseResponseHeader;
  ID: LeaseId;
  TTL: number;
}

interface LeaseTimeToLiveRequest {
  ID: LeaseId;
  keys: boolean;
}

/** What the service needs from the member. */
export interface LeaseServiceDeps {
  /**
   * A server-chosen lease ID for a grant with ID 0 (63 bits, as etcd's) and,
   * if possible, unused; e.g. `leaseIdFromRequestId(requestIds.nextId())`.
   * 0 means "none this time": the service asks again.
   */
  newLeaseId(): LeaseId;
  /** Proposes an InternalRaftRequest{lease_grant} and resolves with its applied response, header included. */
  proposeLeaseGrant(request: LeaseGrantRequest, caller?: AuthInfo): Promise<LeaseGrantResponse>;
  /** Proposes an InternalRaftRequest{lease_revoke} and resolves with its applied response, header included. */
  proposeLeaseRevoke(request: LeaseRevokeRequest, caller?: AuthInfo): Promise<LeaseRevokeResponse>;
  /** Who a call runs as (undefined with auth off); throws for a bad token. */
  callerOf?(call: CallIdentity): AuthInfo | undefined;
  /** Throws unless `caller` may keep the lease's keys alive (write them). */
  checkRenew?(id: LeaseId, caller: AuthInfo | undefined): void;
  /** Throws unless `caller` may read every key of these leases. */
  checkKeysReadable?(ids: readonly LeaseId[], caller: AuthInfo | undefined): void;
  /**
   * Renews on the leader and returns the TTL: wait for the applied index, then
   * `lessor.renew(id)`; on a follower (NotPrimaryError) forward to the leader.
   * Rejects with LeaseNotFoundError for an unknown or revoked lease.
   */
  renew(id: LeaseId, call?: CallIdentity): Promise<number>;
  /** The leader lessor's `timeToLive(id, withKeys)` after waiting for the applied index; forwards on a follower. */
  timeToLive(id: LeaseId, withKeys: boolean, call?: CallIdentity): Promise<LeaseStatus>;
  /** `lessor.leaseIds()`. */
  leaseIds(): LeaseId[];
  /** A response header at the store's current revision. */
  header(): LeaseResponseHeader;
}

// A keep-alive stream handles one request at a time and pauses reading meanwhile,
// so a fast client waits on gRPC flow control instead of growing a queue here.

export function leaseService(deps: LeaseServiceDeps): UntypedServiceImplementation {
  return {
    LeaseGrant: unary(async (request: LeaseGrantRequest, call) => {
      const caller = deps.callerOf?.(call);
      let id = request.ID;
      // Bounded: a generator that keeps returning 0 is a bug, not a reason to spin.
      for (let attempt = 0; id === 0 && attempt < 100; attempt++) id = deps.newLeaseId();
      if (id === 0) throw new Error('no lease ID available');
      return deps.proposeLeaseGrant({ ID: id, TTL: request.TTL }, caller);
    }),
    LeaseRevoke: unary((request: LeaseRevokeRequest, call) => deps.proposeLeaseRevoke({ ID: request.ID }, deps.callerOf?.(call))),
    LeaseTimeToLive: unary(async (request: LeaseTimeToLiveRequest, call) => {
      const caller = deps.callerOf?.(call);
      // Keys are shown only to who may read them; without keys, any user may ask.
      if (request.keys) deps.checkKeysReadable?.([request.ID], caller);
      else deps.checkKeysReadable?.([], caller);
      try {
        const status = await deps.timeToLive(request.ID, request.keys, call);
        return { header: deps.header(), ID: request.ID, TTL: status.remainingSeconds, grantedTTL: status.ttlSeconds, keys: status.keys };
      } catch (error) {
        if (!(error instanceof LeaseNotFoundError)) throw error;
        return { header: deps.header(), ID: request.ID, TTL: -1, grantedTTL: 0, keys: [] };
      }
    }),
    LeaseLeases: unary((_request: object, call) => {
      const ids = deps.leaseIds();
      deps.checkKeysReadable?.(ids, deps.callerOf?.(call));
      return { header: deps.header(), leases: ids.map((id) => ({ ID: id })) };
    }),
    LeaseKeepAlive: (call: ServerDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>) => keepAlive(deps, call),
  };
}

function keepAlive(deps: LeaseServiceDeps, call: ServerDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>): void {
  let busy = false;
  let clientDone = false;
  let finished = false;
  const finish = (error?: unknown) => {
    if (finished) return;
    finished = true;
    if (error === undefined) call.end();
    else call.emit('error', toGrpcError(error));
  };
  call.on('cancelled', () => (finished = true));
  call.on('error', () => (finished = true));
  call.on('end', () => {
    clientDone = true;
    if (!busy) finish();
  });
  call.on('data', (request: LeaseKeepAliveRequest) => {
    if (finished) return;
    busy = true;
    call.pause();
    // The header is taken before the renew, as etcd does, so a client never sees a
    // successful keep-alive at a revision after the lease's revoke.
    const header = deps.header();
    const respond = (ttlSeconds: number) => {
      busy = false;
      if (finished) return;
      call.write({ header, ID: request.ID, TTL: ttlSeconds });
      if (clientDone) finish();
      else call.resume();
    };
    Promise.resolve()
      .then(() => {
        if (deps.checkRenew) deps.checkRenew(request.ID, deps.callerOf?.(call));
        return deps.renew(request.ID, call);
      })
      .then(respond, (error: unknown) => {
        if (error instanceof LeaseNotFoundError) respond(0);
        else {
          busy = false;
          finish(error);
        }
      })
      .catch((error: unknown) => finish(error));
  });
}
