// Checks etcd does on KV requests before proposing them (server/etcdserver/api/v3rpc/key.go).
// Pure functions: each throws the error etcd would return, or returns normally.
import {
  DuplicateKeyError,
  EmptyKeyError,
  InvalidSortOptionError,
  KeyNotFoundError,
  LeaseProvidedError,
  TooManyOpsError,
  ValueProvidedError,
} from './errors.js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from './types.js';

/** etcd's default --max-txn-ops. */
export const defaultMaxTxnOps = 128;

export function validateRangeRequest(request: RangeRequest): void {
  if (request.key.length === 0) throw new EmptyKeyError();
  if (!isEnumValue(request.sort_order, 2) || !isEnumValue(request.sort_target, 4)) throw new InvalidSortOptionError();
}

export function validatePutRequest(request: PutRequest): void {
  if (request.key.length === 0) throw new EmptyKeyError();
  if (request.ignore_value && request.value.length !== 0) throw new ValueProvidedError();
  if (request.ignore_lease && request.lease !== 0) throw new LeaseProvidedError();
}

export function validateDeleteRangeRequest(request: DeleteRangeRequest): void {
  if (request.key.length === 0) throw new EmptyKeyError();
}

/** All of etcd's Txn checks: sizes, keys, nested ops, then duplicate/overlapping writes per branch. */
export function validateTxnRequest(request: TxnRequest, maxTxnOps = defaultMaxTxnOps): void {
  checkTxnRequest(request, maxTxnOps);
  checkIntervals(request.success);
  checkIntervals(request.failure);
}

function checkTxnRequest(request: TxnRequest, maxTxnOps: number): void {
  const operationCount = Math.max(request.compare.length, request.success.length, request.failure.length);
  if (operationCount > maxTxnOps) throw new TooManyOpsError();
  for (const compare of request.compare) {
    if (compare.key.length === 0) throw new EmptyKeyError();
  }
  // As etcd: nested txns get the budget left after this level's largest list.
  for (const operation of request.success) checkRequestOp(operation, maxTxnOps - operationCount);
  for (const operation of request.failure) checkRequestOp(operation, maxTxnOps - operationCount);
}

function checkRequestOp(operation: RequestOp, maxTxnOps: number): void {
  switch (operation.request) {
    case 'request_range':
      return validateRangeRequest(operation.request_range);
    case 'request_put':
      return validatePutRequest(operation.request_put);
    case 'request_delete_range':
      return validateDeleteRangeRequest(operation.request_delete_range);
    case 'request_txn':
      return checkTxnRequest(operation.request_txn, maxTxnOps);
    default:
      // etcd answers an empty RequestOp with "key not found".
      throw new KeyNotFoundError();
  }
}

function isEnumValue(value: number, maxValue: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= maxValue;
}

// Key intervals as etcd's adt "string affine" intervals: [begin, end) over latin1
// strings of the key bytes, where an empty end means +infinity.
interface KeyInterval {
  begin: string;
  end: string;
}

function compareAffine(a: string, b: string): number {
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  if (b.length === 0) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function overlaps(a: KeyInterval, b: KeyInterval): boolean {
  const leftOf = compareAffine(a.begin, b.begin) < 0 && compareAffine(a.end, b.begin) <= 0;
  const rightOf = compareAffine(a.begin, b.end) >= 0;
  return !leftOf && !rightOf;
}

function pointInterval(key: string): KeyInterval {
  return { begin: key, end: key + '\u0000' };
}

function intersectsAny(intervals: readonly KeyInterval[], key: string): boolean {
  const point = pointInterval(key);
  return intervals.some((interval) => overlaps(point, interval));
}

/**
 * etcd's checkIntervals: within one branch (including nested txns), a key may be put
 * only once and not also fall in a deleted range; the same key put in both branches of
 * one nested txn is allowed. Returns the branch's puts and deletes for the parent.
 */
function checkIntervals(operations: readonly RequestOp[]): { puts: Set<string>; deletes: KeyInterval[] } {
  const deletes: KeyInterval[] = [];
  for (const operation of operations) {
    if (operation.request !== 'request_delete_range') continue;
    const request = operation.request_delete_range;
    const key = request.key.toString('latin1');
    deletes.push(request.range_end.length !== 0 ? { begin: key, end: request.range_end.toString('latin1') } : pointInterval(key));
  }
  const puts = new Set<string>();
  for (const operation of operations) {
    if (operation.request !== 'request_txn') continue;
    const thenBranch = checkIntervals(operation.request_txn.success);
    const elseBranch = checkIntervals(operation.request_txn.failure);
    for (const key of thenBranch.puts) {
      if (puts.has(key) || intersectsAny(deletes, key)) throw new DuplicateKeyError();
      puts.add(key);
    }
    for (const key of elseBranch.puts) {
      if (puts.has(key) && !thenBranch.puts.has(key)) throw new DuplicateKeyError();
      if (intersectsAny(deletes, key)) throw new DuplicateKeyError();
      puts.add(key);
    }
    // Later puts at this level must not hit keys deleted inside the nested txn either.
    deletes.push(...thenBranch.deletes, ...elseBranch.deletes);
  }
  for (const operation of operations) {
    if (operation.request !== 'request_put') continue;
    const key = operation.request_put.key.toString('latin1');
    if (puts.has(key) || intersectsAny(deletes, key)) throw new DuplicateKeyError();
    puts.add(key);
  }
  return { puts, deletes };
}
