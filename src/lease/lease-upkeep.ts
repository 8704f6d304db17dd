// The leader's periodic lease work, as etcd's lessor runLoop and the server's
// revokeExpiredLeases do it: every tick (etcd: 500 ms) take the expired leases and
// propose their revokes through Raft, a bounded number at a time, and propose the
// checkpoints that are due. The server calls `tick()` from its own timer, so this
// holds no timer and reads no clock itself.

import type { LeaseCheckpointRequest, Lessor } from './lessor.js';
import type { LeaseId } from './lease-id.js';

export interface LeaseUpkeepOptions {
  readonly lessor: Lessor;
  /** Proposes LeaseRevoke{ID} through Raft; resolves once applied (or rejects). */
  readonly proposeRevoke: (id: LeaseId) => Promise<unknown>;
  /** Proposes a LeaseCheckpointRequest through Raft; omit to disable checkpoints. */
  readonly proposeCheckpoint?: (request: LeaseCheckpointRequest) => Promise<unknown>;
  /** Expired leases taken per tick (etcd: half its revoke rate of 1000/s per 500 ms tick). */
  readonly revokesPerTick?: number;
  /** Revoke proposals in flight at once (etcd's maxPendingRevokes). */
  readonly maxPendingRevokes?: number;
  /** Told about failed proposals (e.g. a lost leadership); the lease is retried later. */
  readonly onError?: (error: unknown) => void;
}

export const defaultRevokesPerTick = 500;
export const defaultMaxPendingRevokes = 16;

export class LeaseUpkeep {
  /** Expired leases waiting for a free proposal slot; at most revokesPerTick. */
  private readonly revokeQueue: LeaseId[] = [];
  private readonly pendingRevokes = new Set<LeaseId>();
  private checkpointInFlight = false;
  private readonly revokesPerTick: number;
  private readonly maxPendingRevokes: number;

  constructor(private readonly options: LeaseUpkeepOptions) {
    this.revokesPerTick = options.revokesPerTick ?? defaultRevokesPerTick;
    this.maxPendingRevokes = options.maxPendingRevokes ?? defaultMaxPendingRevokes;
  }

  /** Number of revoke proposals in flight. */
  get pendingRevokeCount(): number {
    return this.pendingRevokes.size;
  }

  tick(): void {
    const { lessor } = this.options;
    if (!lessor.isPrimary) {
      this.revokeQueue.length = 0;
      return;
    }
    // Take new work only when the last batch is handed out, so the queue stays
    // bounded; leases not taken stay in the lessor's expiry queue.
    if (this.revokeQueue.length === 0) {
      for (const id of lessor.expiredLeases(this.revokesPerTick)) {
        if (!this.pendingRevokes.has(id)) this.revokeQueue.push(id);
      }
    }
    this.startRevokes();
    this.proposeDueCheckpoints();
  }

  private startRevokes(): void {
    while (this.pendingRevokes.size < this.maxPendingRevokes && this.revokeQueue.length > 0) {
      const id = this.revokeQueue.shift()!;
      this.pendingRevokes.add(id);
      this.options
        .proposeRevoke(id)
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.pendingRevokes.delete(id);
          if (this.options.lessor.isPrimary) this.startRevokes();
        });
    }
  }

  private proposeDueCheckpoints(): void {
    const propose = this.options.proposeCheckpoint;
    if (propose === undefined || this.checkpointInFlight) return;
    const due = this.options.lessor.checkpointsDue();
    if (due.length === 0) return;
    this.checkpointInFlight = true;
    propose({ checkpoints: due })
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => (this.checkpointInFlight = false));
  }
}
