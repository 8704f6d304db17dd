// The one place every committed entry is applied, whatever it carries, in
// log order: conf changes (Raft's configuration and the member table, then
// the peer links), member attributes (a member's name and client URLs), a
// new leader's empty entry (its lessor takes over expiry), and requests,
// through the state machine. It says what each waiting proposer is owed;
// the member resolves the waits once the batch is applied.

import { ConfChangeType, EntryType, type Entry } from '../raft/types.js';
import type { Logger } from '../pkg/logger.js';
import { internalRequestCodec } from './internal-request.js';
import type { ResponseHeader } from './apply/index.js';
import type { MemberStorage } from './member-storage.js';
import type { RaftLoop } from './raft-loop.js';
import type { ApplyResult } from './apply-results.js';
import { decodeConfChange } from '../raft/index.js';
import type { StateMachine } from './state-machine.js';
import type { ClusterPeers } from './cluster-peers.js';
import { formatId } from './membership/ids.js';
import type { MetricsHooks } from '../pkg/metrics-hooks.js';
import type { InternalRaftRequest } from './internal-request.js';
import { decodeAlarmRequestExact } from './alarms.js';

/** etcd's default --experimental-warning-apply-duration: an apply slower than this counts as slow. */
const DEFAULT_WARNING_APPLY_MS = 100;

/** What a proposer gets back: a response (typed by request kind in apply-results.ts), an EtcdError, or null for a membership change. */
export type ApplyOutcome = ApplyResult | null;

export interface EntryApplierParts {
  stateMachine: StateMachine;
  storage: Pick<MemberStorage, 'applyMemberChange' | 'setMemberAttributes' | 'endApplySection' | 'memberId'>;
  /** The Raft loop, which applies each conf change to the node as it is applied here. */
  raft: Pick<RaftLoop, 'applyConfChange'>;
  peers: Pick<ClusterPeers, 'remove' | 'addOrUpdate'>;
  logger: Logger;
  /** Whether this member leads the term of `entry` (its own empty entry has then been committed). */
  leadsTermOf(entry: Entry): boolean;
  /** This member's own empty entry of its term applied: its lessor takes over lease expiry. */
  onOwnLeaderEntryApplied(): void;
  /** This member was removed from the cluster. */
  onLocalMemberRemoved(): void;
  header(revision: number): ResponseHeader;
  metrics?: Pick<MetricsHooks, 'slowApply'>;
  /** --experimental-warning-apply-duration: slower applies are counted and logged. */
  warningApplyDurationMs?: number;
}

export class EntryApplier {
  constructor(private readonly parts: EntryApplierParts) {}

  /**
   * Applies `entries` (one apply section) and returns, by request id, what
   * each proposer is owed. Entries at or below `alreadyApplied` had their
   * effects on the backend before a restart: requests among them are skipped;
   * conf changes go to Raft again (its configuration is rebuilt from the
   * log), and to the member table only if it is being rebuilt from the log
   * too (MemberStorage decides: a table read from the backend has them).
   * The member table's writes join the same backend batch as the requests',
   * which the caller then closes with the section's applied index.
   */
  apply(entries: readonly Entry[], alreadyApplied: number): Array<[bigint, ApplyOutcome]> {
    const outcomes: Array<[bigint, ApplyOutcome]> = [];
    for (const entry of entries) {
      if (entry.type === EntryType.ConfChange) {
        const requestId = this.applyConfChange(entry, entry.index <= alreadyApplied);
        if (requestId !== undefined) outcomes.push([requestId, null]);
        continue;
      }
      if (entry.data.length === 0) {
        if (this.parts.leadsTermOf(entry)) this.parts.onOwnLeaderEntryApplied();
        continue;
      }
      const request = internalRequestCodec.decode(entry.data);
      const id = BigInt(request.header?.ID ?? 0);
      if (request.cluster_member_attr_set) {
        this.parts.storage.setMemberAttributes(request.cluster_member_attr_set, entry.index <= alreadyApplied);
        outcomes.push([id, null]);
        continue;
      }
      if (entry.index <= alreadyApplied) continue;
      // Member ids use all 64 bits: the alarm's is read again exactly.
      if (request.alarm) request.alarm = decodeAlarmRequestExact(entry.data) ?? null;
      const startedMs = performance.now();
      const outcome = this.parts.stateMachine.apply(request, this.parts.header, entry.index);
      outcomes.push([id, outcome]);
      const tookMs = performance.now() - startedMs;
      const warnAfterMs = this.parts.warningApplyDurationMs ?? DEFAULT_WARNING_APPLY_MS;
      if (tookMs > warnAfterMs) this.warnSlowApply(request, outcome, tookMs, warnAfterMs);
    }
    const last = entries[entries.length - 1];
    if (last !== undefined) this.parts.storage.endApplySection(last.index, alreadyApplied);
    return outcomes;
  }

  /** etcd's "apply request took too long" (with the request's kind, never its values). */
  private warnSlowApply(request: InternalRaftRequest, outcome: unknown, tookMs: number, expectedMs: number): void {
    this.parts.metrics?.slowApply();
    const kind = Object.entries(request).find(([field, value]) => field !== 'header' && typeof value === 'object' && value !== null)?.[0] ?? 'unknown';
    this.parts.logger.child('etcdserver/util.go').warn('apply request took too long', {
      took: `${tookMs.toFixed(3)}ms`,
      'expected-duration': `${expectedMs}ms`,
      prefix: '',
      request: kind,
      response: outcome instanceof Error ? '' : 'ok',
      ...(outcome instanceof Error ? { error: outcome.message } : {}),
    });
  }

  /** Applies a conf change; returns the proposer's request id, if the change carried one. */
  private applyConfChange(entry: Entry, alreadyInBackend: boolean): bigint | undefined {
    const change = decodeConfChange(entry.data);
    this.parts.raft.applyConfChange(change);
    const { type, memberId, member, context, replayed } = this.parts.storage.applyMemberChange(change, alreadyInBackend);
    // A replayed change is in the table the peer links were made from.
    if (!replayed) {
      if (type === ConfChangeType.RemoveNode) this.parts.peers.remove(memberId);
      else this.parts.peers.addOrUpdate(memberId, member?.peerUrls ?? []);
    }
    // Still said when replayed: a removed member that restarts stops again, as before.
    if (type === ConfChangeType.RemoveNode && memberId === this.parts.storage.memberId) {
      this.parts.logger.child('etcdserver/server.go').warn('the member has been permanently removed from the cluster', { 'local-member-id': formatId(memberId) });
      this.parts.onLocalMemberRemoved();
    }
    // The proposer's request id travels in the context as a decimal string.
    return context?.requestId ? BigInt(context.requestId) : undefined;
  }
}
