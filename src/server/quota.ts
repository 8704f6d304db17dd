// etcd's backend quota (server/storage/quota.go): a write whose cost would
// take the backend past --quota-backend-bytes is refused before it is
// proposed, and the member raises NOSPACE. Sizes are the LMDB file's size
// (etcd's Backend().Size() is the bbolt file's), so a defrag that shrinks the
// file gives room back.

import type { Logger } from '../pkg/logger.js';
import type { PutRequest, TxnRequest } from './apply/index.js';

/** etcd's DefaultQuotaBytes (2 GiB) and MaxQuotaBytes (8 GiB). */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;
export const MAX_QUOTA_BYTES = 8 * 1024 * 1024 * 1024;
const LEASE_OVERHEAD = 64;
const KV_OVERHEAD = 256;

export type QuotaRequest = { put: PutRequest } | { txn: TxnRequest } | { leaseGrant: true };

export interface Quota {
  /** Whether the request fits (a request of cost 0 always does). */
  available(request: QuotaRequest): boolean;
  readonly bytes: number;
}

/** --quota-backend-bytes: 0 is etcd's default of 2 GiB; negative disables the quota. */
export function newBackendQuota(configuredBytes: number, sizeBytes: () => number, logger: Logger): Quota {
  const log = logger.child('storage/quota.go');
  if (configuredBytes < 0) {
    log.info('disabled backend quota', { 'quota-name': 'v3-applier', 'quota-size-bytes': configuredBytes });
    return { available: () => true, bytes: configuredBytes };
  }
  let bytes = configuredBytes;
  if (configuredBytes === 0) {
    bytes = DEFAULT_QUOTA_BYTES;
    log.info('enabled backend quota with default value', { 'quota-name': 'v3-applier', 'quota-size-bytes': bytes, 'quota-size': humanizeBytes(bytes) });
  } else {
    if (configuredBytes > MAX_QUOTA_BYTES) {
      log.warn('quota exceeds the maximum value', {
        'quota-name': 'v3-applier',
        'quota-size-bytes': configuredBytes,
        'quota-size': humanizeBytes(configuredBytes),
        'quota-maximum-size-bytes': MAX_QUOTA_BYTES,
        'quota-maximum-size': humanizeBytes(MAX_QUOTA_BYTES),
      });
    }
    log.info('enabled backend quota', { 'quota-name': 'v3-applier', 'quota-size-bytes': bytes, 'quota-size': humanizeBytes(bytes) });
  }
  return {
    bytes,
    available(request) {
      const cost = quotaCost(request);
      return cost === 0 || sizeBytes() + cost < bytes;
    },
  };
}

export function quotaCost(request: QuotaRequest): number {
  if ('put' in request) return costPut(request.put);
  if ('txn' in request) return costTxn(request.txn);
  return LEASE_OVERHEAD;
}

function costPut(request: PutRequest): number {
  return KV_OVERHEAD + (request.key?.length ?? 0) + (request.value?.length ?? 0);
}

function costTxn(request: TxnRequest): number {
  const branch = (operations: TxnRequest['success']) => {
    let sum = 0;
    for (const operation of operations ?? []) {
      if (operation.request === 'request_put') sum += costPut(operation.request_put);
      else if (operation.request === 'request_txn') sum += costTxn(operation.request_txn);
    }
    return sum;
  };
  return Math.max(branch(request.success), branch(request.failure));
}

/** Whether a txn writes (etcd's isTxnPut: a put in either branch, nested txns included). */
export function txnHasPut(request: TxnRequest): boolean {
  return costTxn(request) > 0;
}

/** go-humanize's Bytes: SI units, "2.1 GB", "1.0 MB", "512 B". */
export function humanizeBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const exponent = Math.floor(Math.log(bytes) / Math.log(1000));
  const value = Math.floor((bytes / 1000 ** exponent) * 10 + 0.5) / 10;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ${units[exponent]}`;
}
