// etcd's grpc-gateway: JSON over HTTP/1 under /v3/ (and /v3beta/, rewritten
// to /v3/), answered by the very gRPC service implementations the gRPC server
// runs (start-member.ts collects them in one map). A request becomes the
// protobuf message gRPC would have decoded (JSON -> protobufjs -> the
// service's own deserializer), a call object stands in for grpc-js' (request,
// metadata from the HTTP headers incl. Authorization, peer, 'cancelled'; a
// Duplex for streams), and the answer goes back through the service's
// serializer to JSON. So auth, validation and the audit log apply alike.
//
// As in etcd 3.4, where the gateway is a gRPC client of its own member over
// one connection, at most --max-concurrent-streams gateway calls run at once;
// others wait for a slot.

import type * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { protoService } from '../../proto/index.js';
import type { Logger } from '../../pkg/logger.js';
import { GATEWAY_ROUTES, SERVICE_PACKAGES, type GatewayRoute } from './routes.js';
import { readGoJson, GoJsonSyntaxError, goQuote } from './go-json.js';
import { jsonToObject, messageToJson, JsonDecodeError } from './json-codec.js';
import { StandInCall, statusOf, type GrpcStatus, type StandInCallMetrics } from '../stand-in-call.js';

export interface GatewayService {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

export interface GatewayOptions {
  /** By service name ('KV', 'Lease', 'Election', ...): what the gRPC server runs. */
  services: ReadonlyMap<string, GatewayService>;
  /** The largest encoded request gRPC takes (--max-request-bytes plus gRPC's overhead). */
  maxReceiveBytes: number;
  /** --max-concurrent-streams: of the gateway's one connection to its member, in etcd. */
  maxConcurrentStreams: number;
  /** etcd refuses gateway requests with a client certificate naming a user while auth is on (with --client-cert-auth). */
  refuseCertificateNames?: () => boolean;
  commonNameOf?: (peer: string) => string | undefined;
  logger?: Logger;
  /** A stream whose client stops reading for this long is dropped. */
  slowReaderTimeoutMs?: number;
  /**
   * Counts each call in grpc_server_* (metrics/grpc.ts startCall): etcd's
   * gateway calls its member through a gRPC client, so they count there.
   */
  callMetrics?: (path: string, requestStream: boolean, responseStream: boolean) => StandInCallMetrics;
  /**
   * Throws to refuse a call before its handler runs, as the member's gRPC
   * interceptors would (etcd's learner rule: api/learner-rule.ts).
   */
  screenCall?: (path: string, streaming: boolean, request: unknown) => void;
}


const NO_CALL_METRICS: StandInCallMetrics = { received: () => undefined, sent: () => undefined, finished: () => undefined };

const GO_STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** grpc-gateway v1's HTTPStatusFromCode. */
export function httpStatusFromCode(code: number): number {
  const s = grpc.status;
  switch (code) {
    case s.OK:
      return 200;
    case s.CANCELLED:
      return 408;
    case s.UNKNOWN:
      return 500;
    case s.INVALID_ARGUMENT:
      return 400;
    case s.DEADLINE_EXCEEDED:
      return 504;
    case s.NOT_FOUND:
      return 404;
    case s.ALREADY_EXISTS:
      return 409;
    case s.PERMISSION_DENIED:
      return 403;
    case s.UNAUTHENTICATED:
      return 401;
    case s.RESOURCE_EXHAUSTED:
      return 429;
    case s.FAILED_PRECONDITION:
      return 412;
    case s.ABORTED:
      return 409;
    case s.OUT_OF_RANGE:
      return 400;
    case s.UNIMPLEMENTED:
      return 501;
    case s.INTERNAL:
      return 500;
    case s.UNAVAILABLE:
      return 503;
    case s.DATA_LOSS:
      return 500;
    default:
      return 500;
  }
}

/** grpc-gateway's DefaultHTTPError body. */
export function errorBody(code: number, message: string): string {
  const quoted = goQuote(message);
  return `{"error":${quoted},"message":${quoted},"code":${code}}`;
}

// grpc-gateway's isPermanentHTTPHeader: these go to gRPC as "grpcgateway-<name>".
const PERMANENT_HEADERS = new Set(
  [
    'Accept',
    'Accept-Charset',
    'Accept-Language',
    'Accept-Ranges',
    'Authorization',
    'Cache-Control',
    'Content-Type',
    'Cookie',
    'Date',
    'Expect',
    'From',
    'Host',
    'If-Match',
    'If-Modified-Since',
    'If-None-Match',
    'If-Schedule-Tag-Match',
    'If-Unmodified-Since',
    'Max-Forwards',
    'Origin',
    'Pragma',
    'Referer',
    'User-Agent',
    'Via',
    'Warning',
  ].map((name) => name.toLowerCase()),
);

/** The gRPC metadata grpc-gateway's AnnotateContext makes of a request's headers. */
export function metadataOf(request: http.IncomingMessage, peerAddress: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  const add = (key: string, value: string) => {
    try {
      metadata.add(key, value);
    } catch {
      // a header name gRPC cannot carry is left out
    }
  };
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i].toLowerCase();
    const value = request.rawHeaders[i + 1];
    if (PERMANENT_HEADERS.has(name)) add(`grpcgateway-${name}`, value);
    else if (name.startsWith('grpc-metadata-')) add(name.slice('grpc-metadata-'.length), value);
    if (name === 'authorization') add('authorization', value);
  }
  if (request.headers.host) add('x-forwarded-host', request.headers.host);
  if (peerAddress) add('x-forwarded-for', peerAddress);
  return metadata;
}

/** A FIFO of slots: etcd 3.4's gateway shares one gRPC connection, limited to --max-concurrent-streams. */
class StreamSlots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  acquire(granted: () => void): () => void {
    let state: 'waiting' | 'active' | 'done' = 'waiting';
    const start = () => {
      state = 'active';
      this.active++;
      granted();
    };
    if (this.active < this.limit) start();
    else this.waiting.push(start);
    return () => {
      if (state === 'waiting') {
        const index = this.waiting.indexOf(start);
        if (index >= 0) this.waiting.splice(index, 1);
      } else if (state === 'active') {
        this.active--;
        const next = this.waiting.shift();
        if (next) next();
      }
      state = 'done';
    };
  }
}

const goHttpError = (response: http.ServerResponse, status: number, text: string) => {
  if (response.headersSent) return response.destroy();
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text) + 1 });
  response.end(`${text}\n`);
};

export type GatewayHandler = (request: http.IncomingMessage, response: http.ServerResponse) => boolean;

interface MethodInfo {
  route: GatewayRoute;
  service: GatewayService;
  handler: Function | undefined;
  definition: grpc.MethodDefinition<unknown, unknown>;
  requestType: protobuf.Type;
  responseType: protobuf.Type;
}

export function createGateway(options: GatewayOptions): GatewayHandler {
  const slots = new StreamSlots(Math.max(1, options.maxConcurrentStreams));
  const rawBodyLimit = options.maxReceiveBytes * 2 + 1024 * 1024;
  const slowReaderTimeoutMs = options.slowReaderTimeoutMs ?? 60_000;
  const methods = new Map<string, MethodInfo | null>();

  const methodOf = (route: GatewayRoute): MethodInfo | undefined => {
    const key = `${route.service}/${route.method}`;
    if (!methods.has(key)) {
      const service = options.services.get(route.service);
      const packageName = SERVICE_PACKAGES[route.service];
      let info: MethodInfo | null = null;
      if (service && packageName) {
        const method = protoService(`${packageName}.${route.service}`).methods[route.method];
        method.resolve();
        info = {
          route,
          service,
          handler: service.implementation[route.method] as Function | undefined,
          definition: service.definition[route.method] as grpc.MethodDefinition<unknown, unknown>,
          requestType: method.resolvedRequestType as protobuf.Type,
          responseType: method.resolvedResponseType as protobuf.Type,
        };
      }
      methods.set(key, info);
    }
    return methods.get(key) ?? undefined;
  };

  return (request, response) => {
    let path = (request.url ?? '/').split('?')[0];
    if (path.startsWith('/v3beta/')) path = `/v3/${path.slice('/v3beta/'.length)}`;
    if (!path.startsWith('/v3/')) return false;

    // etcd's accessController: CORS for any origin (the default --cors '*'), OPTIONS answered at once.
    response.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS, PUT, DELETE');
    response.setHeader('Access-Control-Allow-Origin', '*');
    response.setHeader('Access-Control-Allow-Headers', 'accept, content-type, authorization');
    if (request.method === 'OPTIONS') {
      response.writeHead(200, { 'Content-Length': 0 });
      response.end();
      return true;
    }
    const socket = request.socket as { remoteAddress?: string; remotePort?: number };
    const peerAddress = socket.remoteAddress;
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (options.refuseCertificateNames?.() && options.commonNameOf?.(peer)) {
      goHttpError(response, 400, 'CommonName of client sending a request against gateway will be ignored and not used as expected');
      return true;
    }

    const route = GATEWAY_ROUTES.get(path);
    if (route === undefined) {
      goHttpError(response, 404, 'Not Found');
      return true;
    }
    if (request.method !== 'POST') {
      goHttpError(response, 405, 'Method Not Allowed');
      return true;
    }
    const info = methodOf(route);
    const metadata = metadataOf(request, peerAddress);
    let release: (() => void) | undefined;
    const done = () => {
      release?.();
      release = undefined;
    };
    response.once('close', done);
    release = slots.acquire(() => {
      if (response.destroyed || response.writableEnded) return done();
      if (info?.definition?.requestStream) serveBidiStream(info, request, response, metadata, peer, done);
      else readBody(request, response, rawBodyLimit, (body) => serveWithBody(info, route, body, response, metadata, peer, done));
    });
    return true;
  };

  function readBody(request: http.IncomingMessage, response: http.ServerResponse, limit: number, then: (body: string) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        // gRPC's own refusal of an oversized message; the rest of the body is not read.
        sendGrpcError(response, { code: grpc.status.RESOURCE_EXHAUSTED, message: `grpc: received message larger than max (${size} vs. ${options.maxReceiveBytes})` }, true);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!refused) then(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', () => undefined);
  }

  /** JSON text -> the message gRPC's deserializer would hand the handler. */
  function decodeRequest(info: MethodInfo, value: ReturnType<typeof readGoJson>): unknown {
    const object = value === undefined ? {} : jsonToObject(info.requestType, value.value);
    const bytes = info.requestType.encode(info.requestType.fromObject(object)).finish();
    if (bytes.length > options.maxReceiveBytes) {
      throw Object.assign(new Error(`grpc: received message larger than max (${bytes.length} vs. ${options.maxReceiveBytes})`), { code: grpc.status.RESOURCE_EXHAUSTED, grpc: true });
    }
    return info.definition.requestDeserialize(Buffer.from(bytes));
  }

  function encodeResponse(info: MethodInfo, message: unknown): string {
    const bytes = info.definition.responseSerialize(message);
    return messageToJson(info.responseType, info.responseType.decode(bytes));
  }

  /** What grpc-js answers for a service or method the member does not run. */
  function unimplemented(route: GatewayRoute): GrpcStatus {
    const packageName = SERVICE_PACKAGES[route.service] ?? 'etcdserverpb';
    if (!options.services.has(route.service)) return { code: grpc.status.UNIMPLEMENTED, message: `unknown service ${packageName}.${route.service}` };
    return { code: grpc.status.UNIMPLEMENTED, message: `The server does not implement the method /${packageName}.${route.service}/${route.method}` };
  }

  function sendGrpcError(response: http.ServerResponse, error: GrpcStatus, plain = false): void {
    if (response.headersSent || response.destroyed) return;
    const body = errorBody(error.code, error.message);
    if (plain) {
      response.writeHead(httpStatusFromCode(error.code), { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      response.end(body);
      return;
    }
    // An error from the gRPC service carries its trailers, as etcd's gateway forwards them.
    response.writeHead(httpStatusFromCode(error.code), { 'Content-Type': 'application/json', Trailer: 'Grpc-Trailer-Content-Type' });
    response.write(body);
    response.addTrailers({ 'Grpc-Trailer-Content-Type': 'application/grpc' });
    response.end();
  }

  function sendMessage(response: http.ServerResponse, json: string): void {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(200, { 'Content-Type': 'application/json', 'Grpc-Metadata-Content-Type': 'application/grpc', 'Content-Length': Buffer.byteLength(json) });
    response.end(json);
  }

  function decodeFailure(error: unknown): GrpcStatus | undefined {
    if (error instanceof GoJsonSyntaxError || error instanceof JsonDecodeError) return { code: grpc.status.INVALID_ARGUMENT, message: error.message };
    if (typeof error === 'object' && error !== null && (error as { grpc?: boolean }).grpc) return statusOf(error);
    return undefined;
  }

  /** Unary calls and server streams: one request from the whole body. */
  function serveWithBody(info: MethodInfo | undefined, route: GatewayRoute, body: string, response: http.ServerResponse, metadata: grpc.Metadata, peer: string, done: () => void): void {
    let request: unknown;
    try {
      const read = readGoJson(body);
      if (info === undefined) throw unimplemented(route);
      request = decodeRequest(info, read);
    } catch (error) {
      const failure = decodeFailure(error);
      if (failure?.code === grpc.status.INVALID_ARGUMENT) sendGrpcError(response, failure, true);
      else sendGrpcError(response, failure ?? statusOf(error));
      return done();
    }
    if (info === undefined || typeof info.handler !== 'function') {
      sendGrpcError(response, unimplemented(route));
      return done();
    }
    try {
      options.screenCall?.(methodPath(info), info.definition.requestStream || info.definition.responseStream, request);
    } catch (error) {
      sendGrpcError(response, statusOf(error));
      return done();
    }
    const counts = startCall(info);
    counts.received();
    const stream = openStream(info, response, metadata, peer, done, counts);
    stream.request = request;
    if (info.definition.responseStream) {
      stream.call.request = request;
      (info.handler as (call: unknown) => void)(stream.call);
      return;
    }
    (info.handler as (call: unknown, callback: grpc.sendUnaryData<unknown>) => void)(stream.call, (error, value) => {
      if (error) {
        stream.settle();
        const status = statusOf(error);
        counts.finished(status.code);
        sendGrpcError(response, status);
        return done();
      }
      let json: string;
      try {
        json = encodeResponse(info, value);
      } catch (encodeError) {
        stream.settle();
        counts.finished(grpc.status.INTERNAL);
        sendGrpcError(response, { code: grpc.status.INTERNAL, message: `grpc: error while marshaling: ${(encodeError as Error).message}` });
        return done();
      }
      stream.settle();
      counts.sent();
      counts.finished(grpc.status.OK);
      sendMessage(response, json);
      done();
    });
  }

  /** A call object whose writes become `{"result":...}` lines, and whose end or error ends the response. */
  function methodPath(info: MethodInfo): string {
    return `/${SERVICE_PACKAGES[info.route.service]}.${info.route.service}/${info.route.method}`;
  }

  function startCall(info: MethodInfo): StandInCallMetrics {
    return options.callMetrics?.(methodPath(info), info.definition.requestStream, info.definition.responseStream) ?? NO_CALL_METRICS;
  }

  function openStream(info: MethodInfo, response: http.ServerResponse, metadata: grpc.Metadata, peer: string, done: () => void, counts: StandInCallMetrics) {
    let settled = false;
    let wroteAny = false;
    let slowTimer: NodeJS.Timeout | undefined;
    const startHeaders = (status: number, withMetadata: boolean) => {
      if (response.headersSent) return;
      response.writeHead(status, {
        'Content-Type': 'application/json',
        ...(withMetadata ? { 'Grpc-Metadata-Content-Type': 'application/grpc' } : {}),
        'Transfer-Encoding': 'chunked',
      });
    };
    const settle = () => {
      settled = true;
      if (slowTimer) clearTimeout(slowTimer);
    };
    const call: StandInCall = new StandInCall(metadata, peer, `/${SERVICE_PACKAGES[info.route.service]}.${info.route.service}/${info.route.method}`, {
      write: (message, callback) => {
        if (settled || response.destroyed) return callback();
        let json: string;
        try {
          json = encodeResponse(info, message);
        } catch (error) {
          return callback(error as Error);
        }
        startHeaders(200, true);
        wroteAny = true;
        counts.sent();
        if (response.write(`{"result":${json}}\n`)) return callback();
        // A client that stops reading holds its stream's writes here; one that never drains is dropped.
        slowTimer = setTimeout(() => {
          options.logger?.warn('dropped a gateway stream whose client stopped reading', { peer, 'timeout-ms': slowReaderTimeoutMs });
          response.destroy();
        }, slowReaderTimeoutMs);
        response.once('drain', () => {
          if (slowTimer) clearTimeout(slowTimer);
          callback();
        });
      },
      finish: (error) => {
        if (settled) return;
        settle();
        counts.finished(error?.code ?? grpc.status.OK);
        if (!response.destroyed) {
          if (error && error.code !== grpc.status.OK) {
            const httpCode = httpStatusFromCode(error.code);
            if (!wroteAny) startHeaders(httpCode, false);
            const parts = [`"grpc_code":${error.code}`, `"http_code":${httpCode}`];
            if (error.message) parts.push(`"message":${goQuote(error.message)}`);
            parts.push(`"http_status":${goQuote(GO_STATUS_TEXT[httpCode] ?? '')}`);
            response.write(`{"error":{${parts.join(',')}}}`);
          } else startHeaders(200, true);
          response.end();
        }
        done();
      },
    });
    response.once('close', () => {
      if (!response.writableFinished || !settled) {
        settle();
        counts.finished(grpc.status.CANCELLED);
        call.cancel();
      }
      done();
    });
    return {
      call,
      settle,
      set request(value: unknown) {
        call.request = value;
      },
    };
  }

  /** Watch and LeaseKeepAlive: requests read from the body as they come, one JSON value after another. */
  function serveBidiStream(info: MethodInfo, request: http.IncomingMessage, response: http.ServerResponse, metadata: grpc.Metadata, peer: string, done: () => void): void {
    let text = '';
    let offset = 0;
    let started = false;
    let inputClosed = false;
    let stream: ReturnType<typeof openStream> | undefined;
    let counts: StandInCallMetrics = NO_CALL_METRICS;
    const start = () => {
      started = true;
      if (typeof info.handler !== 'function') {
        sendGrpcError(response, unimplemented(info.route));
        request.destroy();
        return done();
      }
      try {
        options.screenCall?.(methodPath(info), true, undefined);
      } catch (error) {
        sendGrpcError(response, statusOf(error));
        request.destroy();
        return done();
      }
      counts = startCall(info);
      stream = openStream(info, response, metadata, peer, done, counts);
      (info.handler as (call: unknown) => void)(stream.call);
    };
    const closeInput = () => {
      if (inputClosed) return;
      inputClosed = true;
      if (!started) start();
      stream?.call.push(null);
    };
    const consume = (ended: boolean) => {
      for (;;) {
        if (inputClosed) return;
        let read: ReturnType<typeof readGoJson>;
        let message: unknown;
        try {
          read = readGoJson(text, offset, { moreMayFollow: !ended });
          if (read === undefined) {
            if (ended) closeInput();
            return;
          }
          message = decodeRequest(info, read);
        } catch (error) {
          if (error instanceof GoJsonSyntaxError && error.truncated && !ended) return; // wait for more
          if (!started) {
            // The first request cannot be read: grpc-gateway answers its error as it is (code Unknown).
            const failure = decodeFailure(error) ?? statusOf(error);
            started = true;
            inputClosed = true;
            sendGrpcError(response, { code: failure.code === grpc.status.INVALID_ARGUMENT ? grpc.status.UNKNOWN : failure.code, message: failure.message }, true);
            request.destroy();
            return done();
          }
          // A later one ends the client's side; the stream goes on.
          closeInput();
          return;
        }
        offset = read.end;
        if (offset > 65536) {
          text = text.slice(offset);
          offset = 0;
        }
        if (!started) start();
        counts.received();
        stream?.call.push(message);
      }
    };
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      if (inputClosed) return;
      text += chunk;
      if (text.length - offset > rawBodyLimit) {
        response.destroy();
        return;
      }
      consume(false);
    });
    request.on('end', () => consume(true));
    request.on('error', () => undefined);
  }
}
