// A virtual network in virtual time: each message is dropped, delayed
// (which reorders), or duplicated at random, and links can be cut in one or
// both directions to make symmetric and asymmetric partitions.

import type { Message } from '../../../src/raft/index.js';
import type { Prng } from './prng.js';

export interface NetworkFaults {
  dropProbability: number;
  duplicateProbability: number;
  /** Delay in time units, uniform in [minDelayUnits, maxDelayUnits]. */
  minDelayUnits: number;
  maxDelayUnits: number;
  /** Probability that a message is held much longer (so it arrives out of order). */
  longDelayProbability: number;
  longDelayMaxUnits: number;
}

export const CALM_NETWORK: NetworkFaults = {
  dropProbability: 0,
  duplicateProbability: 0,
  minDelayUnits: 1,
  maxDelayUnits: 5,
  longDelayProbability: 0,
  longDelayMaxUnits: 0,
};

export type SendOutcome = 'queued' | 'lost' | 'blocked';

export class VirtualNetwork {
  private readonly queue = new Map<number, Message[]>();
  private readonly blockedLinks = new Set<string>();
  faults: NetworkFaults = CALM_NETWORK;
  delivered = 0;
  dropped = 0;

  constructor(private readonly prng: Prng) {}

  send(message: Message, nowUnits: number): SendOutcome {
    if (this.isBlocked(Number(message.from), Number(message.to))) {
      this.dropped++;
      return 'blocked';
    }
    if (this.prng.chance(this.faults.dropProbability)) {
      this.dropped++;
      return 'lost';
    }
    this.enqueue(message, nowUnits);
    if (this.prng.chance(this.faults.duplicateProbability)) this.enqueue(message, nowUnits);
    return 'queued';
  }

  private enqueue(message: Message, nowUnits: number): void {
    let delay = this.prng.range(this.faults.minDelayUnits, this.faults.maxDelayUnits);
    if (this.prng.chance(this.faults.longDelayProbability)) delay += this.prng.range(1, this.faults.longDelayMaxUnits);
    const at = nowUnits + delay;
    let bucket = this.queue.get(at);
    if (!bucket) this.queue.set(at, (bucket = []));
    bucket.push(message);
  }

  /** Messages due at `nowUnits`; those on a link cut meanwhile are returned as lost. */
  takeDue(nowUnits: number): { delivered: Message[]; lost: Message[] } {
    const bucket = this.queue.get(nowUnits);
    if (!bucket) return { delivered: [], lost: [] };
    this.queue.delete(nowUnits);
    const delivered: Message[] = [];
    const lost: Message[] = [];
    for (const message of bucket) (this.isBlocked(Number(message.from), Number(message.to)) ? lost : delivered).push(message);
    this.dropped += lost.length;
    this.delivered += delivered.length;
    return { delivered, lost };
  }

  isBlocked(from: number, to: number): boolean {
    return this.blockedLinks.size > 0 && this.blockedLinks.has(`${from}>${to}`);
  }

  cutOneWay(from: number, to: number): void {
    this.blockedLinks.add(`${from}>${to}`);
  }

  cut(a: number, b: number): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Blocks every link between members of different groups. */
  partition(groups: readonly (readonly number[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        for (const a of groups[i]!) for (const b of groups[j]!) this.cut(a, b);
      }
    }
  }

  heal(): void {
    this.blockedLinks.clear();
  }

  get blockedLinkCount(): number {
    return this.blockedLinks.size;
  }
}
