// Lease keep-alive: each client grants its own lease, then renews it over one
// LeaseKeepAlive stream, one request in flight at a time (etcd's
// `benchmark lease-keepalive` renews through the same stream RPC).

import type * as grpc from '@grpc/grpc-js';
import type { Workload } from './workload.js';
import { UnsupportedByTarget } from './workload.js';
import { describeError } from '../grpc-connection.js';
import { requestsForClient } from '../workload-options.js';

/**
 * The client picks lease IDs: IDs the server picks are random 63-bit numbers,
 * which the proto loader's int64-as-number convention cannot carry exactly.
 */
function safeLeaseId(): number {
  return 1 + Math.floor(Math.random() * (Number.MAX_SAFE_INTEGER - 1));
}

export const leaseKeepAliveWorkload: Workload = {
  name: 'lease-keepalive',
  description: 'LeaseKeepAlive round trips, one lease per client',
  headlineKinds: ['keepalive'],
  async prepare(connection, { options }) {
    try {
      const leaseId = safeLeaseId();
      await connection.lease.LeaseGrant({ TTL: options.leaseTtlSeconds, ID: leaseId });
      await connection.lease.LeaseRevoke({ ID: leaseId });
    } catch (error) {
      throw new UnsupportedByTarget(`Lease: ${describeError(error)}`);
    }
  },
  async createClient({ clientId, connection, parameters, recorder }) {
    const { options, clientCount, requestsTotal } = parameters;
    const leaseId = safeLeaseId();
    await connection.lease.LeaseGrant({ TTL: options.leaseTtlSeconds, ID: leaseId });
    const stream = (connection.leaseClient as unknown as { LeaseKeepAlive(): grpc.ClientDuplexStream<any, any> }).LeaseKeepAlive();
    // One request in flight: the next answer belongs to the waiting request.
    let waiting: { resolve(response: any): void; reject(error: unknown): void } | undefined;
    stream.on('data', (response) => {
      const current = waiting;
      waiting = undefined;
      current?.resolve(response);
    });
    stream.on('error', (error) => {
      const current = waiting;
      waiting = undefined;
      current?.reject(error);
    });
    const keepAliveOnce = () =>
      new Promise<any>((resolve, reject) => {
        waiting = { resolve, reject };
        stream.write({ ID: leaseId });
      });
    const requestCount = requestsForClient(clientId, clientCount, requestsTotal);
    return {
      async run() {
        for (let sent = 0; sent < requestCount && !recorder.shouldStop; sent++) {
          const response = await recorder.measure('keepalive', keepAliveOnce);
          if (response && !(response.TTL > 0)) recorder.recordError(new Error(`lease ${leaseId} expired (TTL ${response.TTL})`));
        }
      },
      close() {
        stream.removeAllListeners('data');
        stream.on('error', () => {});
        stream.cancel();
      },
    };
  },
};
