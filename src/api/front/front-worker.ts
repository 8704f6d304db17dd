// The client transport thread: a worker_threads entry point. It owns the
// client listeners (TLS, the gRPC/HTTP sorting, HTTP/2 and gRPC framing in
// grpc-http2-server.ts) and hands every call to the member's thread as
// bytes; see client-front.ts for the other side and protocol.ts for what
// crosses. Nothing here decodes a request or decides anything about one.

import { parentPort, workerData } from 'node:worker_threads';
import type { Duplex } from 'node:stream';
import { listenForClients, type ClientListener } from '../client-listener.js';
import { errorDetail, type LogFields, type Logger } from '../../pkg/logger.js';
import { sessionClosed } from '../http2/call-session.js';
import { BatchedPort, type PortLike } from './batched-port.js';
import { GrpcHttp2Server, type GrpcServerCall } from './grpc-http2-server.js';
import type { FrontMethod, FrontWorkerData, ToFront, ToMember } from './protocol.js';

const OK = 0;

const data = workerData as FrontWorkerData;
const port = new BatchedPort<ToMember, ToFront>(parentPort as unknown as PortLike, receive, writeGathered, (error) =>
  logger.error('client transport thread: a message from the member failed', { error: errorDetail(error) }),
);
/** Calls the member has not ended yet, and those it ended until they close (for a close-session). */
const calls = new Map<number, GrpcServerCall>();
const http1Connections = new Map<number, Duplex>();
const listeners = new Map<number, ClientListener>();
let nextCallId = 1;
let nextConnectionId = 1;

const logger = forwardingLogger('embed/etcd.go');
const certificateNames = {
  record: (peer: string, commonName: string) => port.send({ kind: 'certificate-name', peer, commonName }),
  forget: (peer: string) => port.send({ kind: 'certificate-gone', peer }),
};

const methods = new Map<string, FrontMethod>();
for (const service of Object.values(data.services)) for (const method of Object.values(service)) methods.set(method.path, method);
const grpcServer = new GrpcHttp2Server({
  methods,
  maxReceiveMessageBytes: data.grpcOptions['grpc.max_receive_message_length'],
  maxConcurrentStreams: data.grpcOptions['grpc.max_concurrent_streams'],
  onConnectionError: (error) =>
    logger.error('client transport thread: a client connection failed', { error: errorDetail(error) }),
  onCall(call, firstMessage) {
    const id = nextCallId++;
    calls.set(id, call);
    call.onClosed(() => calls.delete(id));
    port.send({ kind: 'call', id, path: call.method.path, metadata: call.metadata, peer: call.peer, payload: firstMessage });
    return {
      onMessage: (message) => port.send({ kind: 'message', id, payload: message }),
      onHalfClose: () => port.send({ kind: 'half-close', id }),
      onCancel: () => port.send({ kind: 'cancelled', id }),
    };
  },
});
// This thread's HTTP/2 (h2/) takes any :authority: no rewriter in front of it.
const injector = { injectConnection: (connection: Duplex) => grpcServer.injectConnection(connection), acceptsAnyAuthority: true };

function receive(message: ToFront & { payload?: Buffer }): void {
  switch (message.kind) {
    case 'reply':
      calls.get(message.id)?.reply(message.payload);
      return;
    case 'write': {
      // Gathered per call and written once the batch is read: one HTTP/2 write for a watch's events.
      const gathered = writesGathered.get(message.id);
      if (gathered === undefined) writesGathered.set(message.id, [message.payload]);
      else gathered.push(message.payload);
      return;
    }
    case 'end':
      writeGatheredOf(message.id);
      calls.get(message.id)?.sendStatus(OK, 'OK');
      return;
    case 'status':
      writeGatheredOf(message.id);
      calls.get(message.id)?.sendStatus(message.code, message.details, message.metadata);
      return;
    case 'close-session': {
      const session = calls.get(message.id)?.session;
      const closed = session === undefined ? Promise.resolve() : sessionClosed(session);
      void closed.then(() => port.send({ kind: 'session-closed', id: message.id }));
      return;
    }
    case 'http1-data': {
      const connection = http1Connections.get(message.connection);
      if (connection === undefined) port.send({ kind: 'http1-written', connection: message.connection });
      else connection.write(message.payload, () => port.send({ kind: 'http1-written', connection: message.connection }));
      return;
    }
    case 'http1-end':
      http1Connections.get(message.connection)?.end();
      return;
    case 'http1-destroy':
      http1Connections.get(message.connection)?.destroy();
      return;
    case 'listen':
      listen(message);
      return;
    case 'close-listener': {
      const listener = listeners.get(message.listener);
      listeners.delete(message.listener);
      void (listener?.close() ?? Promise.resolve()).then(() => port.send({ kind: 'done', request: message.request }));
      return;
    }
    case 'shutdown':
      void shutDown().then(() => {
        port.send({ kind: 'done', request: message.request });
        port.flush();
      });
      return;
  }
}

/** Response messages of the batch being read, by call. */
const writesGathered = new Map<number, Buffer[]>();

function writeGatheredOf(id: number): void {
  const messages = writesGathered.get(id);
  if (messages === undefined) return;
  writesGathered.delete(id);
  const call = calls.get(id);
  const acknowledge = () => acknowledgeWrites(id, messages.length);
  if (call === undefined) acknowledge();
  else call.write(messages, acknowledge);
}

function writeGathered(): void {
  for (const id of [...writesGathered.keys()]) writeGatheredOf(id);
}

/** Writes handed to HTTP/2 since the last batch, by call: one acknowledgement per call per turn (a watch writes many). */
const writesToAcknowledge = new Map<number, number>();

function acknowledgeWrites(id: number, count: number): void {
  if (writesToAcknowledge.size === 0) setImmediate(sendWriteAcknowledgements);
  writesToAcknowledge.set(id, (writesToAcknowledge.get(id) ?? 0) + count);
}

function sendWriteAcknowledgements(): void {
  for (const [id, count] of writesToAcknowledge) port.send({ kind: 'written', id, count });
  writesToAcknowledge.clear();
}

function onHttp1Connection(stream: Duplex): void {
  const connection = nextConnectionId++;
  http1Connections.set(connection, stream);
  const { remoteAddress, remotePort } = stream as unknown as { remoteAddress?: string; remotePort?: number };
  port.send({ kind: 'http1-open', connection, remoteAddress, remotePort });
  stream.on('data', (chunk: Buffer) => port.send({ kind: 'http1-data', connection, payload: chunk }));
  stream.on('end', () => port.send({ kind: 'http1-end', connection }));
  stream.on('error', () => undefined);
  stream.on('close', () => {
    http1Connections.delete(connection);
    port.send({ kind: 'http1-close', connection });
  });
}

function listen(request: Extract<ToFront, { kind: 'listen' }>): void {
  listenForClients({
    host: request.host,
    port: request.port,
    plaintext: request.plaintext,
    tls: request.secure ? data.tls : undefined,
    grpcInjector: injector,
    onHttp1Connection,
    logger,
    certificateNames,
  }).then(
    (listener) => {
      listeners.set(request.request, listener);
      port.send({ kind: 'listening', request: request.request, host: listener.address.host, port: listener.address.port });
    },
    (error: NodeJS.ErrnoException) => port.send({ kind: 'listen-failed', request: request.request, message: error.message, code: error.code }),
  );
}

async function shutDown(): Promise<void> {
  for (const listener of listeners.values()) await listener.close();
  listeners.clear();
  grpcServer.destroySessions();
  for (const connection of http1Connections.values()) connection.destroy();
}

function forwardingLogger(caller: string): Logger {
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: LogFields) => port.send({ kind: 'log', level, caller, msg, fields: cloneableFields(fields) });
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: (name: string) => forwardingLogger(name) };
}

/** Log fields as plain values: one that cannot be cloned would fail the whole batch it travels in. */
function cloneableFields(fields: LogFields | undefined): LogFields | undefined {
  if (fields === undefined) return undefined;
  const plain: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value)) plain[key] = value;
    else if (value instanceof Error) plain[key] = value.message;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number')) plain[key] = [...value];
    else plain[key] = String(value);
  }
  return plain;
}
