// Runs one case on fresh worker threads: spreads clients and connections over
// the workers, starts them together once all are set up, merges their records
// and measures the load generator's own CPU use (process.cpuUsage covers
// every thread of this process).

import { Worker } from 'node:worker_threads';
import type { MainMessage, WorkerInput, WorkerMessage } from './worker.js';
import type { RecorderResult } from './recorder.js';
import { absoluteNowMs } from './recorder.js';
import type { CaseParameters } from './workload-options.js';

export interface PoolLayout {
  workerCount: number;
  connectionCount: number;
}

export interface MergedRecord {
  samplesByKind: Record<string, Float64Array[]>;
  errorCount: number;
  errorMessages: string[];
  unsupportedReason: string | undefined;
  durationMs: number;
  loadGeneratorCpuSeconds: number;
  layout: PoolLayout;
}

export class CaseFailed extends Error {
  constructor(
    message: string,
    readonly unsupported: boolean,
  ) {
    super(message);
  }
}

/** At most one worker per client, and at least one connection per worker. */
export function layoutFor(clientCount: number, workersWanted: number, connectionsWanted: number): PoolLayout {
  const workerCount = Math.max(1, Math.min(workersWanted, clientCount));
  const connectionCount = Math.max(workerCount, Math.min(connectionsWanted, clientCount));
  return { workerCount, connectionCount };
}

function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

/** onReady runs once every worker is set up, just before the measured period starts. */
export async function runCase(parameters: CaseParameters, endpoints: string[], layout: PoolLayout, setupTimeoutMs: number, onReady?: () => void): Promise<MergedRecord> {
  const workers: Worker[] = [];
  const mailboxes: Mailbox[] = [];
  const failures: string[] = [];
  let firstConnectionIndex = 0;
  let clientOffset = 0;
  for (let workerIndex = 0; workerIndex < layout.workerCount; workerIndex++) {
    const clientCount = share(parameters.clientCount, layout.workerCount, workerIndex);
    const connectionCount = share(layout.connectionCount, layout.workerCount, workerIndex);
    const input: WorkerInput = {
      parameters,
      endpoints,
      workerIndex,
      clientIds: Array.from({ length: clientCount }, (_, index) => clientOffset + index),
      connectionCount,
      firstConnectionIndex,
    };
    clientOffset += clientCount;
    firstConnectionIndex += connectionCount;
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: input });
    workers.push(worker);
    mailboxes.push(new Mailbox(worker, workerIndex));
  }

  try {
    const readiness = await Promise.all(mailboxes.map((mailbox) => mailbox.receive(setupTimeoutMs)));
    let unsupported = false;
    for (const message of readiness) {
      if (message.type === 'failed') {
        failures.push(message.message);
        unsupported ||= message.unsupported;
      }
    }
    if (failures.length > 0) throw new CaseFailed(failures[0]!, unsupported);
    onReady?.();

    const cpuBefore = process.cpuUsage();
    const stopAtMs = absoluteNowMs() + parameters.maxDurationMs;
    for (const worker of workers) worker.postMessage({ type: 'start', stopAtMs } satisfies MainMessage);
    // Workers stop issuing at stopAtMs; give in-flight requests their deadline to finish.
    const finishTimeoutMs = parameters.maxDurationMs + 30_000;
    const results = await Promise.all(mailboxes.map((mailbox) => mailbox.receive(finishTimeoutMs)));
    const cpu = process.cpuUsage(cpuBefore);

    const records: RecorderResult[] = [];
    for (const message of results) {
      if (message.type === 'done') records.push(message.result);
      else if (message.type === 'failed') throw new CaseFailed(message.message, message.unsupported);
    }
    return merge(records, layout, (cpu.user + cpu.system) / 1e6);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** Messages from one worker, in order; a crash or exit arrives as a 'failed' message. */
class Mailbox {
  private readonly queue: WorkerMessage[] = [];
  private waiter: ((message: WorkerMessage) => void) | undefined;

  constructor(worker: Worker, private readonly workerIndex: number) {
    worker.on('message', (message: WorkerMessage) => this.deliver(message));
    worker.on('error', (error) => this.deliver({ type: 'failed', message: `worker error: ${error.stack ?? error.message}`, unsupported: false }));
    worker.on('exit', (code) => this.deliver({ type: 'failed', message: `worker exited with code ${code} mid-case`, unsupported: false }));
  }

  private deliver(message: WorkerMessage): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter(message);
    else this.queue.push(message);
  }

  receive(timeoutMs: number): Promise<WorkerMessage> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift()!);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ type: 'failed', message: `worker ${this.workerIndex} did not answer within ${timeoutMs} ms`, unsupported: false });
      }, timeoutMs);
      this.waiter = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
  }
}

function merge(records: RecorderResult[], layout: PoolLayout, loadGeneratorCpuSeconds: number): MergedRecord {
  const samplesByKind: Record<string, Float64Array[]> = {};
  let firstStartMs = Number.POSITIVE_INFINITY;
  let lastEndMs = Number.NEGATIVE_INFINITY;
  for (const record of records) {
    for (const [kind, samples] of Object.entries(record.samplesByKind)) (samplesByKind[kind] ??= []).push(samples);
    firstStartMs = Math.min(firstStartMs, record.firstStartMs);
    lastEndMs = Math.max(lastEndMs, record.lastEndMs);
  }
  return {
    samplesByKind,
    errorCount: records.reduce((sum, record) => sum + record.errorCount, 0),
    errorMessages: records.flatMap((record) => record.errorMessages).slice(0, 5),
    unsupportedReason: records.find((record) => record.unsupportedReason)?.unsupportedReason,
    durationMs: Number.isFinite(lastEndMs - firstStartMs) ? lastEndMs - firstStartMs : 0,
    loadGeneratorCpuSeconds,
    layout,
  };
}
