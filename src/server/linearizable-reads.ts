// Linearizable reads, batched as etcd batches them: every read that arrives
// while a ReadIndex round is in flight joins the next round, so one quorum
// confirmation serves many reads. A read proceeds once the member has
// applied up to the confirmed index.

import { serverErrors } from './errors.js';
import type { AppliedIndexWaiter } from './applied-index-waiter.js';

export interface ReadIndexIssuer {
  /** Ask Raft for a read index; the answer arrives via onReadState. Throws if impossible now. */
  requestReadIndex(requestContext: Uint8Array): void;
  /** A read index known without a round (a sole voter's: see Raft.soleVoterReadIndex), if any. */
  immediateReadIndex?(): number | undefined;
}

interface PendingRead {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class LinearizableReads {
  private waitingForNextRound: PendingRead[] = [];
  private inFlight: { context: Uint8Array; reads: PendingRead[]; retryTimer: NodeJS.Timeout; deadlineTimer: NodeJS.Timeout } | undefined;
  private roundCounter = 0n;
  private stopped = false;

  constructor(
    private readonly issuer: ReadIndexIssuer,
    private readonly applied: AppliedIndexWaiter,
    private readonly options: { retryIntervalMs: number; timeoutMs: number },
  ) {}

  /** Resolves when a read at the current applied state is linearizable. */
  waitUntilLinearizable(): Promise<void> {
    if (this.stopped) return Promise.reject(serverErrors.stopped());
    const immediate = this.issuer.immediateReadIndex?.();
    if (immediate !== undefined) return this.applied.waitFor(immediate);
    return new Promise((resolve, reject) => {
      this.waitingForNextRound.push({ resolve, reject });
      if (!this.inFlight) this.startRound();
    });
  }

  onReadState(requestContext: Uint8Array, index: number): void {
    const round = this.inFlight;
    if (!round || Buffer.compare(Buffer.from(round.context), Buffer.from(requestContext)) !== 0) return;
    this.finishRound();
    this.applied.waitFor(index).then(() => {
      for (const read of round.reads) read.resolve();
    });
    if (this.waitingForNextRound.length > 0) this.startRound();
  }

  stop(): void {
    this.stopped = true;
    const error = serverErrors.stopped();
    const reads = [...this.waitingForNextRound, ...(this.inFlight?.reads ?? [])];
    this.finishRound();
    this.waitingForNextRound = [];
    for (const read of reads) read.reject(error);
  }

  private startRound(): void {
    const reads = this.waitingForNextRound;
    this.waitingForNextRound = [];
    this.roundCounter++;
    const context = Buffer.alloc(8);
    context.writeBigUInt64BE(this.roundCounter);
    const retryTimer = setInterval(() => this.issue(context), this.options.retryIntervalMs);
    const deadlineTimer = setTimeout(() => {
      this.finishRound();
      for (const read of reads) read.reject(serverErrors.timeout());
      if (this.waitingForNextRound.length > 0) this.startRound();
    }, this.options.timeoutMs);
    this.inFlight = { context, reads, retryTimer, deadlineTimer };
    this.issue(context);
  }

  private issue(context: Uint8Array): void {
    try {
      this.issuer.requestReadIndex(context);
    } catch {
      // No leader yet: the retry timer asks again until the deadline.
    }
  }

  private finishRound(): void {
    if (!this.inFlight) return;
    clearInterval(this.inFlight.retryTimer);
    clearTimeout(this.inFlight.deadlineTimer);
    this.inFlight = undefined;
  }
}
