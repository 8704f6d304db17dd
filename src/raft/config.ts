// Configuration of one Raft member, validated once at construction.

import { isValidNodeId, type NodeId, type Storage } from './types.js';

export interface RaftConfig {
  /** This member's id; nonzero. */
  id: NodeId;
  /** Ticks without hearing from a leader before campaigning (randomized in [electionTick, 2*electionTick)). */
  electionTick: number;
  /** Ticks between a leader's heartbeats; must be smaller than electionTick. */
  heartbeatTick: number;
  storage: Storage;
  /** Last index the application applied before a restart. */
  applied?: number;
  /** Bound on the entry bytes in one append message (default 1 MiB). */
  maxSizePerMsgBytes?: number;
  /** Bound on unacknowledged appends per follower while streaming (default 256). */
  maxInflightMsgs?: number;
  /** Bound on the bytes of proposed but uncommitted entries at the leader (default unlimited). */
  maxUncommittedEntriesSizeBytes?: number;
  /** Bound on the bytes of committed entries in one Ready (default 64 MiB). */
  maxCommittedSizePerReadyBytes?: number;
  /** A leader that has not heard from a quorum for an election timeout steps down (default true). */
  checkQuorum?: boolean;
  /** Ask for votes without bumping the term first, so a rejoining member does not disrupt (default true). */
  preVote?: boolean;
  /** Seeded source of numbers in [0, 1), used only for randomized election timeouts. */
  random: () => number;
  /**
   * TEST ONLY, BREAKS SAFETY: commit entries of earlier terms by counting
   * replicas (the bug of Raft paper figure 8). Exists so that the simulator's
   * checkers can be shown to catch it. Never set it elsewhere.
   */
  unsafeCommitPreviousTermEntries?: boolean;
}

export interface ValidatedRaftConfig extends Required<Omit<RaftConfig, 'applied' | 'maxUncommittedEntriesSizeBytes'>> {
  applied: number;
  maxUncommittedEntriesSizeBytes: number;
}

export function validateConfig(config: RaftConfig): ValidatedRaftConfig {
  const positiveInteger = (name: string, value: number): void => {
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`raft config: ${name} must be a positive integer, got ${value}`);
  };
  if (!isValidNodeId(config.id)) {
    throw new Error(`raft config: id must be a positive 64-bit integer in its one form (nodeIdOf), got ${config.id}`);
  }
  positiveInteger('electionTick', config.electionTick);
  positiveInteger('heartbeatTick', config.heartbeatTick);
  if (config.electionTick <= config.heartbeatTick) throw new Error('raft config: electionTick must be greater than heartbeatTick');
  if (typeof config.random !== 'function') throw new Error('raft config: random must be a function');
  const validated: ValidatedRaftConfig = {
    id: config.id,
    electionTick: config.electionTick,
    heartbeatTick: config.heartbeatTick,
    storage: config.storage,
    applied: config.applied ?? 0,
    maxSizePerMsgBytes: config.maxSizePerMsgBytes ?? 1024 * 1024,
    maxInflightMsgs: config.maxInflightMsgs ?? 256,
    maxUncommittedEntriesSizeBytes: config.maxUncommittedEntriesSizeBytes ?? Number.POSITIVE_INFINITY,
    maxCommittedSizePerReadyBytes: config.maxCommittedSizePerReadyBytes ?? 64 * 1024 * 1024,
    checkQuorum: config.checkQuorum ?? true,
    preVote: config.preVote ?? true,
    random: config.random,
    unsafeCommitPreviousTermEntries: config.unsafeCommitPreviousTermEntries ?? false,
  };
  positiveInteger('maxSizePerMsgBytes', validated.maxSizePerMsgBytes);
  positiveInteger('maxInflightMsgs', validated.maxInflightMsgs);
  positiveInteger('maxCommittedSizePerReadyBytes', validated.maxCommittedSizePerReadyBytes);
  if (!(validated.maxUncommittedEntriesSizeBytes > 0)) throw new Error('raft config: maxUncommittedEntriesSizeBytes must be positive');
  if (validated.applied < 0 || !Number.isSafeInteger(validated.applied)) throw new Error('raft config: applied must be a non-negative integer');
  return validated;
}
