// etcd's periodic corruption check (etcdserver/corrupt.go monitorKVHash and
// checkHashKV, flag --experimental-corrupt-check-time): every interval, the
// leader hashes its KV at its current revision, asks every peer for HashKV at
// that revision, and raises the CORRUPT alarm through Raft when a peer is
// ahead of it (revision or compact revision) or has the same compact
// revision and another hash. Peers that are behind, compacted past the
// revision or unreachable only give the "failed hash kv request" warning.
// Clock, leadership, hashing, the way peers are asked and the proposal are
// injected, so the check runs on a virtual clock without a network in tests.

import type { Logger } from '../pkg/logger.js';
import { formatId } from './membership/ids.js';
import { formatGoDuration } from './config-file.js';
import { realCompactorClock, type CompactorClock } from './compactor.js';
import { AlarmAction, AlarmType, type AlarmRequest } from './alarms.js';
import { getPeerHashKvs, type CorruptCheckPeer, type LocalHashKv, type PeerHashKv } from './initial-corrupt-check.js';

/**
 * The member id of the raised alarm. etcd 3.4.23 (and 3.5) set 0: "it isn't
 * clear which member's data is corrupted" (etcd-io/etcd#14828); the member
 * that differs is named in the warning instead.
 */
export const CORRUPT_ALARM_MEMBER_ID = 0n;

export interface PeriodicCorruptCheckParts {
  localMemberId: bigint;
  /** --experimental-corrupt-check-time; 0 disables the check. */
  intervalMs: number;
  logger: Logger;
  clock?: CompactorClock;
  /** Only the leader checks (etcd: `if !s.isLeader() { continue }`). */
  isLeader(): boolean;
  /** The local HashKV(0): hash, current revision, compact revision. */
  localHashKv(): LocalHashKv;
  /** The cluster's members; the local one is passed over. */
  members(): readonly CorruptCheckPeer[];
  peerHashKv: PeerHashKv;
  /** etcd's linearizableReadNotify: applied up to the leader's commit index. */
  linearizableReadNotify(): Promise<void>;
  /** Proposes an AlarmRequest through Raft. */
  proposeAlarm(request: AlarmRequest): Promise<unknown>;
}

/** What one pass saw, for tests. */
export interface CorruptCheckPass {
  checkedPeers: number;
  /** Peer ids (or the local id, for a local hash change) found inconsistent. */
  mismatched: bigint[];
  alarmed: boolean;
}

export interface PeriodicCorruptCheck {
  stop(): void;
}

/** Starts the monitor; undefined when the interval is 0 (etcd's default: off). */
export function startPeriodicCorruptCheck(parts: PeriodicCorruptCheckParts): PeriodicCorruptCheckMonitor | undefined {
  if (parts.intervalMs <= 0) return undefined;
  return new PeriodicCorruptCheckMonitor(parts);
}

/** etcd's monitorKVHash: wait an interval, check if leader, repeat until stopped. */
export class PeriodicCorruptCheckMonitor implements PeriodicCorruptCheck {
  private readonly clock: CompactorClock;
  private readonly log: Logger;
  private timer: unknown;
  private stopped = false;

  constructor(private readonly parts: PeriodicCorruptCheckParts) {
    this.clock = parts.clock ?? realCompactorClock;
    this.log = parts.logger.child('etcdserver/corrupt.go');
    this.log.info('enabled corruption checking', {
      'local-member-id': formatId(parts.localMemberId),
      interval: formatGoDuration(BigInt(Math.round(parts.intervalMs * 1e6))),
    });
    this.wait();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  private wait(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.tick(), this.parts.intervalMs);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.parts.isLeader()) {
      try {
        await this.checkHashKv();
      } catch (error) {
        this.log.warn('failed to check hash KV', { error: error instanceof Error ? error.message : String(error) });
      }
    }
    this.wait();
  }

  /** etcd's checkHashKV: one pass. */
  async checkHashKv(): Promise<CorruptCheckPass> {
    const first = this.parts.localHashKv();
    const outcomes = await getPeerHashKvs(this.parts.localMemberId, this.parts.members(), this.parts.peerHashKv, first.revision, this.log);
    await this.parts.linearizableReadNotify();
    const second = this.parts.localHashKv();

    const pass: CorruptCheckPass = { checkedPeers: 0, mismatched: [], alarmed: false };
    const mismatch = (id: bigint) => {
      pass.mismatched.push(id);
      // One alarm per pass, whoever differs.
      if (pass.alarmed || this.stopped) return;
      pass.alarmed = true;
      const request: AlarmRequest = { action: AlarmAction.ACTIVATE, memberID: CORRUPT_ALARM_MEMBER_ID.toString(), alarm: AlarmType.CORRUPT };
      // As etcd's goAttach(raftRequest): not waited for, its outcome not checked.
      this.parts.proposeAlarm(request).catch(() => undefined);
    };

    if (second.hash !== first.hash && second.revision === first.revision && second.compactRevision === first.compactRevision) {
      this.log.warn('found hash mismatch', {
        'revision-1': first.revision,
        'compact-revision-1': first.compactRevision,
        'hash-1': first.hash,
        'revision-2': second.revision,
        'compact-revision-2': second.compactRevision,
        'hash-2': second.hash,
      });
      mismatch(this.parts.localMemberId);
    }

    for (const { peer, response } of outcomes) {
      if (response === undefined) continue;
      pass.checkedPeers++;
      const peerId = formatId(peer.id);
      // The leader expects a follower's revision and compact revision at most its own.
      if (response.revision > second.revision) {
        this.log.warn("revision from follower must be less than or equal to leader's", {
          'leader-revision': second.revision,
          'follower-revision': response.revision,
          'follower-peer-id': peerId,
        });
        mismatch(peer.id);
      }
      if (response.compactRevision > second.compactRevision) {
        this.log.warn("compact revision from follower must be less than or equal to leader's", {
          'leader-compact-revision': second.compactRevision,
          'follower-compact-revision': response.compactRevision,
          'follower-peer-id': peerId,
        });
        mismatch(peer.id);
      }
      // Same compact revision as the leader's first hash: the hashes at its revision must match.
      if (response.compactRevision === first.compactRevision && response.hash !== first.hash) {
        this.log.warn('same compact revision then hashes must match', {
          'leader-compact-revision': second.compactRevision,
          'leader-hash': first.hash,
          'follower-compact-revision': response.compactRevision,
          'follower-hash': response.hash,
          'follower-peer-id': peerId,
        });
        mismatch(peer.id);
      }
    }
    this.log.info('finished peer corruption check', { 'number-of-peers-checked': pass.checkedPeers });
    return pass;
  }
}
