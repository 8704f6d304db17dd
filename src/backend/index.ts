export { Backend, type BackendOptions, type BucketEntry, type ConsistentIndex } from './backend.js';
export { BatchTx, type PendingWrite } from './batch-tx.js';
export { bucketNames, type BucketName } from './buckets.js';
export { encodeUint64BigEndian, readUint64BigEndian, writeUint64BigEndian } from './uint64.js';
