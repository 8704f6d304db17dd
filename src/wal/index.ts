// The write-ahead log's public surface.
export { WriteAheadLog, SEGMENT_SIZE_BYTES_DEFAULT } from './write-ahead-log.js';
export type { OpenOptions, OpenedLog, WalObserver, WalOptions } from './write-ahead-log.js';
export type { SnapshotMarker } from './record-payload.js';
export { WalCorruptionError, WalNotFoundError, WalStateError } from './errors.js';
