// The client transport thread, seen from the member's thread: a worker that
// owns the client listeners and does TLS, HTTP/2 and gRPC framing, so that
// this thread spends itself on protobuf, the services, Raft and storage.
// docs/performance.md says why, with numbers. One transport thread: Node 20
// cannot share a listening port between threads (no SO_REUSEPORT before Node
// 22.12), and on two cores one is what there is room for.

import { Worker } from 'node:worker_threads';
import * as http from 'node:http';
import { errorDetail, type Logger } from '../../pkg/logger.js';
import type { LoadedTls } from '../../tls/tls-info.js';
import type { ClientCertificateNames } from '../callers.js';
import type { ClientListener } from '../client-listener.js';
import type { StandInCallMetrics } from '../stand-in-call.js';
import { BatchedPort, type PortLike } from './batched-port.js';
import { CallBridge, type BridgedService } from './call-bridge.js';
import { Http1Tunnels } from './http1-tunnels.js';
import type { FrontWorkerData, ToFront, ToMember } from './protocol.js';

export interface ClientFrontOptions {
  services: BridgedService[];
  /** grpc-js Server options for the transport thread's server. */
  grpcOptions: Record<string, number>;
  tls: LoadedTls | undefined;
  httpHandler: http.RequestListener;
  certificateNames: ClientCertificateNames;
  logger: Logger;
  callMetrics(path: string, requestStream: boolean, responseStream: boolean): StandInCallMetrics;
  screenCall(path: string, streaming: boolean, request: unknown): void;
  /** The thread died (a bug): the client port is gone with it. */
  onFailure(error: Error): void;
}

export interface ClientFront {
  listen(address: { host: string; port: number; plaintext: boolean; secure: boolean }): Promise<ClientListener>;
  /** Closes every listener and connection, then ends the thread. */
  stop(): Promise<void>;
}

export async function startClientFront(options: ClientFrontOptions): Promise<ClientFront> {
  const workerData: FrontWorkerData = { services: CallBridge.methodsOf(options.services), grpcOptions: options.grpcOptions, tls: options.tls };
  const worker = new Worker(new URL('./front-worker.js', import.meta.url), { workerData });
  const pending = new Map<number, { resolve: (message: ToMember) => void; reject: (error: Error) => void }>();
  let nextRequest = 1;
  let stopped = false;
  let stopping = false;
  const httpServer = http.createServer(options.httpHandler);

  const port: BatchedPort<ToFront, ToMember> = new BatchedPort<ToFront, ToMember>(worker as unknown as PortLike, (message) => {
    switch (message.kind) {
      case 'call':
      case 'message':
      case 'half-close':
      case 'cancelled':
      case 'written':
      case 'session-closed':
        bridge.receive(message);
        return;
      case 'http1-open':
      case 'http1-data':
      case 'http1-end':
      case 'http1-close':
      case 'http1-written':
        tunnels.receive(message);
        return;
      case 'certificate-name':
        options.certificateNames.record(message.peer, message.commonName);
        return;
      case 'certificate-gone':
        options.certificateNames.forget(message.peer);
        return;
      case 'log':
        options.logger.child(message.caller)[message.level](message.msg, message.fields);
        return;
      case 'listening':
      case 'listen-failed':
      case 'done': {
        const waiter = pending.get(message.request);
        pending.delete(message.request);
        waiter?.resolve(message);
        return;
      }
    }
  }, undefined, (error) =>
    options.logger.error('a call from the client transport thread failed', { error: errorDetail(error) }),
  );
  const send = (message: ToFront) => port.send(message);
  const bridge = new CallBridge({ services: options.services, send, callMetrics: options.callMetrics, screenCall: options.screenCall });
  const tunnels = new Http1Tunnels(httpServer, send);

  const request = (make: (id: number) => ToFront): Promise<ToMember> =>
    new Promise((resolve, reject) => {
      if (stopped) return reject(new Error('the client transport thread has stopped'));
      const id = nextRequest++;
      pending.set(id, { resolve, reject });
      send(make(id));
    });

  worker.on('error', (error) => {
    options.logger.error('client transport thread failed', { error: errorDetail(error) });
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
    if (!stopped && !stopping) options.onFailure(error);
    stopped = true;
  });
  worker.on('exit', (code) => {
    if (!stopped && !stopping) options.onFailure(new Error(`the client transport thread exited (code ${code})`));
    stopped = true;
    for (const waiter of pending.values()) waiter.reject(new Error('the client transport thread has stopped'));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('online', resolve);
    worker.once('error', reject);
  });

  return {
    async listen(address) {
      const answer = await request((id) => ({ kind: 'listen', request: id, ...address }));
      if (answer.kind === 'listen-failed') throw Object.assign(new Error(answer.message), { code: answer.code });
      if (answer.kind !== 'listening') throw new Error(`unexpected answer ${answer.kind} to listen`);
      const listenerId = answer.request;
      let closed: Promise<void> | undefined;
      return {
        address: { host: answer.host, port: answer.port },
        close: () => (closed ??= request((id) => ({ kind: 'close-listener', request: id, listener: listenerId })).then(() => undefined, () => undefined)),
      };
    },
    async stop() {
      if (stopped) return;
      stopping = true;
      await request((id) => ({ kind: 'shutdown', request: id })).catch(() => undefined);
      tunnels.destroyAll();
      httpServer.close();
      stopped = true;
      await worker.terminate();
    },
  };
}
