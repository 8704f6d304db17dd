// Lets callers wait until the apply loop has reached an index. Waiters are
// kept in index order so each apply batch wakes only those it satisfies.

export class AppliedIndexWaiter {
  private appliedIndex: number;
  private readonly waiters: Array<{ index: number; resolve: () => void }> = [];

  constructor(appliedIndex: number) {
    this.appliedIndex = appliedIndex;
  }

  get applied(): number {
    return this.appliedIndex;
  }

  waitFor(index: number): Promise<void> {
    if (index <= this.appliedIndex) return Promise.resolve();
    return new Promise((resolve) => {
      let position = this.waiters.length;
      while (position > 0 && this.waiters[position - 1]!.index > index) position--;
      this.waiters.splice(position, 0, { index, resolve });
    });
  }

  advanceTo(index: number): void {
    if (index <= this.appliedIndex) return;
    this.appliedIndex = index;
    let satisfied = 0;
    while (satisfied < this.waiters.length && this.waiters[satisfied]!.index <= index) satisfied++;
    for (const waiter of this.waiters.splice(0, satisfied)) waiter.resolve();
  }
}
