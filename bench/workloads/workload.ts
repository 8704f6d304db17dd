// The shape every workload has. prepare() runs once per case on the main
// thread (seed data, check that the target supports what the workload needs);
// createClient() runs inside a worker thread once per simulated client.

import type { Connection } from '../grpc-connection.js';
import type { Recorder } from '../recorder.js';
import type { CaseParameters } from '../workload-options.js';

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
}
