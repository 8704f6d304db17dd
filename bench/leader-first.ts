// Puts a cluster's leader first among its client endpoints. Workers spread
// connections over the endpoints in order, so a case with one connection
// talks to the first; without this, whether it measured the leader or a
// follower (a forwarding hop more) was chance, and differed between targets.

import * as grpc from '@grpc/grpc-js';
import { loadGrpcPackage } from '../src/proto/index.js';

interface StatusResponse {
  header: { member_id: string };
  leader: string;
}

function memberStatus(endpoint: string, deadlineMs: number): Promise<StatusResponse> {
  // Member ids use all 64 bits: decoded as strings.
  const etcdserverpb = loadGrpcPackage({ exactLongs: true })['etcdserverpb'] as grpc.GrpcObject;
  const Maintenance = etcdserverpb['Maintenance'] as grpc.ServiceClientConstructor;
  const client = new Maintenance(endpoint, grpc.credentials.createInsecure());
  return new Promise<StatusResponse>((resolve, reject) => {
    (client as unknown as { Status: Function }).Status({}, { deadline: Date.now() + deadlineMs }, (error: Error | null, response: StatusResponse) => {
      client.close();
      if (error) reject(error);
      else resolve(response);
    });
  });
}

/** The endpoints with the leader's first, once a member reports itself leader. */
export async function endpointsLeaderFirst(endpoints: string[], timeoutMs: number): Promise<string[]> {
  if (endpoints.length < 2) return endpoints;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const endpoint of endpoints) {
      try {
        const status = await memberStatus(endpoint, 2000);
        if (status.leader !== '0' && status.leader === status.header.member_id) {
          return [endpoint, ...endpoints.filter((other) => other !== endpoint)];
        }
      } catch {
        // Not answering yet; ask the next one.
      }
    }
    if (Date.now() > deadline) throw new Error(`no member reported itself leader within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
