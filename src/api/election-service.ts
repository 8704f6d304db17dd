// v3electionpb.Election, as etcd's v3election server: the client concurrency
// package's election on a session with the request's lease (a new 60 s
// lease for 0), run as the caller. Observe streams the leader's value and
// its changes until the client cancels.

import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdServer } from '../server/etcd-server.js';
import { campaign, leader, observe, proclaim, resign, ConcurrencyCanceledError, type LeaderKey } from '../server/concurrency/index.js';
import type { ResponseHeader } from '../server/apply/types.js';
import type { KeyValue } from '../mvcc/index.js';
import { unary } from './unary.js';
import { toGrpcError } from './errors.js';
import type { Callers } from './callers.js';
import { memberConcurrencyKv, operationContext } from './concurrency-member.js';
import type { LeaseId } from '../lease/index.js';

interface CampaignRequest {
  name: Buffer;
  lease: LeaseId;
  value: Buffer;
}

interface ProclaimRequest {
  leader: LeaderKey | null;
  value: Buffer;
}

interface ResignRequest {
  leader: LeaderKey | null;
}

interface LeaderRequest {
  name: Buffer;
}

interface LeaderResponse {
  header: ResponseHeader;
  kv: KeyValue;
}

export function electionService(server: EtcdServer, callers: Callers): UntypedServiceImplementation {
  const kv = memberConcurrencyKv(server);
  /** Runs `operation` as the call's caller with its cancellation. */
  const withContext =
    <Request, Response>(operation: (request: Request, context: ReturnType<typeof operationContext>) => Promise<Response>) =>
    (request: Request, call: Parameters<Parameters<typeof unary<Request, Response>>[0]>[1]) =>
      callers.with(call, async (caller) => {
        const context = operationContext(call, caller);
        try {
          return await operation(request, context);
        } finally {
          context.done();
        }
      });
  return {
    Campaign: unary(withContext((request: CampaignRequest, context) => campaign(kv, request, context))),
    Proclaim: unary(withContext((request: ProclaimRequest, context) => proclaim(kv, request.leader, request.value, context))),
    Leader: unary(withContext((request: LeaderRequest, context) => leader(kv, request.name, context))),
    Resign: unary(withContext((request: ResignRequest, context) => resign(kv, request.leader, context))),
    Observe: (call: ServerWritableStream<LeaderRequest, LeaderResponse>) => {
      void serveObserve(call);
    },
  };

  async function serveObserve(call: ServerWritableStream<LeaderRequest, LeaderResponse>): Promise<void> {
    let context: ReturnType<typeof operationContext> | undefined;
    try {
      await callers.with(call, async (caller) => {
        context = operationContext(call, caller);
        for await (const response of observe(kv, call.request.name, context)) {
          if (!call.write(response)) await drained(call, context.signal);
        }
      });
      call.end();
    } catch (error) {
      if (error instanceof ConcurrencyCanceledError || context?.signal.aborted) return;
      // etcd ends the stream without an error when its observer stops (the
      // recipe closes its channel); only an invalid caller is refused.
      if (context === undefined) call.destroy(toGrpcError(error));
      else call.end();
    } finally {
      context?.done();
    }
  }
}

function drained(call: ServerWritableStream<LeaderRequest, LeaderResponse>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.removeListener('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    signal.addEventListener('abort', done);
  });
}
