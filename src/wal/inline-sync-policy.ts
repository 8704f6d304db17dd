// Whether the next fdatasync runs on the event loop or on libuv's thread
// pool. Handing a sync to the pool and hearing back costs ~30 µs of the
// event loop's time here, a fifth of a 150 µs sync, and at low load that
// hop is pure latency: so a small batch on a disk that syncs fast is synced
// inline, as etcd's raft loop does. A slow sync (a busy or failing disk)
// must not stall every connection on the event loop, so once the recent
// syncs average above the limit, syncs go back to the pool until they are
// fast again (every sync, either way, feeds the average).

export interface InlineSyncPolicyOptions {
  /** Inline only while the moving average of sync durations is below this. */
  maxAverageMs: number;
  /** Inline only for batches up to this size (larger ones sync longer). */
  maxBatchBytes: number;
  /** Weight of the newest duration in the moving average. */
  smoothing: number;
}

export const INLINE_SYNC_DEFAULTS: InlineSyncPolicyOptions = { maxAverageMs: 1, maxBatchBytes: 64 * 1024, smoothing: 0.25 };

export class InlineSyncPolicy {
  /** Starts pessimistic: the first syncs go to the pool and measure the disk. */
  private averageMs: number;

  constructor(private readonly options: InlineSyncPolicyOptions = INLINE_SYNC_DEFAULTS) {
    this.averageMs = options.maxAverageMs * 2;
  }

  shouldSyncInline(batchBytes: number): boolean {
    return batchBytes <= this.options.maxBatchBytes && this.averageMs < this.options.maxAverageMs;
  }

  recordSync(durationMs: number): void {
    this.averageMs += this.options.smoothing * (durationMs - this.averageMs);
  }
}
