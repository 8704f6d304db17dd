import type { WatchScheduler } from '../../../src/mvcc/watch/index.js';

interface ScheduledTask {
  dueMs: number;
  sequence: number;
  task: () => void;
  canceled: boolean;
}

/** A WatchScheduler on a virtual clock: nothing runs until the test advances it. */
export class VirtualScheduler implements WatchScheduler {
  private now = 0;
  private sequence = 0;
  private tasks: ScheduledTask[] = [];

  nowMs(): number {
    return this.now;
  }

  schedule(task: () => void, delayMs: number): () => void {
    const entry: ScheduledTask = { dueMs: this.now + Math.max(0, delayMs), sequence: this.sequence++, task, canceled: false };
    this.tasks.push(entry);
    return () => {
      entry.canceled = true;
    };
  }

  get pendingCount(): number {
    return this.tasks.filter((task) => !task.canceled).length;
  }

  /** Runs tasks due by now (including ones they schedule for now). */
  runDue(): number {
    let ran = 0;
    while (this.runNextDue()) {
      if (++ran > 100_000) throw new Error('virtual scheduler: a task keeps rescheduling itself at once');
    }
    return ran;
  }

  /** Runs the earliest task due by now, if any; true if one ran. */
  runNextDue(): boolean {
    const next = this.nextTask();
    if (next === undefined || next.dueMs > this.now) return false;
    this.remove(next);
    next.task();
    return true;
  }

  /** Moves the clock forward by `ms`, running every task that comes due on the way. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      this.runDue();
      const next = this.nextTask();
      if (next === undefined || next.dueMs > target) break;
      this.now = next.dueMs;
    }
    this.now = target;
    this.runDue();
  }

  private nextTask(): ScheduledTask | undefined {
    this.tasks = this.tasks.filter((task) => !task.canceled);
    let best: ScheduledTask | undefined;
    for (const task of this.tasks) {
      if (best === undefined || task.dueMs < best.dueMs || (task.dueMs === best.dueMs && task.sequence < best.sequence)) best = task;
    }
    return best;
  }

  private remove(task: ScheduledTask): void {
    this.tasks.splice(this.tasks.indexOf(task), 1);
  }
}
