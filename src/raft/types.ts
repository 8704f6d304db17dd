// The data that crosses the boundary of the Raft state machine: log entries,
// persistent state, snapshots, messages and the Ready batch. Terms and
// indexes are plain numbers: 2^53 entries is beyond any member's lifetime.

/**
 * A node's id: the member's 64-bit id, exact. A number while it is exact
 * (below 2^53), a bigint beyond; each id has one form (nodeIdOf), so ===,
 * Map keys and `id === NO_LEADER` work. Order ids with compareNodeIds.
 */
export type NodeId = number | bigint;

export const NO_LEADER = 0;

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** The one form of an unsigned 64-bit id. */
export function nodeIdOf(id: bigint): NodeId {
  return id <= MAX_EXACT ? Number(id) : id;
}

/** A usable node id: positive, 64 bits, in its one form. */
export function isValidNodeId(id: unknown): id is NodeId {
  if (typeof id === 'number') return Number.isSafeInteger(id) && id > 0;
  return typeof id === 'bigint' && id > MAX_EXACT && id < 1n << 64n;
}

/** Ascending id order (number and bigint forms compare exactly). */
export function compareNodeIds(a: NodeId, b: NodeId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export enum EntryType {
  Normal = 0,
  ConfChange = 1,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** What must be on disk before any message of the same Ready is sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  /** The application's state at metadata.index, opaque to Raft. */
  data: Uint8Array;
}

export enum ConfChangeType {
  AddNode = 0,
  RemoveNode = 1,
  UpdateNode = 2,
  AddLearnerNode = 3,
}

export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  /** Opaque to Raft; the server stores member attributes (peer URLs) here. */
  context: Uint8Array;
}

export enum MessageType {
  Hup = 0,
  Beat = 1,
  Prop = 2,
  App = 3,
  AppResp = 4,
  Vote = 5,
  VoteResp = 6,
  Snap = 7,
  Heartbeat = 8,
  HeartbeatResp = 9,
  Unreachable = 10,
  SnapStatus = 11,
  CheckQuorum = 12,
  TransferLeader = 13,
  TimeoutNow = 14,
  ReadIndex = 15,
  ReadIndexResp = 16,
  PreVote = 17,
  PreVoteResp = 18,
}

export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  term: number;
  /** Term of the entry at `index` (append) or of the last log entry (vote). */
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  rejectHint: number;
  /** ReadIndex request context, echoed back in heartbeats and ReadState. */
  context: Uint8Array;
}

export enum Role {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

export interface SoftState {
  leader: NodeId;
  role: Role;
}

/** A confirmed linearizable read point for the request identified by requestContext. */
export interface ReadState {
  index: number;
  requestContext: Uint8Array;
}

/**
 * One batch of work handed out by the state machine. The caller must, in
 * this order: persist hardState, entries and snapshot (fsync when mustSync),
 * send messages, apply snapshot then committedEntries, and call advance().
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  mustSync: boolean;
}

/** The log storage the state machine reads from; the caller writes to it. */
export interface Storage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [low, high), at most maxSizeBytes of data (always at least one). */
  entries(low: number, high: number, maxSizeBytes: number): Entry[];
  /** Term of the entry at index; throws CompactedError / UnavailableError. */
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

export class CompactedError extends Error {
  constructor() {
    super('requested index is unavailable due to compaction');
  }
}

export class UnavailableError extends Error {
  constructor() {
    super('requested entry at index is unavailable');
  }
}

/** A proposal that the state machine refused; the caller must tell its client. */
export class ProposalDroppedError extends Error {
  constructor(reason: string) {
    super(`raft proposal dropped: ${reason}`);
  }
}
