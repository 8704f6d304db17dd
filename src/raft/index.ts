// The Raft consensus core: a pure, deterministic state machine in the style
// of etcd's raft package. See raw-node.ts for how a caller drives it.

export * from './types.js';
export { RawNode, type Status, type ProgressStatus } from './raw-node.js';
export type { RaftConfig } from './config.js';
export { MemoryStorage, SnapshotOutOfDateError } from './memory-storage.js';
export {
  CodecError,
  encodeMessage,
  decodeMessage,
  encodeEntry,
  decodeEntry,
  encodeHardState,
  decodeHardState,
  encodeSnapshotMetadata,
  decodeSnapshotMetadata,
  encodeSnapshot,
  decodeSnapshot,
  encodeConfChange,
  decodeConfChange,
} from './codec.js';
export { ProgressState } from './progress.js';
