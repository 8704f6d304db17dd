// One gRPC connection (its own TCP socket, not shared through grpc-js'
// global subchannel pool) with stubs for the services the workloads use,
// and promise helpers around their unary and streaming calls.

import * as grpc from '@grpc/grpc-js';
import { loadGrpcPackage } from '../src/proto/index.js';

export const GRPC_STATUS_UNIMPLEMENTED = grpc.status.UNIMPLEMENTED;

export type UnaryCall = (request: object) => Promise<any>;

export interface Connection {
  kv: { Range: UnaryCall; Put: UnaryCall; Txn: UnaryCall; DeleteRange: UnaryCall };
  lease: { LeaseGrant: UnaryCall; LeaseRevoke: UnaryCall };
  watchClient: grpc.Client;
  leaseClient: grpc.Client;
  close(): void;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // Without this, every client with equal options to one address shares a single socket.
  'grpc.use_local_subchannel_pool': 1,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
};

function unary(client: grpc.Client, method: string, deadlineMs: number): UnaryCall {
  const call = (client as unknown as Record<string, Function>)[method]!.bind(client);
  return (request) =>
    new Promise((resolve, reject) => {
      call(request, { deadline: Date.now() + deadlineMs }, (error: grpc.ServiceError | null, response: unknown) =>
        error ? reject(error) : resolve(response),
      );
    });
}

export function openConnection(endpoint: string, deadlineMs = 10_000): Connection {
  const etcdserverpb = loadGrpcPackage()['etcdserverpb'] as grpc.GrpcObject;
  const credentials = grpc.credentials.createInsecure();
  const constructorOf = (service: string) => etcdserverpb[service] as grpc.ServiceClientConstructor;
  const kvClient = new (constructorOf('KV'))(endpoint, credentials, CHANNEL_OPTIONS);
  // Other services ride on the KV client's channel: one socket per connection.
  const sharedChannel = { channelOverride: kvClient.getChannel() as grpc.Channel };
  const watchClient = new (constructorOf('Watch'))(endpoint, credentials, sharedChannel);
  const leaseClient = new (constructorOf('Lease'))(endpoint, credentials, sharedChannel);
  return {
    kv: {
      Range: unary(kvClient, 'Range', deadlineMs),
      Put: unary(kvClient, 'Put', deadlineMs),
      Txn: unary(kvClient, 'Txn', deadlineMs),
      DeleteRange: unary(kvClient, 'DeleteRange', deadlineMs),
    },
    lease: {
      LeaseGrant: unary(leaseClient, 'LeaseGrant', deadlineMs),
      LeaseRevoke: unary(leaseClient, 'LeaseRevoke', deadlineMs),
    },
    watchClient,
    leaseClient,
    close() {
      // The channel is shared; closing the owner closes the socket.
      watchClient.close();
      leaseClient.close();
      kvClient.close();
    },
  };
}

export function isUnimplemented(error: unknown): boolean {
  return (error as grpc.ServiceError | undefined)?.code === grpc.status.UNIMPLEMENTED;
}

export function describeError(error: unknown): string {
  const serviceError = error as Partial<grpc.ServiceError> | undefined;
  if (serviceError && typeof serviceError.code === 'number') return `${grpc.status[serviceError.code] ?? serviceError.code}: ${serviceError.details ?? serviceError.message}`;
  return error instanceof Error ? error.message : String(error);
}

export interface WatchEventHandler {
  (response: any): void;
}

/**
 * A Watch stream with one watcher on [key, rangeEnd). Resolves once the server
 * confirms creation; rejects on stream errors, cancellation, or no answer in time.
 */
export async function openWatch(
  connection: Connection,
  request: { key: Buffer; range_end?: Buffer; prev_kv?: boolean; start_revision?: number },
  onEvents: WatchEventHandler,
  createTimeoutMs = 5_000,
): Promise<{ stream: grpc.ClientDuplexStream<any, any>; close(): void }> {
  const stream = (connection.watchClient as unknown as { Watch(): grpc.ClientDuplexStream<any, any> }).Watch();
  return new Promise((resolve, reject) => {
    let created = false;
    const timer = setTimeout(() => {
      if (!created) {
        stream.cancel();
        reject(new Error(`no "created" answer to a watch within ${createTimeoutMs} ms`));
      }
    }, createTimeoutMs);
    const close = () => {
      stream.removeAllListeners('data');
      stream.on('error', () => {}); // cancelling surfaces as an error; nobody wants it now
      stream.cancel();
    };
    stream.on('data', (response: any) => {
      if (response.canceled) {
        clearTimeout(timer);
        reject(new Error(`watch canceled by server: ${response.cancel_reason}`));
        return;
      }
      if (response.created && !created) {
        created = true;
        clearTimeout(timer);
        resolve({ stream, close });
      }
      if (response.events?.length) onEvents(response);
    });
    stream.on('error', (error) => {
      clearTimeout(timer);
      if (!created) reject(error);
    });
    // Absent fields stay absent: etcd reads a present-but-empty range_end as "from key".
    stream.write({ create_request: { ...request } });
  });
}

/** The smallest key greater than every key that starts with prefix (etcd's prefix range_end). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let index = end.length - 1; index >= 0; index--) {
    if (end[index]! < 0xff) {
      end[index] = end[index]! + 1;
      return end.subarray(0, index + 1);
    }
  }
  return Buffer.from([0]);
}
