// Request builders with proto-loader defaults (every field present).
import type {
  Compare,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '../../../src/server/apply/index.js';
import { rangeRequest as buildRangeRequest } from '../../../src/server/concurrency/requests.js';

export const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

/** A range with every field at its default (the member's own builder, with a text key). */
export function rangeRequest(key: string, fields: Partial<RangeRequest> = {}): RangeRequest {
  return buildRangeRequest(bytes(key), fields);
}

export function putRequest(key: string, value: string, fields: Partial<PutRequest> = {}): PutRequest {
  return { key: bytes(key), value: bytes(value), lease: 0, prev_kv: false, ignore_value: false, ignore_lease: false, ...fields };
}

export function deleteRequest(key: string, fields: Partial<DeleteRangeRequest> = {}): DeleteRangeRequest {
  return { key: bytes(key), range_end: Buffer.alloc(0), prev_kv: false, ...fields };
}

export function txnRequest(fields: Partial<TxnRequest> = {}): TxnRequest {
  return { compare: [], success: [], failure: [], ...fields };
}

export const op = {
  range: (request: RangeRequest): RequestOp => ({ request: 'request_range', request_range: request }),
  put: (request: PutRequest): RequestOp => ({ request: 'request_put', request_put: request }),
  delete: (request: DeleteRangeRequest): RequestOp => ({ request: 'request_delete_range', request_delete_range: request }),
  txn: (request: TxnRequest): RequestOp => ({ request: 'request_txn', request_txn: request }),
};

type CompareField = 'version' | 'create_revision' | 'mod_revision' | 'value' | 'lease';
const targetOf: Record<CompareField, number> = { version: 0, create_revision: 1, mod_revision: 2, value: 3, lease: 4 };
const resultOf = { '=': 0, '>': 1, '<': 2, '!=': 3 } as const;

export function compare(key: string, field: CompareField, result: keyof typeof resultOf, operand: number | string, rangeEnd = ''): Compare {
  return {
    key: bytes(key),
    range_end: bytes(rangeEnd),
    target: targetOf[field],
    result: resultOf[result],
    target_union: field,
    [field]: typeof operand === 'string' ? bytes(operand) : operand,
  };
}
