import type { Backend } from '../backend/index.js';
import { writeFinishedCompactRevision, writeScheduledCompactRevision } from './compaction-meta.js';
import type { DroppedRevision } from './key-index.js';
import { encodeRevisionKey } from './revision.js';
import type { MetricsHooks } from '../pkg/metrics-hooks.js';

/** A compaction in progress: `done` settles when its old revisions are gone from the backend. */
export interface Compaction {
  readonly revision: number;
  readonly done: Promise<void>;
}

/**
 * Deletes compacted revisions from the key bucket in steps of `batchSize`, one
 * compaction after the other. Each step writes into the backend's current batch and
 * commits it (so it must run between the server's apply sections, which it does: steps
 * run from the scheduler, never inside a synchronous apply). The last step records
 * the finished revision. If the process dies first, the next open finds scheduled >
 * finished and runs the compaction again from the rebuilt index.
 */
export class CompactionRunner {
  private tail: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly backend: Backend,
    private readonly batchSize: number,
    private readonly scheduleStep: (step: () => void) => void = (step) => setImmediate(step),
    private readonly metrics?: Pick<MetricsHooks, 'compactionStep' | 'compactionDone'>,
  ) {}

  schedule(revision: number, dropped: DroppedRevision[]): Compaction {
    writeScheduledCompactRevision(this.backend, revision);
    const done = this.tail.then(() => this.run(revision, dropped));
    // Later compactions run after this one whatever its outcome.
    this.tail = done.catch(() => undefined);
    // Nobody has to wait for `done`; an unobserved failure must not crash the process.
    done.catch(() => undefined);
    return { revision, done };
  }

  idle(): Promise<void> {
    return this.tail;
  }

  /** Stops running steps; unfinished compactions resume when the store is opened again. */
  stop(): void {
    this.stopped = true;
  }

  private run(revision: number, dropped: DroppedRevision[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let position = 0;
      const startedMs = performance.now();
      const step = (): void => {
        if (this.stopped) {
          reject(new Error('mvcc: compaction stopped: store closed'));
          return;
        }
        try {
          const stepStartedMs = performance.now();
          const firstPosition = position;
          const batch = this.backend.batchTx();
          const stepEnd = Math.min(position + this.batchSize, dropped.length);
          for (; position < stepEnd; position++) {
            const { revision: droppedRevision, tombstone } = dropped[position]!;
            batch.delete('key', encodeRevisionKey(droppedRevision, tombstone));
          }
          if (position >= dropped.length) writeFinishedCompactRevision(this.backend, revision);
          this.backend.commit();
          this.metrics?.compactionStep(performance.now() - stepStartedMs, position - firstPosition);
          if (position >= dropped.length) this.metrics?.compactionDone(performance.now() - startedMs);
          if (position >= dropped.length) resolve();
          else this.scheduleStep(step);
        } catch (error) {
          reject(error);
        }
      };
      this.scheduleStep(step);
    });
  }
}
