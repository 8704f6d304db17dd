// Clients for watch tests over the wire: a raw gRPC Watch stream (exact responses)
// and a long-running `etcdctl watch` process. Each one is closed by its test in a
// `finally`, so no stream or process outlives a failing test.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { loadGrpcPackage } from '../../../src/proto/index.js';
import { waitFor } from '../../support/wait-for.js';
import { ETCDCTL_BINARY } from '../../support/etcdctl.js';

/** A WatchResponse as the client decodes it. */
export interface ReceivedWatchResponse {
  header: { cluster_id: string | number; member_id: string | number; revision: number; raft_term: number };
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  fragment: boolean;
  events: Array<{
    type: number | string;
    kv: { key: Buffer; value: Buffer; create_revision: number; mod_revision: number; version: number; lease: number };
    prev_kv: { key: Buffer; value: Buffer; mod_revision: number } | null;
  }>;
}

export interface RawWatchClient {
  readonly responses: ReceivedWatchResponse[];
  send(request: object): void;
  /** Waits for the next response not yet returned by `next`. */
  next(description?: string): Promise<ReceivedWatchResponse>;
  close(): void;
}

export function openRawWatch(endpoint: string): RawWatchClient {
  const etcdserverpb = loadGrpcPackage()['etcdserverpb'] as grpc.GrpcObject;
  const Watch = etcdserverpb['Watch'] as grpc.ServiceClientConstructor;
  const client = new Watch(endpoint, grpc.credentials.createInsecure());
  const call = (client as unknown as { Watch(): grpc.ClientDuplexStream<object, ReceivedWatchResponse> }).Watch();
  const responses: ReceivedWatchResponse[] = [];
  let cursor = 0;
  let failure: Error | undefined;
  call.on('data', (response: ReceivedWatchResponse) => responses.push(response));
  call.on('error', (error: Error) => (failure = error));
  return {
    responses,
    send: (request) => call.write(request),
    next: (description = 'a watch response') =>
      waitFor(description, () => {
        if (cursor < responses.length) return responses[cursor++];
        if (failure !== undefined && (failure as grpc.ServiceError).code !== grpc.status.CANCELLED) throw failure;
        return undefined;
      }, { timeoutMs: 10_000, intervalMs: 5 }),
    close() {
      call.cancel();
      client.close();
    },
  };
}

export const createRequest = (fields: Record<string, unknown>) => ({ request_union: 'create_request', create_request: fields });
export const cancelRequest = (watchId: number) => ({ request_union: 'cancel_request', cancel_request: { watch_id: watchId } });
export const progressRequest = () => ({ request_union: 'progress_request', progress_request: {} });

/** A running `etcdctl watch …`; `stop()` kills it. */
export class EtcdctlWatch {
  output = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<void>;

  constructor(endpoint: string, args: string[]) {
    this.child = spawn(ETCDCTL_BINARY, [`--endpoints=${endpoint}`, '--dial-timeout=5s', 'watch', ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    this.child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
  }

  /** Writes a line to its stdin (interactive mode). */
  sendLine(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Waits until the output has at least `lineCount` lines (blank lines count). */
  async waitForLines(lineCount: number, description = `${lineCount} lines of etcdctl watch output`): Promise<string[]> {
    return waitFor(description, () => {
      const lines = this.output.split('\n');
      return lines.length - 1 >= lineCount ? lines.slice(0, lineCount) : undefined;
    }, { timeoutMs: 15_000 });
  }

  async waitForText(text: string): Promise<void> {
    await waitFor(`etcdctl watch to print ${JSON.stringify(text)} (so far: ${JSON.stringify(this.output)})`, () => this.output.includes(text), { timeoutMs: 15_000 });
  }

  /** Waits for the process to end by itself. */
  async waitForExit(): Promise<number | null> {
    await this.exited;
    return this.child.exitCode;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
