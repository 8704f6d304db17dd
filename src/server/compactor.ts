// etcd's automatic compaction (server/etcdserver/api/v3compactor):
// --auto-compaction-mode periodic keeps the history of the last retention
// period, revision keeps the last N revisions. Only the leader compacts (the
// others are paused, as etcd pauses its compactor on followers); a
// compaction is an ordinary Compaction request through Raft.

import type { Logger } from '../pkg/logger.js';
import { formatGoDuration } from './config-file.js';
import { CompactedError } from '../mvcc/errors.js';

export interface CompactorClock {
  nowMs(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realCompactorClock: CompactorClock = {
  nowMs: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface CompactorParts {
  logger: Logger;
  clock?: CompactorClock;
  /** The store's current revision. */
  revision(): number;
  /** Proposes a (non-physical) Compaction at `revision`. */
  compact(revision: number): Promise<unknown>;
  /** Followers do not compact (etcd's Pause/Resume on leadership). */
  isPaused(): boolean;
}

export interface Compactor {
  stop(): void;
}

/** etcd's retryDivisor and revInterval. */
const RETRY_DIVISOR = 10;
export const REVISION_CHECK_INTERVAL_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;

const goDuration = (ms: number): string => formatGoDuration(BigInt(Math.round(ms * 1e6)));

/** --auto-compaction-retention for a mode: a number of revisions, or a period in ms. */
export function parseCompactionRetention(mode: string, retention: string): number {
  if (/^\d+$/.test(retention)) {
    const amount = Number(retention);
    if (mode === 'revision') return amount;
    if (mode === 'periodic') return amount * HOUR_MS;
    throw new Error('--auto-compaction-mode is undefined');
  }
  const pattern = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: HOUR_MS };
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(retention); match; match = pattern.exec(retention)) {
    total += Number(match[1]) * unitMs[match[2]!]!;
    consumed = pattern.lastIndex;
  }
  if (consumed !== retention.length || retention.length === 0) throw new Error(`error parsing CompactionRetention: time: invalid duration "${retention}"`);
  // A duration in revision mode counts its nanoseconds, as etcd's time.Duration(h) does.
  return mode === 'revision' ? Math.round(total * 1e6) : total;
}

/** Starts the compactor for `mode`; retention 0 means no automatic compaction (undefined). */
export function startCompactor(mode: string, retention: number, parts: CompactorParts, options: { revisionIntervalMs?: number } = {}): Compactor | undefined {
  if (retention <= 0) return undefined;
  if (mode === 'periodic') return new PeriodicCompactor(retention, parts);
  if (mode === 'revision') return new RevisionCompactor(retention, parts, options.revisionIntervalMs ?? REVISION_CHECK_INTERVAL_MS);
  throw new Error(`unsupported compaction mode ${mode}`);
}

/**
 * etcd's Periodic: every tenth of the period (of an hour for longer ones) it
 * remembers the current revision; once a period has passed since the last
 * compaction (then every min(period, 1h)), it compacts at the revision
 * remembered one period ago.
 */
export class PeriodicCompactor implements Compactor {
  private readonly clock: CompactorClock;
  private readonly retryIntervalMs: number;
  private readonly compactIntervalMs: number;
  private readonly retentions: number;
  private readonly revisions: number[] = [];
  private lastRevision = 0;
  private lastSuccessMs: number;
  private baseIntervalMs: number;
  private timer: unknown;
  private stopped = false;
  private readonly log: Logger;

  constructor(
    private readonly periodMs: number,
    private readonly parts: CompactorParts,
  ) {
    this.clock = parts.clock ?? realCompactorClock;
    this.log = parts.logger.child('v3compactor/periodic.go');
    this.compactIntervalMs = Math.min(periodMs, HOUR_MS);
    this.retryIntervalMs = this.compactIntervalMs / RETRY_DIVISOR;
    this.retentions = Math.floor(periodMs / this.retryIntervalMs) + 1;
    this.lastSuccessMs = this.clock.nowMs();
    this.baseIntervalMs = periodMs;
    this.record();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  /** The top of etcd's loop: remember the revision, then wait one retry interval. */
  private record(): void {
    if (this.stopped) return;
    this.revisions.push(this.parts.revision());
    if (this.revisions.length > this.retentions) this.revisions.shift();
    this.timer = this.clock.setTimeout(() => void this.check(), this.retryIntervalMs);
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    if (this.parts.isPaused()) return this.record();
    const revision = this.revisions[0]!;
    if (this.clock.nowMs() - this.lastSuccessMs < this.baseIntervalMs || revision === this.lastRevision) return this.record();
    if (this.baseIntervalMs === this.periodMs) this.baseIntervalMs = this.compactIntervalMs;
    const period = goDuration(this.periodMs);
    this.log.info('starting auto periodic compaction', { revision, 'compact-period': period });
    const startedMs = this.clock.nowMs();
    try {
      await this.compactAllowingCompacted(revision);
      this.log.info('completed auto periodic compaction', { revision, 'compact-period': period, took: goDuration(this.clock.nowMs() - startedMs) });
      this.lastRevision = revision;
      this.lastSuccessMs = this.clock.nowMs();
    } catch (error) {
      this.log.warn('failed auto periodic compaction', { revision, 'compact-period': period, 'retry-interval': goDuration(this.retryIntervalMs), error: (error as Error).message });
    }
    this.record();
  }

  private async compactAllowingCompacted(revision: number): Promise<void> {
    try {
      await this.parts.compact(revision);
    } catch (error) {
      if (!(error instanceof CompactedError) && (error as Error).message !== new CompactedError().message) throw error;
    }
  }
}

/** etcd's Revision: every five minutes, compacts at the current revision minus the retention. */
export class RevisionCompactor implements Compactor {
  private readonly clock: CompactorClock;
  private previous = 0;
  private timer: unknown;
  private stopped = false;
  private readonly log: Logger;

  constructor(
    private readonly retention: number,
    private readonly parts: CompactorParts,
    private readonly intervalMs: number,
  ) {
    this.clock = parts.clock ?? realCompactorClock;
    this.log = parts.logger.child('v3compactor/revision.go');
    this.wait();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  private wait(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.check(), this.intervalMs);
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    if (this.parts.isPaused()) return this.wait();
    const revision = this.parts.revision() - this.retention;
    if (revision <= 0 || revision === this.previous) return this.wait();
    const startedMs = this.clock.nowMs();
    this.log.info('starting auto revision compaction', { revision, 'revision-compaction-retention': this.retention });
    try {
      try {
        await this.parts.compact(revision);
      } catch (error) {
        if (!(error instanceof CompactedError) && (error as Error).message !== new CompactedError().message) throw error;
      }
      this.previous = revision;
      this.log.info('completed auto revision compaction', { revision, 'revision-compaction-retention': this.retention, took: goDuration(this.clock.nowMs() - startedMs) });
    } catch (error) {
      this.log.warn('failed auto revision compaction', {
        revision,
        'revision-compaction-retention': this.retention,
        'retry-interval': goDuration(this.intervalMs),
        error: (error as Error).message,
      });
    }
    this.wait();
  }
}
