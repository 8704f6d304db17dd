// MVCC errors with etcd's texts (server/storage/mvcc/kvstore.go) and the gRPC status
// they map to (api/v3rpc/rpctypes/error.go), so the API layer can translate them.

export { EtcdError, type GrpcCodeName } from '../pkg/etcd-error.js';
import { EtcdError } from '../pkg/etcd-error.js';

/** The requested revision is below the compacted revision (also: compacting at or below it). */
export class CompactedError extends EtcdError {
  constructor() {
    super('mvcc: required revision has been compacted', 'OutOfRange');
    this.name = 'CompactedError';
  }
}

/** The requested revision is above the current revision. */
export class FutureRevisionError extends EtcdError {
  constructor() {
    super('mvcc: required revision is a future revision', 'OutOfRange');
    this.name = 'FutureRevisionError';
  }
}
