// The shape every workload has. prepare() runs once per case on the main
// thread (seed data, check that the target supports what the workload needs);
// createClient() runs inside a worker thread once per simulated client.

import type { Connection } from '../grpc-connection.js';
import type { Recorder } from '../recorder.js';
import type { CaseParameters, WorkloadOptions } from '../workload-options.js';
import type { MergedRecord } from '../worker-pool.js';
import type { ServerUsage } from '../server-cluster.js';

/** Thrown when the target lacks a service the workload needs; the run goes on. */
export class UnsupportedByTarget extends Error {}

export interface ClientContext {
  /** 0 .. clientCount-1 across all workers. */
  clientId: number;
  connection: Connection;
  parameters: CaseParameters;
  recorder: Recorder;
}

export interface WorkloadClient {
  run(): Promise<void>;
  close(): void;
}

/** Extra per-worker activity beside the clients (e.g. the k8s mix's watchers). */
export interface WorkerSideTask {
  /** Called after every client of the worker finished; resolves when the task wound down. */
  finish(): Promise<void>;
}

export interface Workload {
  name: string;
  description: string;
  /** Operation kinds whose samples make up the headline latency and rate. */
  headlineKinds: string[];
  prepare(connection: Connection, parameters: CaseParameters): Promise<void>;
  createClient(context: ClientContext): Promise<WorkloadClient>;
  createWorkerSideTask?(context: { workerIndex: number; connection: Connection; parameters: CaseParameters; recorder: Recorder }): Promise<WorkerSideTask>;
  /** Heavy workloads left out of a run without --workloads. */
  optIn?: boolean;
  /** The cases to run (one per client count) when the workload defines its own shape instead of --clients. */
  clientCounts?(options: WorkloadOptions): number[];
  /** The measured period when the workload fixes its own instead of --max-seconds. */
  maxDurationMs?(options: WorkloadOptions): number;
  /** How long the workers may take to set up (create watchers, grant leases) before the case fails. */
  setupTimeoutMs?: number;
  /** Workload-specific numbers for the result (e.g. memory per watcher), from the server's usage at three points. */
  caseMetrics?(input: CaseMetricsInput): Record<string, number>;
}

export interface CaseMetricsInput {
  parameters: CaseParameters;
  record: MergedRecord;
  /** Before the workers started. */
  usageBefore: ServerUsage;
  /** When every worker reported ready (clients set up), before the measured period. */
  usageReady: ServerUsage;
  usageAfter: ServerUsage;
  /** From starting the workers until all were ready. */
  setupSeconds: number;
}
