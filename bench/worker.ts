// A worker thread: its own gRPC connections and its share of the clients.
// Protocol with worker-pool.ts: worker posts 'ready' once every client is
// set up (connections open, watches created, leases granted), waits for
// 'start', runs, then posts 'done' with its record (or 'failed').

import { parentPort, workerData } from 'node:worker_threads';
import { openConnection, type Connection, describeError, isUnimplemented } from './grpc-connection.js';
import { Recorder } from './recorder.js';
import { workloadNamed } from './workloads/index.js';
import { UnsupportedByTarget, type WorkerSideTask, type WorkloadClient } from './workloads/workload.js';
import type { CaseParameters } from './workload-options.js';

export interface WorkerInput {
  parameters: CaseParameters;
  endpoints: string[];
  workerIndex: number;
  clientIds: number[];
  connectionCount: number;
  /** Index of this worker's first connection among all workers', to spread over endpoints. */
  firstConnectionIndex: number;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; result: ReturnType<Recorder['result']> }
  | { type: 'failed'; message: string; unsupported: boolean };

export type MainMessage = { type: 'start'; stopAtMs: number };

const WARMUP_KEY = Buffer.from('bench/warmup');
const WARMUP_REQUESTS = 400;
const WARMUP_CONCURRENCY = 10;

/** Unmeasured cheap requests, so the client's gRPC and protobuf code is JIT-compiled before the clock starts. */
async function warmUp(connections: Connection[]): Promise<void> {
  let sent = 0;
  await Promise.all(
    Array.from({ length: WARMUP_CONCURRENCY }, async (_, lane) => {
      while (sent < WARMUP_REQUESTS) {
        sent++;
        await connections[lane % connections.length]!.kv.Range({ key: WARMUP_KEY, serializable: true });
      }
    }),
  );
}

async function main(): Promise<void> {
  const input = workerData as WorkerInput;
  const port = parentPort!;
  const workload = workloadNamed(input.parameters.workloadName);
  const recorder = new Recorder();
  const connections: Connection[] = [];
  const clients: WorkloadClient[] = [];
  let sideTask: WorkerSideTask | undefined;
  try {
    for (let index = 0; index < input.connectionCount; index++) {
      const endpoint = input.endpoints[(input.firstConnectionIndex + index) % input.endpoints.length]!;
      const connection = openConnection(endpoint);
      connections.push(connection);
      // Connect now, so no measured request pays for the handshake.
      await connection.kv.Range({ key: WARMUP_KEY, serializable: true });
    }
    await warmUp(connections);
    const setups = input.clientIds.map((clientId, index) =>
      workload.createClient({ clientId, connection: connections[index % connections.length]!, parameters: input.parameters, recorder }),
    );
    clients.push(...(await Promise.all(setups)));
    if (workload.createWorkerSideTask) {
      sideTask = await workload.createWorkerSideTask({ workerIndex: input.workerIndex, connection: connections[0]!, parameters: input.parameters, recorder });
    }
  } catch (error) {
    const unsupported = error instanceof UnsupportedByTarget || isUnimplemented(error);
    port.postMessage({ type: 'failed', message: describeError(error), unsupported } satisfies WorkerMessage);
    for (const connection of connections) connection.close();
    return;
  }

  const startMessage = new Promise<MainMessage>((resolve) => port.once('message', resolve));
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);
  const start = await startMessage;
  recorder.setDeadline(start.stopAtMs);
  await Promise.all(clients.map((client) => client.run()));
  await sideTask?.finish();
  for (const client of clients) client.close();
  for (const connection of connections) connection.close();
  const result = recorder.result();
  port.postMessage({ type: 'done', result } satisfies WorkerMessage, Object.values(result.samplesByKind).map((samples) => samples.buffer as ArrayBuffer));
}

main().catch((error) => {
  parentPort!.postMessage({ type: 'failed', message: `worker crashed: ${error instanceof Error ? error.stack : String(error)}`, unsupported: false } satisfies WorkerMessage);
});
