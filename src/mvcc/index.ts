export { KVStore, type KVStoreOptions, type RangeOptions, type RangeResult } from './store.js';
export { WriteTxn } from './write-txn.js';
export type { Compaction } from './compaction.js';
export { CompactedError, FutureRevisionError, EtcdError, type GrpcCodeName } from './errors.js';
export { EventType, type Event, type EventListener, type EventListenerOptions } from './events.js';
export { decodeKeyValue, encodeKeyValue, type KeyValue } from './key-value.js';
export { KeyIndex, type Generation, type KeyAtRevision } from './key-index.js';
export { compareRevisions, decodeRevisionKey, encodeRevisionKey, type Revision } from './revision.js';
