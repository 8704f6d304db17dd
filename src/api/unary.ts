// Adapts a promise-returning handler to grpc-js' unary callback style and
// turns every failure into etcd's gRPC error.

import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { toGrpcError } from './errors.js';

export function unary<Request, Response>(handler: (request: Request, call: ServerUnaryCall<Request, Response>) => Promise<Response> | Response) {
  return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>): void => {
    let result: Promise<Response>;
    try {
      result = Promise.resolve(handler(call.request, call));
    } catch (error) {
      callback(toGrpcError(error));
      return;
    }
    result.then(
      (response) => callback(null, response),
      (error: unknown) => callback(toGrpcError(error)),
    );
  };
}
