// Per-worker record of one case: latency samples by operation kind, errors,
// and the wall-clock span of the work. Absolute times (timeOrigin + now) are
// comparable across worker threads of one process.

import { performance } from 'node:perf_hooks';
import { describeError, isUnimplemented } from './grpc-connection.js';
import { SampleBuffer } from './stats.js';

const ERROR_MESSAGES_KEPT = 5;
/** A case that fails this often is broken, not slow: stop it. */
export const ERRORS_BEFORE_ABORT = 1000;

export function absoluteNowMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface RecorderResult {
  samplesByKind: Record<string, Float64Array>;
  errorCount: number;
  errorMessages: string[];
  unsupportedReason: string | undefined;
  firstStartMs: number;
  lastEndMs: number;
}

export class Recorder {
  private readonly samplesByKind = new Map<string, SampleBuffer>();
  private errorCount = 0;
  private readonly errorMessages: string[] = [];
  private unsupportedReason: string | undefined;
  private firstStartMs = Number.POSITIVE_INFINITY;
  private lastEndMs = Number.NEGATIVE_INFINITY;
  private stopRequested = false;

  /** Until the case starts nobody should stop; start() sets the real deadline. */
  private stopAtMs = Number.POSITIVE_INFINITY;

  setDeadline(stopAtMs: number): void {
    this.stopAtMs = stopAtMs;
  }

  /** True once clients should issue no more requests (time is up, or the case is broken). */
  get shouldStop(): boolean {
    if (!this.stopRequested && absoluteNowMs() >= this.stopAtMs) this.stopRequested = true;
    return this.stopRequested;
  }

  stop(): void {
    this.stopRequested = true;
  }

  /** Runs one request and records its latency under kind; errors are counted, not thrown. */
  async measure<T>(kind: string, request: () => Promise<T>): Promise<T | undefined> {
    const startMs = absoluteNowMs();
    try {
      const response = await request();
      const endMs = absoluteNowMs();
      this.sample(kind, endMs - startMs);
      this.markSpan(startMs, endMs);
      return response;
    } catch (error) {
      this.recordError(error);
      return undefined;
    }
  }

  sample(kind: string, latencyMs: number): void {
    let buffer = this.samplesByKind.get(kind);
    if (!buffer) this.samplesByKind.set(kind, (buffer = new SampleBuffer()));
    buffer.push(latencyMs);
  }

  markSpan(startMs: number, endMs: number): void {
    if (startMs < this.firstStartMs) this.firstStartMs = startMs;
    if (endMs > this.lastEndMs) this.lastEndMs = endMs;
  }

  recordError(error: unknown): void {
    if (isUnimplemented(error)) {
      this.unsupportedReason ??= describeError(error);
      this.stop();
      return;
    }
    this.errorCount++;
    if (this.errorMessages.length < ERROR_MESSAGES_KEPT) this.errorMessages.push(describeError(error));
    if (this.errorCount >= ERRORS_BEFORE_ABORT) this.stop();
  }

  markUnsupported(reason: string): void {
    this.unsupportedReason ??= reason;
    this.stop();
  }

  result(): RecorderResult {
    return {
      samplesByKind: Object.fromEntries([...this.samplesByKind].map(([kind, buffer]) => [kind, buffer.toArray()])),
      errorCount: this.errorCount,
      errorMessages: this.errorMessages,
      unsupportedReason: this.unsupportedReason,
      firstStartMs: this.firstStartMs,
      lastEndMs: this.lastEndMs,
    };
  }
}
