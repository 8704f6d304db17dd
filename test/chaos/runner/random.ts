// The run's seeded randomness: one stream for the nemesis and one per client,
// all derived from the seed, so a schedule replays from its number.

import { seededRandom } from '../../../src/pkg/seeded-random.js';

export class Random {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** A derived, independent stream (e.g. one per client). */
  fork(salt: number): Random {
    return new Random(Math.floor(this.next() * 2 ** 31) ^ Math.imul(salt + 1, 0x9e3779b1));
  }

  float(): number {
    return this.next();
  }

  /** Integer in [low, high]. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[Math.floor(this.next() * items.length)]!;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let index = copy.length - 1; index > 0; index--) {
      const other = Math.floor(this.next() * (index + 1));
      [copy[index], copy[other]] = [copy[other]!, copy[index]!];
    }
    return copy;
  }
}
