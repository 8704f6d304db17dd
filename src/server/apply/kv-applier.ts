import type { LeaseId } from '../../lease/index.js';
import { CompactedError, FutureRevisionError, type KVStore, type RangeResult, type WriteTxn } from '../../mvcc/index.js';
import { applyCompares } from './compare.js';
import { KeyNotFoundError, LeaseNotFoundError } from './errors.js';
import { executeRange, type RangeReader } from './range.js';
import {
  responseHeader,
  type CompactionRequest,
  type CompactionResponse,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type ResponseOp,
  type TxnRequest,
  type TxnResponse,
} from './types.js';

export interface KVApplierOptions {
  /** Whether a lease id is granted. Until the lessor exists, no lease is. */
  readonly leaseExists?: (leaseId: LeaseId) => boolean;
}

/** The outcome of a compaction request; the server waits for `done` when `physical`. */
export interface CompactionOutcome {
  response: CompactionResponse;
  physical: boolean;
  done: Promise<void>;
}

/** Which branch each (nested) txn takes, decided on the state before the txn runs. */
interface TxnPath {
  succeeded: boolean;
  /** Paths of the nested txns of the chosen branch, in order. */
  nested: TxnPath[];
}

/**
 * Executes KV requests against the MVCC store, deterministically (etcd's
 * server/etcdserver/txn package). Writes land in the backend's current batch; the
 * caller commits. Errors are thrown as the classes of ./errors.js; a request that
 * throws has changed nothing.
 */
export class KVApplier {
  private readonly leaseExists: (leaseId: LeaseId) => boolean;

  constructor(
    readonly store: KVStore,
    options: KVApplierOptions = {},
  ) {
    this.leaseExists = options.leaseExists ?? (() => false);
  }

  range(request: RangeRequest): RangeResponse {
    return executeRange(this.store, request);
  }

  put(request: PutRequest): PutResponse {
    this.checkLease(request);
    const txn = this.store.write();
    try {
      const previous = previousForPut(txn, request);
      if ((request.ignore_value || request.ignore_lease) && previous.kvs.length === 0) throw new KeyNotFoundError();
      return executePut(txn, request, previous);
    } finally {
      txn.end();
    }
  }

  deleteRange(request: DeleteRangeRequest): DeleteRangeResponse {
    const txn = this.store.write();
    try {
      return executeDeleteRange(txn, request);
    } finally {
      txn.end();
    }
  }

  txn(request: TxnRequest): TxnResponse {
    // Compares of every level are evaluated on the state before the txn, as etcd does.
    const path = this.compareToPath(request);
    this.checkTxn(request, path);
    const txn = this.store.write();
    try {
      const response = this.executeTxn(txn, request, path);
      response.header.revision = txn.revision;
      return response;
    } finally {
      txn.end();
    }
  }

  compaction(request: CompactionRequest): CompactionOutcome {
    const compaction = this.store.compact(request.revision);
    return {
      response: { header: responseHeader(this.store.currentRevision) },
      physical: request.physical,
      done: compaction.done,
    };
  }

  private checkLease(request: PutRequest): void {
    if (request.lease !== 0 && !this.leaseExists(request.lease)) throw new LeaseNotFoundError();
  }

  private compareToPath(request: TxnRequest): TxnPath {
    const succeeded = applyCompares(this.store, request.compare);
    const nested: TxnPath[] = [];
    for (const operation of succeeded ? request.success : request.failure) {
      if (operation.request === 'request_txn') nested.push(this.compareToPath(operation.request_txn));
    }
    return { succeeded, nested };
  }

  /** etcd's checkTxn: reject the whole txn before any write if an op of the chosen path must fail. */
  private checkTxn(request: TxnRequest, path: TxnPath): void {
    let nestedIndex = 0;
    for (const operation of path.succeeded ? request.success : request.failure) {
      switch (operation.request) {
        case 'request_range': {
          const revision = operation.request_range.revision;
          if (revision === 0) break;
          if (revision > this.store.currentRevision) throw new FutureRevisionError();
          if (revision < this.store.compactRevision) throw new CompactedError();
          break;
        }
        case 'request_put': {
          const put = operation.request_put;
          this.checkLease(put);
          if ((put.ignore_value || put.ignore_lease) && this.store.range(put.key, undefined).count === 0) {
            throw new KeyNotFoundError();
          }
          break;
        }
        case 'request_txn':
          this.checkTxn(operation.request_txn, path.nested[nestedIndex++]!);
          break;
        default:
          break;
      }
    }
  }

  private executeTxn(txn: WriteTxn, request: TxnRequest, path: TxnPath): TxnResponse {
    const responses: ResponseOp[] = [];
    let nestedIndex = 0;
    for (const operation of path.succeeded ? request.success : request.failure) {
      switch (operation.request) {
        case 'request_range':
          responses.push({ response: 'response_range', response_range: executeRange(txn, operation.request_range) });
          break;
        case 'request_put': {
          const put = operation.request_put;
          const previous = previousForPut(txn, put);
          if ((put.ignore_value || put.ignore_lease) && previous.kvs.length === 0) {
            // checkTxn ruled this out unless an earlier op of this txn deleted the key,
            // which validation (duplicate keys) forbids; failing now would leave a partial txn.
            throw new Error('applyTxn: key vanished before a put with ignore_value/ignore_lease');
          }
          responses.push({ response: 'response_put', response_put: executePut(txn, put, previous) });
          break;
        }
        case 'request_delete_range':
          responses.push({ response: 'response_delete_range', response_delete_range: executeDeleteRange(txn, operation.request_delete_range) });
          break;
        case 'request_txn':
          responses.push({ response: 'response_txn', response_txn: this.executeTxn(txn, operation.request_txn, path.nested[nestedIndex++]!) });
          break;
        default:
          break;
      }
    }
    // Nested txn responses carry an empty header, as in etcd; the caller sets the top one.
    return { header: responseHeader(0), succeeded: path.succeeded, responses };
  }
}

const noPrevious: RangeResult = { kvs: [], count: 0, revision: 0 };

function previousForPut(reader: RangeReader, request: PutRequest): RangeResult {
  if (!request.ignore_value && !request.ignore_lease && !request.prev_kv) return noPrevious;
  return reader.range(request.key, undefined, {});
}

function executePut(txn: WriteTxn, request: PutRequest, previous: RangeResult): PutResponse {
  const previousKeyValue = previous.kvs[0];
  const value = request.ignore_value ? previousKeyValue!.value : request.value;
  const lease = request.ignore_lease ? previousKeyValue!.lease : request.lease;
  const revision = txn.put(request.key, value, lease);
  return { header: responseHeader(revision), prev_kv: request.prev_kv && previousKeyValue !== undefined ? previousKeyValue : null };
}

function executeDeleteRange(txn: WriteTxn, request: DeleteRangeRequest): DeleteRangeResponse {
  const prevKvs = request.prev_kv ? txn.range(request.key, request.range_end, {}).kvs : [];
  const deleted = txn.deleteRange(request.key, request.range_end);
  return { header: responseHeader(txn.revision), deleted, prev_kvs: prevKvs };
}
