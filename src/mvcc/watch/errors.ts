// Watch errors with etcd's texts (server/storage/mvcc/watcher.go); the gRPC layer
// puts the message into a WatchResponse's cancel_reason.

export class WatcherRangeEmptyError extends Error {
  constructor() {
    super('mvcc: watcher range is empty');
    this.name = 'WatcherRangeEmptyError';
  }
}

export class DuplicateWatchIdError extends Error {
  constructor() {
    super('mvcc: duplicate watch ID provided on the WatchStream');
    this.name = 'DuplicateWatchIdError';
  }
}
