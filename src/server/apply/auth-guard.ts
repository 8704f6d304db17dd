// Permission checks for requests that change keys, made while applying their
// Raft entry (etcd's authApplierV3): every member decides the same way, with
// the auth state as of that entry, as the user the proposer named in the
// request header. Reads are checked where they are served (the member's read
// path) with the same functions.

import type { LeaseId } from '../../lease/index.js';
import type { AuthInfo } from '../../auth/types.js';
import type { AuthStore } from '../../auth/auth-store.js';
import type { Lessor } from '../../lease/index.js';
import type { PutRequest, DeleteRangeRequest, TxnRequest, RequestOp } from './types.js';

const EMPTY = Buffer.alloc(0);

export class AuthGuard {
  constructor(
    private readonly auth: AuthStore,
    private readonly lessor: Lessor,
  ) {}

  /** WRITE on the key; the lease's other keys writable too; READ for prev_kv. */
  checkPut(info: AuthInfo | undefined, request: PutRequest): void {
    this.auth.isPutPermitted(info, request.key);
    if (request.lease) this.checkLeaseKeysWritable(info, request.lease);
    if (request.prev_kv) this.auth.isRangePermitted(info, request.key, EMPTY);
  }

  checkDeleteRange(info: AuthInfo | undefined, request: DeleteRangeRequest): void {
    this.auth.isDeleteRangePermitted(info, request.key, request.range_end);
    if (request.prev_kv) this.auth.isRangePermitted(info, request.key, request.range_end);
  }

  /** READ on every compare; each operation of both branches, nested transactions included. */
  checkTxn(info: AuthInfo | undefined, request: TxnRequest): void {
    for (const compare of request.compare) this.auth.isRangePermitted(info, compare.key, compare.range_end);
    this.checkOperations(info, request.success);
    this.checkOperations(info, request.failure);
  }

  /**
   * Revoking a lease deletes its keys, and attaching a key to a lease lets
   * whoever may revoke it delete the key: the user must be able to write
   * every key the lease holds (etcd's checkLeasePuts). Admins skip the walk.
   */
  checkLeaseKeysWritable(info: AuthInfo | undefined, leaseId: LeaseId): void {
    const lease = this.lessor.lookup(leaseId);
    if (lease === undefined || this.isAdmin(info)) return;
    for (const key of lease.sortedKeys()) this.auth.isPutPermitted(info, key);
  }

  /** READ on every key of the lease (LeaseTimeToLive with keys, LeaseLeases). */
  checkLeaseKeysReadable(info: AuthInfo | undefined, leaseId: LeaseId): void {
    const lease = this.lessor.lookup(leaseId);
    if (lease === undefined || this.isAdmin(info)) return;
    for (const key of lease.sortedKeys()) this.auth.isRangePermitted(info, key, EMPTY);
  }

  private isAdmin(info: AuthInfo | undefined): boolean {
    try {
      this.auth.isAdminPermitted(info);
      return true;
    } catch {
      return false;
    }
  }

  private checkOperations(info: AuthInfo | undefined, operations: readonly RequestOp[]): void {
    for (const operation of operations) {
      if (operation.request === 'request_range') this.auth.isRangePermitted(info, operation.request_range.key, operation.request_range.range_end);
      else if (operation.request === 'request_put') this.checkPut(info, operation.request_put);
      else if (operation.request === 'request_delete_range') this.checkDeleteRange(info, operation.request_delete_range);
      else if (operation.request === 'request_txn') this.checkTxn(info, operation.request_txn);
    }
  }
}
